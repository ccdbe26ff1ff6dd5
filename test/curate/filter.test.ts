import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isCorrectResponse } from "../../src/curate/filter/correctness.js";
import { filterRows } from "../../src/curate/filter/filter-rows.js";
import { readRows, type Row } from "../../src/io/rows.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const m1Row = JSON.parse(
  readFileSync(new URL("../fixtures/curate/m1-m23k-row.json", import.meta.url), "utf8"),
) as Record<string, string | boolean>;
const tempDir = useTempDir();

describe("m1's correctness rule", () => {
  it("gives m1's own verdicts and extractions on a published m23K row", () => {
    for (const model of ["qwen_7b", "qwen_32b", "r1"]) {
      const verdict = isCorrectResponse(
        m1Row[`${model}-model_answer_string`] as string,
        m1Row.answer_string as string,
        m1Row.answer_letter as string,
      );
      expect(verdict.extracted).toBe(m1Row[`${model}-extracted_answer_string`]);
      expect(verdict.correct).toBe(m1Row[`${model}-correct`]);
    }
  });

  it("matches the answer text trimmed and case-insensitively", () => {
    expect(isCorrectResponse("so \\boxed{ nitrofurantoin }", "Nitrofurantoin", "D").correct).toBe(
      true,
    );
  });

  it("matches the first character of the extraction against the letter", () => {
    expect(isCorrectResponse("\\boxed{c. Atrophy}", "Atrophy", "C").correct).toBe(true);
    expect(isCorrectResponse("\\boxed{\\text{C}}", "Atrophy", "C").correct).toBe(true);
  });

  it("keeps m1's quirks: a leading space never matches the letter, an empty box is wrong", () => {
    expect(isCorrectResponse("\\boxed{ C}", "Atrophy", "C").correct).toBe(false);
    expect(isCorrectResponse("\\boxed{}", "Atrophy", "C")).toEqual({
      correct: false,
      extracted: "",
    });
  });

  it("judges a response without \\boxed by its first character, as m1 does", () => {
    expect(isCorrectResponse("C is the answer", "Atrophy", "C").correct).toBe(true);
    expect(isCorrectResponse("The answer is C", "Atrophy", "C").correct).toBe(false);
  });

  it("counts a missing response as wrong", () => {
    expect(isCorrectResponse(null, "Atrophy", "C")).toEqual({ correct: false, extracted: null });
  });
});

function row(source: string, small: string | null, large: string): Row {
  return {
    source,
    prompt: "q",
    answer_letter: "B",
    answer_idx: 1,
    answer_string: "Yes",
    small,
    large,
  };
}

describe("curate filter", () => {
  const rows = [
    row("medqa", "\\boxed{B}", "\\boxed{A}"), // small model right
    row("medqa", "\\boxed{A}", "\\boxed{yes}"), // large model right
    row("medqa", "\\boxed{A}", "\\boxed{C}"), // both wrong
    row("pubmedqa", null, "\\boxed{no}"), // no small answer, large wrong
  ];

  it("drops every row some model solves (m1's difficulty filter) and counts per source", () => {
    const result = filterRows(rows, "rows.jsonl", {
      responseColumns: ["small", "large"],
      keep: "incorrect",
    });
    expect(result.rows).toEqual([rows[2], rows[3]]);
    expect(result.counts).toEqual([
      {
        source: "medqa",
        rows: 3,
        kept: 1,
        correctBy: { small: 1, large: 1 },
        missingBy: { small: 0, large: 0 },
      },
      {
        source: "pubmedqa",
        rows: 1,
        kept: 1,
        correctBy: { small: 0, large: 0 },
        missingBy: { small: 1, large: 0 },
      },
    ]);
  });

  it("keeps the rows the teacher solves, with m1's extraction when asked", () => {
    const result = filterRows(rows, "rows.jsonl", {
      responseColumns: ["large"],
      keep: "correct",
      annotate: true,
    });
    expect(result.rows).toEqual([{ ...rows[1], large_extracted: "yes", large_correct: true }]);
  });

  it("names the column when the rows lack it", () => {
    expect(() =>
      filterRows(rows, "rows.jsonl", { responseColumns: ["r1"], keep: "correct" }),
    ).toThrow("rows.jsonl: item 0: r1: no such column in the first row");
  });

  it("runs from the command line with several response columns", async () => {
    const dir = tempDir();
    const input = path(dir, "rows.jsonl");
    writeFileSync(input, rows.map((item) => JSON.stringify(item)).join("\n"));
    const out = path(dir, "hard.jsonl");
    const args = [
      "--response-column",
      "small",
      "--response-column",
      "large",
      "--keep",
      "incorrect",
    ];
    const result = await runCli(["curate", "filter", "--in", input, "--out", out, ...args]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("filter: kept 2 of 4 rows (keep incorrect)");
    expect(result.stderr).toMatch(/pubmedqa +1 +1 +0 \(1 missing\) +0/);
    expect(await readRows(out)).toHaveLength(2);
  });
});
