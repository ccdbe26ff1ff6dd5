import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { M1_EVAL_DATA } from "../../src/data/hub/catalog.js";
import { hubCachePath } from "../../src/data/hub/download.js";
import { md5Hex } from "../../src/eval/datasets/index.js";
import { startFakeHub, stopFakeHubs } from "../fixtures/fake-hub.js";
import { errorLines, filesIn, fixture, writeIn } from "./helpers.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { runCli, runM1 } from "../support/cli.js";

const tempDir = useTempDirs("m1-datasets-");

// The one run of the real binary (exit code and stderr end to end). It starts while the file is
// collected, so the slow process start overlaps the in-process tests.
const spawnedCsvRun = (async () => {
  const dir = tempDir();
  const csv = writeIn(dir, "anatomy_test.csv", "Q1?,a,b,c,d,A\nQ2?,a,b\n");
  const out = join(dir, "out", "eval.json");
  return { dir, result: await runM1(["data", "convert", "--from", "mmlu", "--in", csv, "--out", out]) };
})();

interface BadInput {
  name: string;
  /** Builds the arguments after `data convert`, given a scratch dir and the output path. */
  args: (dir: string, out: string) => string[];
  /** What the first stderr line must contain: file, line or item, and field. */
  expected: RegExp;
}

const medqaRow = { question: "Q?", options: { A: "x", B: "y" }, answer: "x", answer_idx: "A" };
const jsonl = (...rows: unknown[]) => rows.map((row) => JSON.stringify(row)).join("\n") + "\n";

const badInputs: BadInput[] = [
  {
    name: "an unknown --from kind",
    args: (_dir, out) => ["--from", "medqa2", "--in", fixture("medqa_us_test.jsonl"), "--out", out],
    expected: /--from: "medqa2" is not one of medqa, medmcqa, .* \(fix: use e\.g\. --from medqa\)$/,
  },
  {
    name: "a missing --in file",
    args: (dir, out) => ["--from", "medqa", "--in", join(dir, "nope.jsonl"), "--out", out],
    expected: /nope\.jsonl: --in: no such file \(fix: check the path\)/,
  },
  {
    name: "an unsupported input type",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.txt", "x"), "--out", out],
    expected: /medqa\.txt: --in: unsupported file type '\.txt'/,
  },
  {
    name: "bad JSON on a JSONL line",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.jsonl", `${JSON.stringify(medqaRow)}\n{"question": \n`), "--out", out],
    expected: /medqa\.jsonl:2: not valid JSON/,
  },
  {
    name: "an empty input file",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.jsonl", ""), "--out", out],
    expected: /medqa\.jsonl: --in: no items to write/,
  },
  {
    name: "a row without a question",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.jsonl", jsonl(medqaRow, { ...medqaRow, question: undefined })), "--out", out],
    expected: /medqa\.jsonl:2: question: is missing/,
  },
  {
    name: "missing options",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.jsonl", jsonl({ ...medqaRow, options: undefined })), "--out", out],
    expected: /medqa\.jsonl:1: options: is missing/,
  },
  {
    name: "a non-string option text",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.jsonl", jsonl({ ...medqaRow, options: { A: "x", B: { text: "y" } } })), "--out", out],
    expected: /medqa\.jsonl:1: options\.B: option text must be a string, got an object/,
  },
  {
    name: "an answer_idx not among the options",
    args: (dir, out) => ["--from", "medqa", "--in", writeIn(dir, "medqa.jsonl", jsonl({ ...medqaRow, answer_idx: "E" })), "--out", out],
    expected: /medqa\.jsonl:1: answer_idx: 'E' is not among the options A, B/,
  },
  {
    name: "a CSV row with missing columns",
    args: (dir, out) => ["--from", "mmlu", "--in", writeIn(dir, "anatomy_test.csv", "Q1?,a,b,c,d,A\nQ2?,a,b,c\n"), "--out", out],
    expected: /anatomy_test\.csv:2: D: the row has 4 columns; MMLU rows have 6/,
  },
  {
    name: "a GPQA CSV without the Correct Answer column",
    args: (dir, out) => ["--from", "gpqa", "--in", writeIn(dir, "gpqa.csv", "Question,Right Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\nQ?,a,b,c,d\n"), "--out", out],
    expected: /gpqa\.csv:1: Correct Answer: is missing from the header/,
  },
  {
    name: "a MedMCQA test-split row (cop -1)",
    args: (dir, out) => ["--from", "medmcqa", "--in", writeIn(dir, "test.json", jsonl({ question: "Q?", opa: "a", opb: "b", opc: "c", opd: "d", cop: -1 })), "--out", out],
    expected: /test\.json:1: cop: is -1: the MedMCQA test split has no answers/,
  },
  {
    name: "a HEAD-QA ra that names no answer",
    args: (dir, out) => ["--from", "headqa", "--in", writeIn(dir, "headqa.jsonl", jsonl({ qtext: "Q?", ra: 9, answers: [{ aid: 1, atext: "a" }, { aid: 2, atext: "b" }] })), "--out", out],
    expected: /headqa\.jsonl:1: ra: 9 is not the aid of any answer/,
  },
  {
    name: "a --map column the file lacks",
    args: (_dir, out) => ["--from", "nejm", "--in", fixture("nejm.jsonl"), "--map", "question=stem", "--out", out],
    expected: /nejm\.jsonl:1: stem: has no column 'stem' \(fix: check --map question=stem\)/,
  },
  {
    name: "an output path that is not .json",
    args: (_dir, out) => ["--from", "nejm", "--in", fixture("nejm.jsonl"), "--out", out.replace(/\.json$/, ".jsonl")],
    expected: /out\.jsonl: --out: the m1 eval format is a single JSON file/,
  },
  {
    name: "PubMedQA labels without the labeled items",
    args: (dir, out) => ["--from", "pubmedqa", "--in", writeIn(dir, "test_ground_truth.json", { "1": "yes" }), "--out", out],
    expected: /test_ground_truth\.json: --in: no labeled items among the inputs/,
  },
  {
    name: "a --cop-base outside 0 and 1",
    args: (_dir, out) => ["--from", "medmcqa", "--in", fixture("medmcqa_dev.jsonl"), "--cop-base", "2", "--out", out],
    expected: /--cop-base: "2" is not one of 0, 1 \(fix: use e\.g\. --cop-base 0\)$/,
  },
];

describe("m1 data convert exits 2 on bad input, names file, line/item and field, and writes nothing", () => {
  for (const { name, args, expected } of badInputs) {
    test(`rejects ${name}`, async () => {
      const dir = tempDir();
      const outDir = join(dir, "out");
      const result = await runCli(["data", "convert", ...args(dir, join(outDir, "out.json"))]);
      expect(result.code).toBe(2);
      const [first, ...rest] = errorLines(result.stderr);
      expect(first).toMatch(expected);
      expect(rest.filter((line) => !line.includes("--help"))).toEqual([]);
      expect(filesIn(outDir)).toEqual([]);
      expect(result.stdout).toBe("");
    });
  }

  test("keeps an existing output file untouched when a conversion fails", async () => {
    const dir = tempDir();
    const out = writeIn(dir, "eval.json", { medqa: [medqaRow] });
    const before = readFileSync(out, "utf8");
    const bad = writeIn(dir, "bad.jsonl", jsonl({ ...medqaRow, answer_idx: "Q" }));
    const result = await runCli(["data", "convert", "--from", "medqa", "--in", bad, "--out", out, "--append"]);
    expect(result.code).toBe(2);
    expect(readFileSync(out, "utf8")).toBe(before);
    expect(filesIn(dir)).toEqual(["bad.jsonl", "eval.json"]);
  });
});

describe("m1 data convert end to end", () => {
  test("converts a fixture and prints what it wrote", async () => {
    const dir = tempDir();
    const out = join(dir, "eval.json");
    const result = await runCli(["data", "convert", "--from", "medqa", "--in", fixture("medqa_us_test.jsonl"), "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`wrote 3 items as source 'MedQA_USLME_test' to ${out} (sources: MedQA_USLME_test)\n`);
  });

  test("exits 2 (node bin/m1.js) with one error line for a CSV with missing columns, writing nothing", async () => {
    const { dir, result } = await spawnedCsvRun;
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^m1: error: .*anatomy_test\.csv:2: C: the row has 3 columns; MMLU rows have 6: question, A, B, C, D, answer \(fix: /,
      ),
    ]);
    expect(filesIn(join(dir, "out"))).toEqual([]);
  });
});

describe("m1 data check", () => {
  test("exits 2 with one line naming the item and field of a bad file", async () => {
    const path = writeIn(tempDir(), "bad.json", { medqa: [medqaRow, { ...medqaRow, answer_idx: "Z" }] });
    const result = await runCli(["data", "check", path]);
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(/bad\.json: item medqa\[1\]: answer_idx: 'Z' is not among the options A, B \(fix: /),
    ]);
  });

  test("prints per-source item and dropped counts of an eval file", async () => {
    const mismatched = { ...medqaRow, answer: "y" };
    const path = writeIn(tempDir(), "eval.json", { medqa: [medqaRow, mismatched], pubmedqa: [medqaRow] });
    const result = await runCli(["data", "check", path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "source    items  dropped  options (count: items)\n" +
        "medqa         2        1  2: 1\n" +
        "pubmedqa      1        0  2: 1\n" +
        "total         3        1  2: 2\n",
    );
    expect(result.stderr).toContain('dropped medqa[1]: answer "y" differs from options.A "x"');
  });

  test("shows m1's eleven sources, HLE included, built from the converters, and their debug file", async () => {
    const dir = tempDir();
    const out = join(dir, "m1_eval_data.json");
    const sources: [string, string, string[]][] = [
      ["medmcqa", "MedMCQA_validation", ["medmcqa_validation.jsonl"]],
      ["medqa", "MedQA_USLME_test", ["medqa_us_test.jsonl"]],
      ["pubmedqa", "PubMedQA_test", ["../../../data/pubmedqa/ori_pqal.json", "../../../data/pubmedqa/test_ground_truth.json"]],
      ["mmlu-pro", "MMLU-Pro_Medical_test", ["mmlu_pro_test.jsonl"]],
      ["gpqa", "GPQA_Medical_test", ["gpqa_main.csv"]],
      ["lancet", "Lancet", ["lancet.jsonl"]],
      ["hle", "HumanityLastExam", ["hle_midium.jsonl"]],
      ["medbullets", "MedBullets_op4", ["medbullets_op4.csv"]],
      ["medbullets", "MedBullets_op5", ["medbullets_op5.jsonl"]],
      ["medxpertqa", "MedXpertQA", ["medxpertqa_text_test.jsonl"]],
      ["nejm", "NEJM", ["nejm.jsonl"]],
    ];
    for (const [kind, source, inputs] of sources) {
      const args = ["data", "convert", "--from", kind, "--out", out, "--source", source, "--append"];
      for (const input of inputs) args.push("--in", fixture(input));
      if (kind === "pubmedqa") args.push("--limit", "5");
      const converted = await runCli(args);
      expect(converted.code, converted.stderr).toBe(0);
    }
    const result = await runCli(["data", "check", out]);
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split("\n");
    expect(rows.map((row) => row.split(/\s{2,}/)[0])).toEqual([
      "source",
      ...sources.map(([, source]) => source),
      "total",
    ]);
    expect(rows).toContain(`${"HumanityLastExam".padEnd(21)}      3        0  4: 1, 5: 1, 6: 1`);
    expect(rows.find((row) => row.startsWith("MMLU-Pro_Medical_test"))).toMatch(/ {2}10: \d+$/);
    expect(result.stderr).toMatch(/^md5 [0-9a-f]{32}$/m);

    const debug = join(dir, "sub_eval_data.json");
    expect((await runCli(["data", "subset", out, "--out", debug])).code).toBe(0);
    const subset = JSON.parse(readFileSync(debug, "utf8")) as Record<string, unknown[]>;
    expect(Object.keys(subset)).toEqual(sources.map(([, source]) => source));
    const full = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown[]>;
    for (const [source, items] of Object.entries(subset)) {
      expect(items).toEqual(full[source]!.slice(0, 3));
    }
    // Written as Python's json.dump(indent=2): ASCII escapes, no final newline.
    const text = readFileSync(debug, "utf8");
    expect(text.endsWith("]\n}")).toBe(true);
    expect([...text].every((character) => character.charCodeAt(0) < 0x80)).toBe(true);
  });
});

describe("m1 data fetch", () => {
  afterEach(stopFakeHubs);
  const BODY = Buffer.from(JSON.stringify({ medqa: [medqaRow] }));
  const BODY_MD5 = md5Hex(BODY);

  async function withEndpoint<T>(endpoint: string, run: () => Promise<T>): Promise<T> {
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = endpoint;
    try {
      return await run();
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  }

  test("prints the cached file's path of a one-file dataset on stdout", async () => {
    const hub = await startFakeHub();
    hub.addFile(M1_EVAL_DATA.repo, M1_EVAL_DATA.file, BODY);
    const cacheDir = tempDir();
    const result = await withEndpoint(hub.endpoint, () =>
      runCli(["data", "fetch", "m1-eval", "--cache-dir", cacheDir, "--md5", BODY_MD5, "--quiet"]),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${join(cacheDir, "hub", "datasets", "UCSC-VLAA", "m1_eval_data", "main", "m1_eval_data.json")}\n`);
    expect(result.stderr).toContain(`m1-eval: downloaded ${BODY.length} bytes, md5 ${BODY_MD5}`);
  });

  test("fetches a training set into --local-dir and prints the folder", async () => {
    const hub = await startFakeHub();
    hub.addFile("UCSC-VLAA/m1k-tokenized", "data/train-00000-of-00001.parquet", Buffer.from("PAR1....PAR1"));
    hub.addFile("UCSC-VLAA/m1k-tokenized", "README.md", "---\nconfigs: []\n---\n");
    hub.addFile("UCSC-VLAA/m1k-tokenized", ".gitattributes", "*.parquet filter=lfs\n");
    const localDir = join(tempDir(), "m1k");
    const result = await withEndpoint(hub.endpoint, () =>
      runCli(["data", "fetch", "m1k", "--local-dir", localDir, "--quiet"]),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${localDir}\n`);
    expect(filesIn(join(localDir, "data"))).toEqual(["train-00000-of-00001.parquet"]);
    expect(existsSync(join(localDir, ".gitattributes"))).toBe(false);
    expect(result.stderr).toMatch(/m1k: 2 files from UCSC-VLAA\/m1k-tokenized@main: downloaded 2 \(\d+ bytes\), 0 already there/);
  });

  test("exits 1 with one error line on an md5 mismatch and keeps nothing", async () => {
    const hub = await startFakeHub();
    hub.addFile(M1_EVAL_DATA.repo, M1_EVAL_DATA.file, BODY);
    const cacheDir = tempDir();
    const result = await withEndpoint(hub.endpoint, () =>
      runCli(["data", "fetch", "m1-eval", "--cache-dir", cacheDir, "--quiet"]),
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/m1: error: downloaded m1_eval_data\.json has md5/)]);
    expect(existsSync(hubCachePath({ ...M1_EVAL_DATA, cacheDir, revision: "main" }))).toBe(false);
  });

  test("exits 2 on a malformed --md5 and on an unknown dataset", async () => {
    const bad = await runCli(["data", "fetch", "m1-eval", "--md5", "abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--md5: 'abc' is not an md5 sum/);
    const unknown = await runCli(["data", "fetch", "m1-evl"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/<dataset>: unknown dataset 'm1-evl' \(fix: did you mean 'm1-eval'\?/);
  });
});
