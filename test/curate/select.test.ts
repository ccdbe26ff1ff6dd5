import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
      "rows.jsonl: domain_code: no row has a domain_code column (fix: run `m1 curate classify` first, or use --strategy random / hard-random)",
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
    expect(result.stderr).toContain("select (domain-source): 10 rows from 2 domains");
    expect(await readRows(out)).toEqual(
      selectRows(await readRows(input), input, { size: 10, seed: 42 }).rows,
    );
  });
});

/** m1's own runs, from its notebooks' printed output (test/fixtures/curate/README.md). */
const M1_RUNS = JSON.parse(
  readFileSync(join(import.meta.dirname, "../fixtures/curate/m1-selection-runs.json"), "utf8"),
) as {
  "domain-source": DomainRun;
  domain: DomainRun;
  random: Record<string, unknown> & {
    m196k_blocks: [string, number][];
    m23k_blocks: [string, number][];
  };
};
interface DomainRun {
  before: [string, [string, number][]][];
  after: [string, [string, number][]][];
  removals: string[];
  per_source?: Record<string, number>;
}
interface RandomRun {
  size: number;
  rows: number;
  per_source: Record<string, number>;
}

/** Rows in m1's group order; only group sizes and order matter to the draws. */
function rowsInGroups(run: DomainRun): Row[] {
  return run.before.flatMap(([domain, sources]) =>
    sources.flatMap(([source, count]) =>
      Array.from({ length: count }, (_, index) => ({
        prompt: `${domain}|${source}|${index}`,
        source,
        domain_code: domain,
      })),
    ),
  );
}

describe("m1's selections, replayed from its notebooks' printed runs", () => {
  for (const strategy of ["domain-source", "domain"] as const) {
    it(`${strategy}: the same groups run out in the same order and the same counts remain`, () => {
      const run = M1_RUNS[strategy];
      // The same 23,493 rows for both: the domain-source notebook printed their sources too.
      const rows = rowsInGroups(M1_RUNS["domain-source"]);
      expect(rows).toHaveLength(23493);
      const removals: string[] = [];
      const result = selectRows(rows, "m23k.jsonl", {
        strategy,
        size: 1000,
        seed: 42,
        onEmptied: (group) =>
          removals.push(
            group.kind === "source"
              ? `Removing source ${group.source} from domain ${group.domain}`
              : `Removing domain ${group.domain}`,
          ),
      });
      expect(result.rows).toHaveLength(1000);
      expect(removals).toEqual(run.removals);
      // What is left per group, in m1's printed order (empty groups are gone, as in the notebook).
      const left = new Map<string, Map<string, number>>();
      for (const [domain, sources] of run.before) {
        left.set(
          domain,
          new Map(
            sources.map(([source, count]) => [
              strategy === "domain" ? "merge_source" : source,
              count,
            ]),
          ),
        );
      }
      for (const row of result.rows) {
        const group = left.get(row.domain_code as string)!;
        const key = strategy === "domain" ? "merge_source" : (row.source as string);
        group.set(key, group.get(key)! - 1);
      }
      const remaining = [...left]
        .map(([domain, sources]): [string, [string, number][]] => [
          domain,
          [...sources].filter(([, count]) => count > 0),
        ])
        .filter(([, sources]) => sources.length > 0);
      expect(remaining).toEqual(run.after);
      // Within a domain, rows keep m196k's source blocks (medqa, pubmedqa, headqa, medmcqa), so
      // the pooled ablation also lands on the per-source counts m1's notebook printed.
      if (run.per_source)
        expect(sortedCounts(result.perSource)).toEqual(sortedCounts(run.per_source));
    });
  }

  function rowsInBlocks(blocks: [string, number][]): Row[] {
    return blocks.flatMap(([source, count]) =>
      Array.from({ length: count }, (_, index) => ({ source, prompt: `${source} ${index}` })),
    );
  }

  it("random: m196k's source blocks give random_1k's and random_23k's per-source counts (int(size / 0.8) rows)", () => {
    const rows = rowsInBlocks(M1_RUNS.random.m196k_blocks);
    expect(rows).toHaveLength(196157);
    for (const name of ["random_1k", "random_23k"]) {
      const run = M1_RUNS.random[name] as RandomRun;
      const result = selectRows(rows, "m196k.parquet", {
        strategy: "random",
        size: run.size,
        seed: 42,
      });
      expect(result.target).toBe(run.rows);
      expect(result.rows).toHaveLength(run.rows);
      expect(sortedCounts(result.perSource)).toEqual(sortedCounts(run.per_source));
    }
  });

  it("hard-random: the hard 23K set's blocks give hard_random_1k's counts (no oversampling)", () => {
    const run = M1_RUNS.random.hard_random_1k as RandomRun;
    const rows = rowsInBlocks(M1_RUNS.random.m23k_blocks);
    const result = selectRows(rows, "m23k.parquet", {
      strategy: "hard-random",
      size: 1000,
      seed: 42,
    });
    expect(result.rows).toHaveLength(1000);
    expect(sortedCounts(result.perSource)).toEqual(sortedCounts(run.per_source));
    // The order is numpy's: np.random.default_rng(42).permutation(23493)[:3] is [6872, 23181, 17505] (numpy 2.4).
    expect(result.rows.slice(0, 3)).toEqual([6872, 23181, 17505].map((index) => rows[index]));
  });

  it("refuses an estimated accuracy outside (0, 1]", () => {
    expect(() =>
      selectRows([], "x", { strategy: "random", size: 10, seed: 1, estimatedAccuracy: 0 }),
    ).toThrow(/estimated_accuracy: must be in \(0, 1\], got 0/);
  });
});

function sortedCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
}
