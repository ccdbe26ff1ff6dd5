import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { loadEvalDataset, md5Hex, parseEvalFile } from "../../src/eval/datasets/index.js";
import { fixture, writeIn } from "../data/helpers.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-datasets-");
const item = (letter: string, answer: string) => ({
  question: "Which one?",
  options: { A: "alpha", B: "beta", C: "gamma" },
  answer,
  answer_idx: letter,
});

describe("loadEvalDataset", () => {
  test("flattens the sources in file order, keeping each item's index within its source", async () => {
    const dataset = await loadEvalDataset(fixture("eval_sample.json"));
    expect(dataset.samples.map((sample) => `${sample.source}[${sample.index}]`)).toEqual([
      "MedQA_USLME_test[0]",
      "MedQA_USLME_test[1]",
      "MMLU-Pro_Medical_test[0]",
      "PubMedQA_test[0]",
    ]);
    expect(dataset.sourceSizes).toEqual({
      MedQA_USLME_test: 2,
      "MMLU-Pro_Medical_test": 1,
      PubMedQA_test: 1,
    });
    expect(dataset.dropped).toEqual([]);
  });

  test("builds option_str as m1 does and keeps extra fields apart", async () => {
    const [first] = (await loadEvalDataset(fixture("eval_sample.json"))).samples;
    expect(first!.option_str).toBe(
      "A. Iron deficiency\nB. Vitamin B12 deficiency\nC. Folate deficiency\nD. Hemolysis",
    );
    expect(first!.extra).toEqual({ meta_info: "step1" });
    expect(first!.answer_idx).toBe("A");
  });

  test("keeps ten options A-J in their given order", async () => {
    const dataset = await loadEvalDataset(fixture("eval_sample.json"));
    const mmluPro = dataset.samples.find((sample) => sample.source === "MMLU-Pro_Medical_test")!;
    expect(Object.keys(mmluPro.options)).toEqual("ABCDEFGHIJ".split(""));
    expect(mmluPro.option_str.split("\n").at(-1)).toBe("J. Niacin");
  });

  test("keeps options in the file's key order even when it is not alphabetical", () => {
    const content = parseEvalFile(
      JSON.stringify({
        s: [{ ...item("B", "beta"), options: { C: "gamma", A: "alpha", B: "beta" } }],
      }),
      "x.json",
    );
    expect(Object.keys(content.s![0]!.options)).toEqual(["C", "A", "B"]);
  });

  test("keeps braces in question text verbatim", async () => {
    const dataset = await loadEvalDataset(fixture("eval_sample.json"));
    expect(dataset.samples[1]!.question).toContain("{allopurinol}");
  });

  test("reads a bare list as one source named normal", async () => {
    const path = writeIn(tempDir(), "bare.json", [item("A", "alpha"), item("B", "beta")]);
    const dataset = await loadEvalDataset(path);
    expect(dataset.samples.map((sample) => sample.source)).toEqual(["normal", "normal"]);
  });

  test("applies limit after flattening, keeping the first N samples like m1", async () => {
    const dataset = await loadEvalDataset(fixture("eval_sample.json"), { limit: 3 });
    expect(dataset.samples.map((sample) => sample.source)).toEqual([
      "MedQA_USLME_test",
      "MedQA_USLME_test",
      "MMLU-Pro_Medical_test",
    ]);
    const all = await loadEvalDataset(fixture("eval_sample.json"), { limit: -1 });
    expect(all.samples).toHaveLength(4);
  });

  test("checks the md5 of the file bytes and reports it", async () => {
    const bytes = readFileSync(fixture("eval_sample.json"));
    const dataset = await loadEvalDataset(fixture("eval_sample.json"), { md5: md5Hex(bytes) });
    expect(dataset.md5).toBe(md5Hex(bytes));
  });

  test("drops items whose answer differs from options[answer_idx], with the reason and a count", async () => {
    const path = writeIn(tempDir(), "mismatch.json", {
      medqa: [item("A", "alpha"), item("B", "gamma"), item("C", " gamma ")],
    });
    const dataset = await loadEvalDataset(path);
    expect(dataset.samples.map((sample) => sample.index)).toEqual([0, 2]);
    expect(dataset.dropped).toEqual([
      {
        source: "medqa",
        index: 1,
        item: "medqa[1]",
        reason: 'answer "gamma" differs from options.B "beta"',
      },
    ]);
  });

  test("keeps mismatched items when asked, as m1's own loader does", async () => {
    const path = writeIn(tempDir(), "mismatch.json", { medqa: [item("B", "gamma")] });
    const dataset = await loadEvalDataset(path, { answerMismatch: "keep" });
    expect(dataset.samples).toHaveLength(1);
    expect(dataset.dropped).toEqual([]);
  });

  test("applies limit to the samples left after dropping", async () => {
    const path = writeIn(tempDir(), "mismatch.json", {
      medqa: [item("B", "gamma"), item("A", "alpha"), item("C", "gamma")],
    });
    const dataset = await loadEvalDataset(path, { limit: 2 });
    expect(dataset.samples.map((sample) => sample.index)).toEqual([1, 2]);
  });
});
