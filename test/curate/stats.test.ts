import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { datasetStats, describeLengths, histogram } from "../../src/curate/stats/dataset-stats.js";
import { writeRows, type Row } from "../../src/io/rows.js";
import { loadTokenizerJson } from "../../src/tokenizers/index.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const tempDir = useTempDir();
// Byte-level BPE with Qwen's special tokens: one token per ASCII character.
const QWEN_DIR = join(import.meta.dirname, "../fixtures/train/qwen2.5-instruct");
const statsArgs = (file: string, ...rest: string[]) => [
  "curate",
  "stats",
  "--in",
  file,
  "--tokenizer",
  QWEN_DIR,
  "-q",
  ...rest,
];

describe("m1's dataset statistics", () => {
  it("summarises lengths as pandas' describe() and bins them as numpy.histogram", () => {
    const values = [3, 7, 7, 8, 10, 15, 21, 22, 22, 40];
    // numpy 2.4: mean 15.5, std(ddof=1) 11.067971810589327, percentile 7.25 / 12.5 / 21.75
    const summary = describeLengths(values);
    expect(summary).toMatchObject({
      count: 10,
      mean: 15.5,
      min: 3,
      q25: 7.25,
      q50: 12.5,
      q75: 21.75,
      max: 40,
    });
    expect(summary.std).toBeCloseTo(11.067971810589327, 12);
    // np.histogram(values, bins=4): counts [5, 2, 2, 1], edges [3, 12.25, 21.5, 30.75, 40]
    expect(histogram(values, 4)).toEqual([
      { start: 3, end: 12.25, count: 5 },
      { start: 12.25, end: 21.5, count: 2 },
      { start: 21.5, end: 30.75, count: 2 },
      { start: 30.75, end: 40, count: 1 },
    ]);
    // A single value: numpy widens the range by 0.5 each side and the value lands in the last bin.
    expect(histogram([5, 5, 5], 2)).toEqual([
      { start: 4.5, end: 5, count: 0 },
      { start: 5, end: 5.5, count: 3 },
    ]);
  });

  it("counts rows per source and domain and the tokens of reasoning and answer", async () => {
    const rows: Row[] = [
      {
        source: "medmcqa",
        domain_name: "Diagnosis",
        reasoning: "abcd",
        distilled_answer_string: "Answer: B",
      },
      {
        source: "medqa",
        domain_name: "Diagnosis",
        reasoning: "<|im_start|>ab",
        distilled_answer_string: "B",
      },
      {
        source: "medmcqa",
        domain_name: "Therapy",
        reasoning: "abcdefgh",
        distilled_answer_string: "Answer: C.",
      },
    ];
    const stats = await datasetStats(rows, "m1k.jsonl", {
      counter: loadTokenizerJson(QWEN_DIR),
      bins: 2,
    });
    expect(stats.perSource).toEqual({ medmcqa: 2, medqa: 1 });
    expect(stats.perDomain).toEqual({ Diagnosis: 2, Therapy: 1 });
    expect(stats.tokens!.reasoning.lengths).toEqual([4, 3, 8]);
    expect(stats.tokens!.answer.lengths).toEqual([9, 1, 10]);
    expect(stats.tokens!.reasoning.histogram.map((bin) => bin.count)).toEqual([2, 1]);
  });

  it("names the row and column when a row has no reasoning", async () => {
    const dir = tempDir();
    const file = path(dir, "rows.jsonl");
    writeRows(file, [
      { source: "a", reasoning: "x", distilled_answer_string: "y" },
      { source: "a", distilled_answer_string: "y" },
    ]);
    const { code, stderr } = await runCli(statsArgs(file));
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /rows\.jsonl:2: reasoning: is missing \(fix: token lengths need distilled rows/,
    );
  });

  it("renders the paper's token-length figure as PNG and SVG, reasoning beside answer", async () => {
    const dir = tempDir();
    const file = path(dir, "m1k.jsonl");
    writeRows(
      file,
      Array.from({ length: 200 }, (_, index) => ({
        source: index % 5 === 0 ? "medqa" : "medmcqa",
        reasoning: "x".repeat(200 + ((index * 37) % 1800)),
        distilled_answer_string: "y".repeat(40 + ((index * 11) % 300)),
      })),
    );
    const plots = path(dir, "plots");
    const { code, stderr } = await runCli(
      statsArgs(file, "--plot", plots, "--json", path(dir, "stats.json")),
    );
    expect(code, stderr).toBe(0);
    const png = readFileSync(join(plots, "token-lengths.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBeGreaterThan(1200); // width in pixels, two panels at scale 2
    const svg = readFileSync(join(plots, "token-lengths.svg"), "utf8");
    expect(svg).toContain("Reasoning (reasoning)");
    expect(svg).toContain("Answer (distilled_answer_string)");
    expect(svg).toContain("dashed: 25% ");
    const spec = JSON.parse(readFileSync(join(plots, "token-lengths.vl.json"), "utf8")) as {
      hconcat: { layer: { data: { values: unknown[] } }[] }[];
    };
    expect(spec.hconcat.map((panel) => panel.layer[0]!.data.values.length)).toEqual([50, 50]);
    const stats = JSON.parse(readFileSync(path(dir, "stats.json"), "utf8")) as {
      tokens: { reasoning: { summary: { max: number } } };
    };
    const longest = Math.max(...Array.from({ length: 200 }, (_, index) => (index * 37) % 1800));
    expect(stats.tokens.reasoning.summary.max).toBe(200 + longest);
  });
});
