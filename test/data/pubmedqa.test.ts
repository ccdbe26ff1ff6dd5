import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { convertBenchmark } from "../../src/data/convert/index.js";
import { HUATUO_PUBMEDQA_INSTRUCTION } from "../../src/data/convert/pubmedqa.js";
import { loadEvalDataset, md5Hex, type EvalFileContent, type EvalItem } from "../../src/eval/datasets/index.js";
import { bundledDataPath } from "../../src/paths.js";
import { writeIn } from "./helpers.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-datasets-");
const ORI_PQAL = bundledDataPath("pubmedqa", "ori_pqal.json");
const GROUND_TRUTH = bundledDataPath("pubmedqa", "test_ground_truth.json");

async function convertPubMedQa(options: { split?: string; contextStyle?: "huatuo" | "newline"; inputs?: string[] } = {}) {
  const out = join(tempDir(), "pubmedqa.json");
  const outcome = await convertBenchmark({
    kind: "pubmedqa",
    inputs: options.inputs ?? [ORI_PQAL, GROUND_TRUTH],
    out,
    seed: 42,
    fieldMap: {},
    split: options.split,
    contextStyle: options.contextStyle,
  });
  const content = JSON.parse(readFileSync(out, "utf8")) as EvalFileContent;
  return { outcome, items: content[outcome.source]!, out };
}

const byId = (items: EvalItem[], id: string) => items.find((item) => item.id === id)!;

describe("pubmedqa converter on the bundled PubMedQA files", () => {
  test("converts the official 500-item test split in ground-truth order with its label distribution", async () => {
    const { outcome, items } = await convertPubMedQa();
    expect(outcome.source).toBe("PubMedQA_test");
    expect(items).toHaveLength(500);
    expect(items.slice(0, 3).map((item) => item.id)).toEqual(["7482275", "7497757", "7547656"]);
    const counts: Record<string, number> = {};
    for (const item of items) counts[item.answer] = (counts[item.answer] ?? 0) + 1;
    expect(counts).toEqual({ yes: 276, no: 169, maybe: 55 });
    for (const item of items) {
      expect(item.options).toEqual({ A: "yes", B: "no", C: "maybe" });
      expect(item.options[item.answer_idx]).toBe(item.answer);
    }
  });

  test("matches HuatuoGPT-o1's PubMedQA_test text for pubid 21164063", async () => {
    const { items } = await convertPubMedQa();
    const item = byId(items, "21164063");
    expect(item.answer_idx).toBe("B");
    expect(item.question.startsWith("A possible role for fondaparinux as a bridging agent in the perioperative setting is explored. Anticoagulation guidelines")).toBe(true);
    expect(item.question.endsWith(
      "Fondaparinux may have a role in bridge therapy for these patients.\n\nUsing the above document as a reference, please review the following question and choose the option you find most appropriate.\nIs there a role for fondaparinux in perioperative bridging?",
    )).toBe(true);
  });

  test("joins contexts with newlines before the question in the newline (m1 training) style", async () => {
    const { items } = await convertPubMedQa({ contextStyle: "newline" });
    const question = byId(items, "20736887").question;
    expect(question).not.toContain(HUATUO_PUBMEDQA_INSTRUCTION);
    const original = (JSON.parse(readFileSync(ORI_PQAL, "utf8")) as Record<string, { CONTEXTS: string[]; QUESTION: string }>)["20736887"]!;
    expect(question).toBe(`${original.CONTEXTS.join("\n")}\n${original.QUESTION}`);
  });

  test("converts all 1,000 labeled items with --split all", async () => {
    const { items } = await convertPubMedQa({ split: "all", inputs: [ORI_PQAL] });
    expect(items).toHaveLength(1000);
  });

  test("refuses --split test without the ground truth file", async () => {
    await expect(convertPubMedQa({ inputs: [ORI_PQAL] })).rejects.toThrow(/--split test needs the test split's ids/);
  });

  test("refuses a ground truth label that contradicts final_decision", async () => {
    const labels = JSON.parse(readFileSync(GROUND_TRUTH, "utf8")) as Record<string, string>;
    labels["7482275"] = "maybe";
    const path = writeIn(tempDir(), "test_ground_truth.json", labels);
    await expect(convertPubMedQa({ inputs: [ORI_PQAL, path] })).rejects.toThrow(
      /ori_pqal\.json: item 7482275: final_decision: 'no' differs from the test split's label 'maybe'/,
    );
  });
});

describe("the bundled demo sample", () => {
  test("is the first 40 test-split items as source pubmedqa, rebuilt byte for byte by its documented command", async () => {
    const demo = bundledDataPath("demo", "pubmedqa_demo.json");
    const dataset = await loadEvalDataset(demo);
    expect(dataset.sourceSizes).toEqual({ pubmedqa: 40 });
    const out = join(tempDir(), "pubmedqa_demo.json");
    await convertBenchmark({
      kind: "pubmedqa",
      inputs: [ORI_PQAL, GROUND_TRUTH],
      out,
      source: "pubmedqa",
      limit: 40,
      seed: 42,
      fieldMap: {},
    });
    expect(md5Hex(readFileSync(out))).toBe(md5Hex(readFileSync(demo)));
  });
});
