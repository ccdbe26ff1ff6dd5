import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultRng } from "../../src/curate/rng/generator.js";
import { selectRows } from "../../src/curate/select/select-rows.js";
import { readRows, type Row } from "../../src/io/rows.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const tempDir = useTempDir();

function rowsFor(sizes: Record<string, Record<string, number>>): Row[] {
  const rows: Row[] = [];
  for (const [domain, sources] of Object.entries(sizes)) {
    for (const [source, count] of Object.entries(sources)) {
      for (let index = 0; index < count; index++) {
        rows.push({
          prompt: `${domain}-${source}-${index}`,
          source,
          domain_code: domain,
          is_domain_code_extracted: true,
        });
      }
    }
  }
  return rows;
}

describe("curate select (m1K domain x source sampling)", () => {
  it("draws domain, source and row with numpy's default_rng as m1's notebook, none for a single choice", () => {
    const rows = rowsFor({ "01": { medqa: 3 }, "02": { medqa: 1, headqa: 2 } });
    const picked = selectRows(rows, "rows.jsonl", { size: 3, seed: 42 }).rows.map(
      (row) => row.prompt,
    );
    // The same draws by hand: integers(0, n) per choice, skipped when n = 1.
    const rng = defaultRng(42);
    const groups = new Map<string, Map<string, string[]>>([
      ["01", new Map([["medqa", ["01-medqa-0", "01-medqa-1", "01-medqa-2"]]])],
      [
        "02",
        new Map([
          ["medqa", ["02-medqa-0"]],
          ["headqa", ["02-headqa-0", "02-headqa-1"]],
        ]),
      ],
    ]);
    const expected: string[] = [];
    while (expected.length < 3) {
      const domains = [...groups.keys()];
      const domain = groups.get(domains[rng.integers(0, domains.length)]!)!;
      const sources = [...domain.keys()];
      const source = sources[sources.length === 1 ? 0 : rng.integers(0, sources.length)]!;
      const list = domain.get(source)!;
      const [row] = list.splice(list.length === 1 ? 0 : rng.integers(0, list.length), 1);
      expected.push(row!);
      if (list.length === 0) domain.delete(source);
      if (domain.size === 0) groups.delete(domains.find((code) => groups.get(code) === domain)!);
    }
    expect(picked).toEqual(expected);
  });

  it("gives the same selection for the same seed and another for another seed", () => {
    const rows = rowsFor({ "01": { a: 40, b: 5 }, "02": { a: 30 }, "03": { b: 25, c: 3 } });
    const first = selectRows(rows, "rows.jsonl", { size: 20, seed: 42 }).rows;
    expect(selectRows(rows, "rows.jsonl", { size: 20, seed: 42 }).rows).toEqual(first);
    expect(selectRows(rows, "rows.jsonl", { size: 20, seed: 7 }).rows).not.toEqual(first);
  });

  it("balances domains: small ones are taken whole, large ones share the rest evenly", () => {
    const rows = rowsFor({
      "00": { medqa: 500, medmcqa: 500 },
      "01": { medqa: 100, medmcqa: 100 },
      "02": { medqa: 25, headqa: 25 },
      "03": { medmcqa: 10 },
      "04": { pubmedqa: 5 },
    });
    const result = selectRows(rows, "rows.jsonl", { size: 100, seed: 42 });
    expect(result.rows).toHaveLength(100);
    expect(new Set(result.rows.map((row) => row.prompt)).size).toBe(100);
    expect(result.perDomain["03"]).toBe(10);
    expect(result.perDomain["04"]).toBe(5);
    for (const domain of ["00", "01", "02"])
      expect(result.perDomain[domain]).toBeGreaterThanOrEqual(20);
    // Within a domain, sources are chosen evenly too: medqa and medmcqa of domain 00 both appear.
    const domain00 = result.rows.filter((row) => row.domain_code === "00").map((row) => row.source);
    expect(new Set(domain00)).toEqual(new Set(["medqa", "medmcqa"]));
  });

  it("takes every row when fewer exist than asked for, leaving unclassified rows out", () => {
    const rows = [
      ...rowsFor({ "01": { a: 2 } }),
      { prompt: "x", source: "a", domain_code: "zz", is_domain_code_extracted: false },
    ];
    const result = selectRows(rows, "rows.jsonl", { size: 10, seed: 1 });
    expect(result.rows).toHaveLength(2);
    expect(result.withoutDomain).toBe(1);
  });

  it("asks for classification when no row has a domain", () => {
    expect(() =>
      selectRows([{ prompt: "p", source: "s" }], "rows.jsonl", { size: 1, seed: 1 }),
    ).toThrow(
      "rows.jsonl: domain_code: no row has a domain_code column (fix: run `m1 curate classify` first)",
    );
  });

  it("runs from the command line", async () => {
    const dir = tempDir();
    const input = path(dir, "classified.jsonl");
    writeFileSync(
      input,
      rowsFor({ "01": { a: 30 }, "02": { b: 30 } })
        .map((row) => JSON.stringify(row))
        .join("\n"),
    );
    const out = path(dir, "m1k.jsonl");
    const result = await runCli([
      "curate",
      "select",
      "--in",
      input,
      "--out",
      out,
      "--size",
      "10",
      "--seed",
      "42",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("select: 10 rows from 2 domains");
    expect(await readRows(out)).toEqual(
      selectRows(await readRows(input), input, { size: 10, seed: 42 }).rows,
    );
  });
});
