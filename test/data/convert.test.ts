import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, test } from "vitest";
import { convertBenchmark, type ConvertRequest } from "../../src/data/convert/index.js";
import { shuffleForItem } from "../../src/data/convert/shuffle.js";
import { loadEvalDataset, type EvalFileContent } from "../../src/eval/datasets/index.js";
import { fixture, writeIn } from "./helpers.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-datasets-");

async function convert(
  kind: ConvertRequest["kind"],
  inputs: string[],
  extra: Partial<ConvertRequest> = {},
) {
  const out = join(tempDir(), "out.json");
  const outcome = await convertBenchmark({
    kind,
    inputs: inputs.map((name) => (name.startsWith("/") ? name : fixture(name))),
    out,
    seed: 42,
    fieldMap: {},
    ...extra,
  });
  const content = JSON.parse(readFileSync(out, "utf8")) as EvalFileContent;
  // Every converter's output must load cleanly in the eval loader.
  const loaded = await loadEvalDataset(out);
  expect(loaded.dropped).toEqual([]);
  return { outcome, content, items: content[outcome.source]!, out };
}

describe("medqa", () => {
  test("keeps question, options A-E, answer and answer_idx, stripped like m1, with meta_info", async () => {
    const { outcome, items } = await convert("medqa", ["medqa_us_test.jsonl"]);
    expect(outcome.source).toBe("MedQA_USLME_test");
    expect(items).toHaveLength(3);
    expect(Object.keys(items[1]!.options)).toEqual(["A", "B", "C", "D", "E"]);
    expect(items[2]).toEqual({
      question: "Which drug reverses heparin?",
      options: { A: "Vitamin K", B: "Protamine sulfate", C: "Idarucizumab", D: "Andexanet alfa" },
      answer: "Protamine sulfate",
      answer_idx: "B",
      meta_info: "step1",
    });
  });
});

describe("medmcqa", () => {
  test("detects 1-based cop in the original release and maps opa..opd to A-D", async () => {
    // The original release names its JSON Lines files dev.json / train.json.
    const devJson = writeIn(tempDir(), "dev.json", readFileSync(fixture("medmcqa_dev.jsonl"), "utf8"));
    const { outcome, items } = await convert("medmcqa", [devJson]);
    expect(outcome.source).toBe("MedMCQA_validation");
    expect(outcome.notes).toEqual(["cop counts from 1 (original release, detected)"]);
    expect(items.map((item) => item.answer_idx)).toEqual(["C", "D", "A"]);
    expect(items[0]).toMatchObject({ answer: "Abducens nerve", id: "a1b2c3d4-0001", subject_name: "Anatomy" });
    expect(items[2]!.options).toEqual({ A: "7.4", B: "7.1", C: "7.6", D: "6.9" });
  });

  test("detects 0-based cop in the Hugging Face release", async () => {
    const { outcome, items } = await convert("medmcqa", ["medmcqa_validation.jsonl"]);
    expect(outcome.notes[0]).toMatch(/from 0 \(Hugging Face release/);
    expect(items.map((item) => [item.answer_idx, item.answer])).toEqual([
      ["B", "Vitamin K"],
      ["A", "Appendix"],
    ]);
  });

  test("reads Hugging Face Parquet rows, honouring --cop-base when values cannot tell", async () => {
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: "id", data: ["p1"], type: "STRING" },
        { name: "question", data: ["Which ion triggers muscle contraction?"], type: "STRING" },
        { name: "opa", data: ["Sodium"], type: "STRING" },
        { name: "opb", data: ["Calcium"], type: "STRING" },
        { name: "opc", data: ["Potassium"], type: "STRING" },
        { name: "opd", data: ["Chloride"], type: "STRING" },
        { name: "cop", data: [1n], type: "INT64" },
      ],
    });
    const path = writeIn(tempDir(), "validation-00000-of-00001.parquet", new Uint8Array(parquet));
    await expect(convert("medmcqa", [path])).rejects.toThrow(/cop only takes the values 1-3.*--cop-base/);
    const { items } = await convert("medmcqa", [path], { copBase: 0 });
    expect(items[0]).toMatchObject({ answer_idx: "B", answer: "Calcium" });
  });
});

describe("mmlu", () => {
  test("reads headerless and headed subject CSVs, keeps the medical subjects and notes the others", async () => {
    const { outcome, items } = await convert("mmlu", [
      "anatomy_test.csv",
      "astronomy_test.csv",
      "college_medicine_test.csv",
    ]);
    expect(outcome.source).toBe("MMLU_Medical_test");
    expect(items.map((item) => item.subject)).toEqual(["anatomy", "anatomy", "anatomy", "college_medicine"]);
    expect(items[1]!.question).toBe('Which of the following muscles is innervated by the "musculocutaneous" nerve?');
    expect(items[2]!.question).toBe("The foramen magnum is part of which bone?\n(Choose one.)");
    expect(outcome.notes).toEqual(["skipped subjects not selected: astronomy"]);
  });

  test("selects subjects with --subset", async () => {
    const { items } = await convert("mmlu", ["anatomy_test.csv", "astronomy_test.csv"], {
      subset: ["astronomy"],
    });
    expect(items).toEqual([
      {
        question: "Which planet is closest to the Sun?",
        options: { A: "Venus", B: "Mercury", C: "Mars", D: "Earth" },
        answer: "Mercury",
        answer_idx: "B",
        subject: "astronomy",
      },
    ]);
  });
});

describe("mmlu-pro", () => {
  const listSchema = [
    { name: "root", num_children: 5 },
    { name: "question_id", type: "INT64", repetition_type: "OPTIONAL" },
    { name: "question", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    { name: "options", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    { name: "answer", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    { name: "category", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  ] as const;

  test("keeps the health category with up to ten options A-J", async () => {
    const { outcome, items } = await convert("mmlu-pro", ["mmlu_pro_test.jsonl"]);
    expect(outcome.source).toBe("MMLU-Pro_Medical_test");
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0]!.options)).toEqual("ABCDEFGHIJ".split(""));
    expect(items[0]).toMatchObject({ answer: "Liver", answer_idx: "C", question_id: 7001, category: "health" });
  });

  test("takes several categories with --subset, e.g. health and biology", async () => {
    const { items } = await convert("mmlu-pro", ["mmlu_pro_test.jsonl"], { subset: ["health", "biology"] });
    expect(items.map((item) => Object.keys(item.options).length)).toEqual([10, 9]);
  });

  test("reads the Parquet release with options as a list column", async () => {
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: "question_id", data: [1n] },
        { name: "question", data: ["Which organ filters blood?"] },
        { name: "options", data: [["Heart", "Kidney", "Lung"]] },
        { name: "answer", data: ["B"] },
        { name: "category", data: ["health"] },
      ],
      schema: listSchema.map((element) => ({ ...element })),
    });
    const path = writeIn(tempDir(), "test-00000-of-00001.parquet", new Uint8Array(parquet));
    const { items } = await convert("mmlu-pro", [path]);
    expect(items[0]).toMatchObject({ options: { A: "Heart", B: "Kidney", C: "Lung" }, answer: "Kidney" });
  });
});

describe("gpqa", () => {
  test("shuffles the four answers reproducibly with the seed and keeps the Biology domain", async () => {
    const first = await convert("gpqa", ["gpqa_main.csv"]);
    const again = await convert("gpqa", ["gpqa_main.csv"]);
    expect(first.outcome.source).toBe("GPQA_Medical_test");
    expect(first.items).toEqual(again.items);
    expect(first.items.map((item) => item.id)).toEqual(["recAAA111", "recCCC333"]);
    for (const item of first.items) expect(item.options[item.answer_idx]).toBe(item.answer);
    expect(first.items[0]!.answer).toBe("Intron retention in many transcripts");
    const answers = [
      "Intron retention in many transcripts",
      "Increased DNA replication speed",
      "Loss of the nuclear envelope",
      "Doubling of ribosome count",
    ];
    expect(Object.values(first.items[0]!.options)).toEqual(shuffleForItem(answers, 42, "recAAA111"));
  });

  test("gives another order with another seed and all domains with --subset all", async () => {
    const other = await convert("gpqa", ["gpqa_main.csv"], { seed: 7, subset: ["all"] });
    expect(other.items).toHaveLength(3);
    const orders = [1, 2, 3, 4, 5].map((seed) => shuffleForItem(["a", "b", "c", "d"], seed, "k").join(""));
    expect(new Set(orders).size).toBeGreaterThan(1);
  });
});

describe("medbullets", () => {
  test("reads the op4 CSV columns opa..opd and names the source MedBullets_op4", async () => {
    const { outcome, items } = await convert("medbullets", ["medbullets_op4.csv"]);
    expect(outcome.source).toBe("MedBullets_op4");
    expect(items[0]).toMatchObject({
      answer_idx: "B",
      answer: "Lumbar puncture",
      link: "https://example.org/medbullets/1",
    });
    expect(items[0]!.question).toContain('"the worst of his life"');
  });

  test("reads op5 rows with ope and names the source MedBullets_op5", async () => {
    const { outcome, items } = await convert("medbullets", ["medbullets_op5.jsonl"]);
    expect(outcome.source).toBe("MedBullets_op5");
    expect(Object.keys(items[0]!.options)).toEqual(["A", "B", "C", "D", "E"]);
  });
});

describe("medxpertqa", () => {
  test("takes label as the answer letter, reads option lists, and cuts the repeated Answer Choices", async () => {
    const { outcome, items } = await convert("medxpertqa", ["medxpertqa_text_test.jsonl"]);
    expect(outcome.source).toBe("MedXpertQA");
    expect(items[0]!.question).toBe(
      "A 52-year-old man has progressive dyspnea and clubbing. Which finding on CT is most consistent with usual interstitial pneumonia?",
    );
    expect(items[0]).toMatchObject({ answer_idx: "B", id: "Text-0", body_system: "Respiratory" });
    expect(items[1]).toMatchObject({ answer_idx: "C", answer: "Naproxen" });
  });
});

describe("lancet and nejm", () => {
  test("drops a Lancet item whose answer differs from its answer letter, reporting where", async () => {
    const { outcome, items } = await convert("lancet", ["lancet.jsonl"]);
    expect(outcome.source).toBe("Lancet");
    expect(items).toHaveLength(1);
    expect(outcome.dropped).toEqual([
      {
        where: `${fixture("lancet.jsonl")}:2`,
        reason: 'answer "ATP7B" differs from option A "HFE"',
      },
    ]);
  });

  test("reads NEJM options given as a JSON string", async () => {
    const { outcome, items } = await convert("nejm", ["nejm.jsonl"]);
    expect(outcome.source).toBe("NEJM");
    expect(items[0]!.options).toEqual({
      A: "Erythema multiforme",
      B: "Urticaria",
      C: "Tinea corporis",
      D: "Psoriasis",
    });
  });

  test("maps other column names with --map", async () => {
    const path = writeIn(
      tempDir(),
      "renamed.jsonl",
      `${JSON.stringify({ stem: "Q?", choices: { A: "x", B: "y" }, key: "B" })}\n`,
    );
    const { items } = await convert("nejm", [path], {
      fieldMap: { question: "stem", options: "choices", answer_idx: "key" },
    });
    expect(items[0]).toEqual({ question: "Q?", options: { A: "x", B: "y" }, answer: "y", answer_idx: "B" });
  });
});

describe("hle (Humanity's Last Exam, medical subset)", () => {
  test("cuts 'C. Text' answers, completes prefixes from the option, and drops what still differs", async () => {
    const { outcome, items } = await convert("hle", ["hle_midium.jsonl"]);
    expect(outcome.source).toBe("HumanityLastExam");
    expect(items.map((item) => [item.idx, item.answer_idx, item.answer])).toEqual([
      [0, "B", "BTK"],
      // "C. Trisomy 21" is a prefix of option C: m1 takes the option's text.
      [1, "C", "Trisomy 21 (Down syndrome)"],
      // split(". ")[1] keeps "Hold warfarin", a prefix of option B again.
      [2, "B", "Hold warfarin. Give oral vitamin K"],
    ]);
    expect(Object.keys(items[1]!.options)).toEqual(["A", "B", "C", "D", "E", "F"]);
    expect(outcome.notes).toEqual([
      "answers cut from 'C. Text' form; 2 completed from their option text",
    ]);
    expect(outcome.dropped).toEqual([
      {
        where: `${fixture("hle_midium.jsonl")}:4`,
        reason:
          'answer "Galactose-1-phosphate uridylyltransferase" differs from option A "Galactokinase"',
      },
    ]);
  });

  test("refuses an answer without a letter prefix, naming the line (m1 would stop with IndexError)", async () => {
    const path = writeIn(
      tempDir(),
      "midium.jsonl",
      `${JSON.stringify({ question: "Q?", options: { A: "x", B: "y" }, answer: "y", answer_idx: "B" })}\n`,
    );
    await expect(convert("hle", [path])).rejects.toThrow(
      `${path}:1: answer: "y" is not in the 'C. Text' form m1 expects for this benchmark`,
    );
  });
});

describe("headqa", () => {
  test("letters answers by aid, maps ra, and leaves out questions that need an image", async () => {
    const { outcome, items } = await convert("headqa", ["headqa_en.json"]);
    expect(outcome.source).toBe("HeadQA_test");
    expect(items.map((item) => [item.qid, item.answer_idx, item.category])).toEqual([
      [1, "B", "medicine"],
      [7, "C", "nursing"],
    ]);
    expect(outcome.dropped).toEqual([
      { where: `${fixture("headqa_en.json")} item Cuaderno_2013_1_M.data[1]`, reason: "needs an image" },
    ]);
  });

  test("selects categories with --subset and reads the openlifescienceai rows", async () => {
    const { items } = await convert("headqa", ["headqa_en.json"], { subset: ["nursing"] });
    expect(items).toHaveLength(1);
    const nested = await convert("headqa", ["headqa_openlifescience.jsonl"]);
    expect(nested.items[0]).toMatchObject({ answer_idx: "B", answer: "Insulin" });
  });
});

describe("convertBenchmark", () => {
  test("appends a source to an existing eval file and refuses a repeated source name", async () => {
    const dir = tempDir();
    const out = join(dir, "eval.json");
    const base = { seed: 42, fieldMap: {}, out };
    await convertBenchmark({ ...base, kind: "medqa", inputs: [fixture("medqa_us_test.jsonl")] });
    const outcome = await convertBenchmark({
      ...base,
      kind: "nejm",
      inputs: [fixture("nejm.jsonl")],
      append: true,
    });
    expect(outcome.sources).toEqual(["MedQA_USLME_test", "NEJM"]);
    await expect(
      convertBenchmark({ ...base, kind: "nejm", inputs: [fixture("nejm.jsonl")], append: true }),
    ).rejects.toThrow(/already has a source 'NEJM'.*--source/);
  });

  test("keeps the first N items with limit and names the source with --source", async () => {
    const { outcome, content } = await convert("medqa", ["medqa_us_test.jsonl"], { limit: 2, source: "medqa" });
    expect(Object.keys(content)).toEqual(["medqa"]);
    expect(outcome.itemCount).toBe(2);
  });
});
