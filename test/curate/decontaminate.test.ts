import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decontaminate } from "../../src/curate/dedup/decontaminate.js";
import { readRows, writeRows } from "../../src/io/rows.js";
import { startFakeHub } from "../fixtures/fake-hub.js";
import { bruteForceCrossPairs } from "../fixtures/dedup/oracle.js";
import { nearDuplicateFamilies } from "../fixtures/dedup/random-texts.js";
import { runCli } from "../support/cli.js";
import { useTempDir } from "../support/temp-dirs.js";

const tempDir = useTempDir();

describe("decontaminate finds exactly the pairs a brute-force oracle finds", () => {
  const texts = nearDuplicateFamilies({ seed: 21, families: 400, maxLength: 80, maxEdits: 5 });
  const rows = texts.slice(0, 700);
  const references = texts.slice(700);

  for (const threshold of ["90", "95", "100"]) {
    it(`at threshold ${threshold} (emoji, CJK extension B, empty strings included)`, async () => {
      const truth = bruteForceCrossPairs(rows, references, threshold);
      const result = await decontaminate(rows, references, { threshold, workers: 0 });
      expect(result.pairs.map((pair) => [pair.row, pair.against])).toEqual(
        truth.map((pair) => [pair.a, pair.b]),
      );
      result.pairs.forEach((pair, k) =>
        expect(pair.score).toBe(
          truth[k]!.total === 0 ? 100 : (200 * truth[k]!.lcs) / truth[k]!.total,
        ),
      );
      const dropped = new Set(truth.map((pair) => pair.a));
      expect(result.keep).toEqual(rows.map((_, row) => !dropped.has(row)));
    });
  }

  it("gives the same pairs on worker threads as on one thread", async () => {
    const single = await decontaminate(rows, references, { threshold: 90, workers: 0 });
    const threaded = await decontaminate(rows, references, { threshold: 90, workers: 2 });
    expect(threaded.pairs).toEqual(single.pairs);
  });
});

const EVAL = {
  MedQA_USLME_test: [
    {
      question: "Which nerve supplies the deltoid muscle?",
      options: { A: "Axillary" },
      answer_idx: "A",
    },
    { question: "Drug of choice for absence seizures is:", options: { A: "Ethosuximide" } },
  ],
  PubMedQA_test: [{ question: "Does aspirin prevent colorectal adenoma recurrence?" }],
};

const TRAINING = [
  { id: 0, prompt: "Which nerve supplies the deltoid muscle?" },
  { id: 1, prompt: "Which nerve supplies the deltoid muscle?\nA. Axillary\nB. Radial\nC. Ulnar" },
  { id: 2, prompt: "Drug of choice for absence seizure is:" },
  { id: 3, prompt: "Most common site of carcinoid tumour is:" },
];

/** `m1 curate decontaminate` on dir/train.jsonl's prompts, then `rest`. */
function decontaminateArgs(dir: string, ...rest: string[]): string[] {
  return [
    "curate",
    "decontaminate",
    "--in",
    join(dir, "train.jsonl"),
    "--column",
    "prompt",
    ...rest,
  ];
}

function writeJsonl(path: string, rows: readonly object[]): void {
  writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
}

describe("m1 curate decontaminate", () => {
  it("compares the prompt with each eval item's question, as m1 does, and writes the matches", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "train.jsonl"), TRAINING);
    writeFileSync(join(dir, "m1_eval_data.json"), JSON.stringify(EVAL));
    const { code, stderr } = await runCli(
      decontaminateArgs(
        dir,
        "--against",
        join(dir, "m1_eval_data.json"),
        "--out",
        join(dir, "clean.jsonl"),
        "--pairs",
        join(dir, "pairs.jsonl"),
        "-q",
      ),
    );
    expect(code).toBe(0);
    // Row 1 holds the question plus options: the options push m1's ratio below 95, so it stays.
    expect((await readRows(join(dir, "clean.jsonl"))).map((row) => row.id)).toEqual([1, 3]);
    const pairs = readFileSync(join(dir, "pairs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(pairs).toEqual([
      { row: 0, against: join(dir, "m1_eval_data.json"), item: "MedQA_USLME_test[0]", score: 100 },
      {
        row: 2,
        against: join(dir, "m1_eval_data.json"),
        item: "MedQA_USLME_test[1]",
        score: expect.any(Number),
      },
    ]);
    expect(pairs[1].score).toBeGreaterThan(98);
    expect(stderr).toMatch(
      /4 rows in, 3 reference texts from 1 reference\(s\); 2 pairs >= 95, dropped 2, kept 2/,
    );
  });

  it("takes bare lists and row files with --against-column", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "train.jsonl"), TRAINING);
    writeFileSync(
      join(dir, "list.json"),
      JSON.stringify([{ question: "Most common site of carcinoid tumour is:" }]),
    );
    writeJsonl(join(dir, "prompts.jsonl"), [{ prompt: TRAINING[1]!.prompt }]);
    const { code } = await runCli(
      decontaminateArgs(
        dir,
        "--against",
        join(dir, "list.json"),
        "--against",
        join(dir, "prompts.jsonl"),
        "--against-column",
        "prompt",
        "--out",
        join(dir, "clean.jsonl"),
        "-q",
      ),
    );
    // list.json items have no `prompt` field: a clear error, nothing written.
    expect(code).toBe(2);
    expect(existsSync(join(dir, "clean.jsonl"))).toBe(false);
    const ok = await runCli(
      decontaminateArgs(
        dir,
        "--against",
        join(dir, "prompts.jsonl"),
        "--against-column",
        "prompt",
        "--out",
        join(dir, "clean.jsonl"),
        "-q",
      ),
    );
    expect(ok.code).toBe(0);
    expect((await readRows(join(dir, "clean.jsonl"))).map((row) => row.id)).toEqual([0, 2, 3]);
  });

  it("stops with one line naming the eval file, item and field when a question is not text", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "train.jsonl"), TRAINING);
    writeFileSync(
      join(dir, "eval.json"),
      // A null question is skipped as m1 does; a number is an error.
      JSON.stringify({ medqa: [{ question: "x" }, { question: 42 }, { question: null }] }),
    );
    const { code, stderr } = await runCli(
      decontaminateArgs(
        dir,
        "--against",
        join(dir, "eval.json"),
        "--out",
        join(dir, "clean.jsonl"),
        "-q",
      ),
    );
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/eval\.json: item medqa\[1\]: question: expected a string, got number/);
    expect(existsSync(join(dir, "clean.jsonl"))).toBe(false);
  });

  it("takes several references, each with its own field, and m1's built-in benchmarks from the hub", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "train.jsonl"), TRAINING);
    writeFileSync(join(dir, "m1_eval_data.json"), JSON.stringify(EVAL));
    writeJsonl(join(dir, "stems.jsonl"), [{ stem: "Most common site of carcinoid tumour is:" }]);
    // GPQA diamond as the hub's Parquet conversion serves it, compared on m1's column `Question`.
    const parquet = join(dir, "gpqa.parquet");
    writeRows(parquet, [
      { Question: "Which nerve supplies the deltoid muscle?\nA. Axillary\nB. Radial\nC. Ulnar" },
    ]);
    const hub = await startFakeHub();
    hub.addFile("Idavidrein/gpqa", "gpqa_diamond/train/0000.parquet", readFileSync(parquet), {
      revision: "refs/convert/parquet",
    });
    const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.M1_CACHE_DIR };
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.M1_CACHE_DIR = join(dir, "cache");
    try {
      const args = decontaminateArgs(
        dir,
        "--against",
        join(dir, "m1_eval_data.json"),
        `${join(dir, "stems.jsonl")}=stem`,
        "--against-dataset",
        "gpqa-diamond",
        "--out",
        join(dir, "clean.jsonl"),
        "-q",
      );
      const { code, stderr } = await runCli(args);
      expect(code, stderr).toBe(0);
      // 0 and 2 match eval questions, 3 the stem, 1 (question + options) the GPQA text.
      expect(await readRows(join(dir, "clean.jsonl"))).toEqual([]);
      expect(stderr).toContain(`against ${join(dir, "m1_eval_data.json")} (question): 3 texts`);
      expect(stderr).toContain(`against ${join(dir, "stems.jsonl")} (stem): 1 texts`);
      expect(stderr).toContain("against gpqa-diamond (Question): 1 texts");
      expect(stderr).toContain("gpqa-diamond: 1 file(s) of Idavidrein/gpqa (fetched)");
      // The second run reads the cached copy: no request reaches the hub.
      const asked = hub.requests.length;
      const again = await runCli(args);
      expect(again.stderr).toContain("gpqa-diamond: 1 file(s) of Idavidrein/gpqa (cached)");
      expect(hub.requests).toHaveLength(asked);
    } finally {
      for (const [key, value] of [
        ["HF_ENDPOINT", saved.endpoint],
        ["M1_CACHE_DIR", saved.cache],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await hub.close();
    }
  });

  it("refuses a run with nothing to compare against, and a fetch name that is no reference", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "train.jsonl"), TRAINING);
    const base = decontaminateArgs(dir, "--out", join(dir, "o.jsonl"));
    const none = await runCli(base);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /--against: nothing to decontaminate against \(fix: pass --against FILE\[=FIELD\] and\/or --against-dataset m1-references\)/,
    );
    const notReference = await runCli([...base, "--against-dataset", "m1k"]);
    expect(notReference.code).toBe(2);
    expect(notReference.stderr).toMatch(
      /--against-dataset: 'm1k' is not a decontamination reference/,
    );
    expect(existsSync(join(dir, "o.jsonl"))).toBe(false);
  });
});
