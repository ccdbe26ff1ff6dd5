import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { collectTrainingRows } from "../../src/curate/collect/collect.js";
import { mapHeadqaRows } from "../../src/curate/collect/headqa.js";
import { mapMedmcqaRows } from "../../src/curate/collect/medmcqa.js";
import { mapMedqaRows } from "../../src/curate/collect/medqa.js";
import { loadPubmedqaRows, readPubmedqaFile } from "../../src/curate/collect/pubmedqa.js";
import type { CollectedRow } from "../../src/curate/collect/unified-row.js";
import { defaultRng } from "../../src/curate/rng/generator.js";
import { InputError } from "../../src/errors.js";
import { readRows, writeRows } from "../../src/io/rows.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const PUBMEDQA = new URL("../../data/pubmedqa/ori_pqal.json", import.meta.url).pathname;
const HUATUO = new URL("../../data/huatuo-demo/demo_data.json", import.meta.url).pathname;
const fixture = (name: string) => new URL(`../fixtures/curate/${name}`, import.meta.url).pathname;
const tempDir = useTempDir();
/** The train half, loaded once for the tests that only read it. */
let trainHalf: Promise<CollectedRow[]> | undefined;
const pubmedqaTrain = () => (trainHalf ??= loadPubmedqaRows(PUBMEDQA, 42, "train"));

/** The options of a prompt, in order. */
function promptOptions(row: CollectedRow): string[] {
  return row.prompt
    .split("\n")
    .filter((line) => /^[A-Z]\. /.test(line))
    .map((line) => line.slice(3));
}

function expectConsistent(row: CollectedRow): void {
  expect(row.answer_letter).toBe(String.fromCharCode(65 + row.answer_idx));
  expect(row.prompt).toContain(`\n${row.answer_letter}. ${row.answer_string}`);
}

describe("collect: PubMedQA (the bundled ori_pqal.json)", () => {
  it("keeps the 500-row train half of m1's seed-0 split, in permutation order", async () => {
    const train = await pubmedqaTrain();
    const test = await loadPubmedqaRows(PUBMEDQA, 42, "test");
    expect(train).toHaveLength(500);
    expect(test).toHaveLength(500);
    const pubid = (row: CollectedRow) => /'pubid': (\d+)/.exec(row.metadata)![1]!;
    const all = new Set([...train, ...test].map(pubid));
    expect(all.size).toBe(1000);
    // The train half starts at position 500 of default_rng(0).permutation(1000).
    const items = await readPubmedqaFile(PUBMEDQA);
    const firstTrain = items[defaultRng(0).permutation(1000)[500]!]!;
    expect(pubid(train[0]!)).toBe(String(firstTrain.pubid));
  });

  it("builds m1's prompt: contexts, question, shuffled yes/no/maybe", async () => {
    const [row] = await pubmedqaTrain();
    expect(row!.source).toBe("qiaojin/PubMedQA:pqa_labeled");
    expect(row!.prompt.startsWith("To examine the attitudes of players and coaches")).toBe(true);
    expect(row!.prompt).toContain("\nDoes rugby headgear prevent concussion?\nA. ");
    expect(promptOptions(row!).sort()).toEqual(["maybe", "no", "yes"]);
    expectConsistent(row!);
  });

  it("stores the Hugging Face row as Python text, prediction strings split into characters", async () => {
    const [row] = await pubmedqaTrain();
    expect(
      row!.metadata.startsWith(
        "{'pubid': 11867487, 'question': 'Does rugby headgear prevent concussion?', 'context': {'contexts': [",
      ),
    ).toBe(true);
    expect(row!.metadata).toContain("'reasoning_required_pred': ['m', 'a', 'y', 'b', 'e']");
    expect(row!.metadata.endsWith("'final_decision': 'maybe'}")).toBe(true);
  });

  it("shuffles every row with the source's default_rng(42), after one preview shuffle of row 0", async () => {
    const items = await readPubmedqaFile(PUBMEDQA);
    const rng = defaultRng(42);
    const expected = items.map(() => {
      const options = ["yes", "no", "maybe"];
      rng.shuffle(options);
      return options;
    });
    // m1 maps row 0 once for its printed preview before mapping the dataset.
    const preview = ["yes", "no", "maybe"];
    defaultRng(42).shuffle(preview);
    expect(expected[0]).toEqual(preview);
    const train = await pubmedqaTrain();
    const order = defaultRng(0).permutation(1000).slice(500);
    train.forEach((row, position) =>
      expect(promptOptions(row)).toEqual(expected[order[position]! + 1]),
    );
  });
});

describe("collect: MedQA, MedMCQA and HeadQA rows in their published shapes", () => {
  it("maps MedQA-USMLE rows (and the HuatuoGPT-o1 demo's 5-option MedQA rows)", async () => {
    const rows = mapMedqaRows(await readRows(fixture("medqa-rows.jsonl")), "medqa.jsonl", 42);
    expect(rows).toHaveLength(3);
    rows.forEach(expectConsistent);
    expect(rows[0]!.source).toBe("GBaker/MedQA-USMLE-4-options");
    expect(rows[0]!.prompt.split("\n")[0]).toBe(
      "A 23-year-old woman at 22 weeks gestation has burning on urination. Which treatment is best?",
    );
    expect(rows[0]!.answer_string).toBe("Nitrofurantoin");
    const demo = mapMedqaRows(await readRows(HUATUO), HUATUO, 42);
    expect(demo).toHaveLength(198);
    demo.forEach(expectConsistent);
    expect(promptOptions(demo[0]!)).toHaveLength(5);
  });

  it("maps MedMCQA rows with cop 0-3 from JSONL and Parquet alike", async () => {
    const source = await readRows(fixture("medmcqa-rows.jsonl"));
    const fromJsonl = mapMedmcqaRows(source, "medmcqa.jsonl", 42);
    expect(fromJsonl.map((row) => row.answer_string)).toEqual([
      "Atrophy",
      "Vitamin B12",
      "Roux en Y Duodenal By pass",
    ]);
    fromJsonl.forEach(expectConsistent);
    expect(fromJsonl[1]!.metadata).toContain("'exp': None");
    const parquet = path(tempDir(), "medmcqa.parquet");
    writeRows(parquet, source);
    const fromParquet = mapMedmcqaRows(await readRows(parquet), parquet, 42);
    expect(fromParquet.map((row) => row.prompt)).toEqual(fromJsonl.map((row) => row.prompt));
  });

  it("reads the original 1-4 cop numbering only when told", async () => {
    const rows = (await readRows(fixture("medmcqa-rows.jsonl"))).map((row) => ({
      ...row,
      cop: (row.cop as number) + 1,
    }));
    expect(mapMedmcqaRows(rows, "x.jsonl", 42, 1).map((row) => row.answer_string)[0]).toBe(
      "Atrophy",
    );
    rows[2]!.cop = 4;
    expect(() => mapMedmcqaRows(rows, "x.jsonl", 42, 0)).toThrow(
      /cop: 4 is not an option number 0-3/,
    );
  });

  it("maps HeadQA rows nested under data", async () => {
    const rows = mapHeadqaRows(await readRows(fixture("headqa-rows.jsonl")), "headqa.jsonl", 42);
    expect(rows.map((row) => row.answer_string)).toEqual(["Internal mitochondrial", "Cefotaxime"]);
    rows.forEach(expectConsistent);
    expect(rows[0]!.source).toBe("openlifescienceai/headqa");
  });

  it("concatenates sources in m1's order: MedQA, PubMedQA, HeadQA, MedMCQA", async () => {
    const result = await collectTrainingRows({
      medqa: fixture("medqa-rows.jsonl"),
      medmcqa: fixture("medmcqa-rows.jsonl"),
      headqa: fixture("headqa-rows.jsonl"),
      pubmedqa: PUBMEDQA,
      seed: 42,
    });
    expect(Object.entries(result.counts)).toEqual([
      ["GBaker/MedQA-USMLE-4-options", 3],
      ["qiaojin/PubMedQA:pqa_labeled", 500],
      ["openlifescienceai/headqa", 2],
      ["openlifescienceai/medmcqa", 3],
    ]);
    expect(Object.keys(result.rows[0]!)).toEqual([
      "source",
      "metadata",
      "prompt",
      "answer_letter",
      "answer_idx",
      "answer_string",
    ]);
  });

  it("names the file, line and field of a bad row", async () => {
    const file = path(tempDir(), "bad.jsonl");
    writeFileSync(
      file,
      `${readFileSync(fixture("medqa-rows.jsonl"), "utf8")}\n{"question": "q", "options": {"A": "x"}, "answer_idx": "B"}\n`,
    );
    const error = await collectTrainingRows({ medqa: file, seed: 42 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      `${file}:5: answer_idx: 'B' is not among the option keys A (fix: check that the file holds MedQA-USMLE-4-options rows)`,
    );
  });
});

describe("m1 curate collect (CLI)", () => {
  it("exits 2 with one line naming file, line and field, and writes nothing", async () => {
    const dir = tempDir();
    const bad = path(dir, "bad.jsonl");
    writeFileSync(bad, '{"question": "q", "opa": "a", "opb": "b", "opc": "c", "opd": "d"}\n');
    const out = path(dir, "out.jsonl");
    const result = await runCli(["curate", "collect", "--medmcqa", bad, "--out", out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:1: cop: missing`);
    expect(existsSync(out)).toBe(false);
  });

  it("writes the unified rows of every source given", async () => {
    const out = path(tempDir(), "m196k.parquet");
    const result = await runCli([
      "curate",
      "collect",
      "--pubmedqa",
      PUBMEDQA,
      "--headqa",
      fixture("headqa-rows.jsonl"),
      "--out",
      out,
    ]);
    expect(result.code).toBe(0);
    const rows = await readRows(out);
    expect(rows).toHaveLength(502);
    expect(rows[500]!.source).toBe("openlifescienceai/headqa");
  });
});
