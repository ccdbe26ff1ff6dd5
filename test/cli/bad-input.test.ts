import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { M1_OUTPUTS } from "../fixtures/report/outputs.js";
import { makeItems, writeEvalFile } from "../fixtures/eval/medical-model.js";
import { CLI_TEST_TIMEOUT_MS, runCli } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * Bad input to every command, through the real CLI (in process): each case must end with one line
 * `m1: error: ... (fix: ...)` on stderr, exit code 2, nothing on stdout, no stack trace, and
 * nothing written anywhere (the inputs folder and the case's own output folder are compared file
 * by file before and after). The inputs: invalid UTF-8 in every kind of file m1 reads, output
 * paths m1 cannot write, an unbindable viewer address, eval data with no usable item, bad flags.
 */

const tempDir = useTempDirs("m1-bad-input-");

/**
 * Files with `café` written in Latin-1 (é = the single byte 0xE9, not valid UTF-8): the text
 * before and after it, by file name.
 */
const LATIN1_FILES: Record<string, [string, string]> = {
  "latin1.json": [
    `{\n  "alpha": [\n    {"question": "Which `,
    `?", "options": {"A": "x"}}\n  ]\n}\n`,
  ],
  "latin1.yaml": ["max_new_tokens: 512\n# ", "\n"],
  "latin1.jsonl": [`{"prompt": "Which drug?"}\n{"prompt": "`, `"}\n`],
  "latin1_test.csv": ["Which drug?,a,b,c,", ",A\n"],
  "latin1.jinja": ["{{ messages[0].content }} ", "\n"],
  "latin1-tokenizer.json": ['{"model": {"vocab": {"', '": 0}}}'],
  "latin1-question.txt": ["Is this ", " au lait?\n"],
  "latin1-results.json": ['[{"question": "', '"}]'],
  "latin1-pipeline.yaml": ["steps:\n  # ", "\n"],
  "metrics.json": ['{"', '": {"correct_count": 1, "total_count": 2, "accuracy": 0.5}}'],
};

function writeLatin1(path: string, name: string): void {
  const [before, after] = LATIN1_FILES[name]!;
  const cafe = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
  writeFileSync(path, Buffer.concat([Buffer.from(before), cafe, Buffer.from(after)]));
}

/** What the error line says of a Latin-1 file: `name:line: not valid UTF-8 at byte N (0xE9)`. */
function latin1Error(name: string): RegExp {
  const before = LATIN1_FILES[name]![0];
  const line = before.split("\n").length;
  const offset = Buffer.byteLength(before) + 3;
  const where = `${name.replace(/\./g, "\\.")}:${line}: not valid UTF-8 at byte ${offset} \\(0xE9\\)`;
  return new RegExp(`${where} \\(fix: save the file as UTF-8, e\\.g\\. iconv -f latin1 -t utf-8 `);
}

let inputs: string;
/** A regular file: paths under it cannot be created. */
let aFile: string;
let busyPort: Server;
let busyPortNumber: number;
const input = (name: string) => join(inputs, name);

const ROW = {
  id: "r1",
  prompt:
    "Which enzyme is deficient in phenylketonuria?\nA. Tyrosinase\nB. Phenylalanine hydroxylase",
  answer_letter: "B",
  answer_string: "Phenylalanine hydroxylase",
  reasoning: "PKU is a deficiency of phenylalanine hydroxylase.",
  distilled_answer_string: "B. Phenylalanine hydroxylase",
  response: "\\boxed{B}",
};

beforeAll(async () => {
  inputs = tempDir();
  aFile = input("a-file");
  writeFileSync(aFile, "not a folder\n");
  const items = makeItems("alpha", 3);
  writeEvalFile(input("good.json"), { alpha: items });
  writeEvalFile(input("mismatch.json"), {
    alpha: items.map((item) => ({ ...item, answer: `${item.answer} (edited)` })),
  });
  writeFileSync(input("rows.jsonl"), `${JSON.stringify(ROW)}\n`);
  writeFileSync(input("unclosed.yaml"), "budgets: [1, 2\n");
  writeFileSync(
    input("unwritable-pipeline.yaml"),
    "steps:\n  - step: filter\n    in: rows.jsonl\n    keep: correct\n" +
      `    response_columns: [response]\n    out: ${aFile}/kept.jsonl\n`,
  );
  for (const name of Object.keys(LATIN1_FILES)) {
    if (name !== "metrics.json") writeLatin1(input(name), name);
  }
  const version = join(inputs, "latin1-results", "exp", "version_0");
  mkdirSync(version, { recursive: true });
  writeFileSync(join(version, "config.yaml"), "exp_name: exp\nmax_new_tokens: 512\n");
  writeLatin1(join(version, "metrics.json"), "metrics.json");
  mkdirSync(input("taken.jsonl"));
  busyPort = createServer();
  await new Promise<void>((resolve) => busyPort.listen(0, "127.0.0.1", resolve));
  busyPortNumber = (busyPort.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => busyPort.close(() => resolve())));

interface BadInputCase {
  /** What is wrong, as the closing report lists it. */
  name: string;
  /** The command line; `out` is a folder of the case's own that must stay as it is. */
  args: (out: string) => string[];
  /** The one stderr line (after `m1: error: `). */
  error: RegExp;
}

const evalWith = (out: string, ...items: string[]) => [
  "eval",
  "-u",
  [...items, `output_dir=${join(out, "outputs")}`].join(","),
];
const noServer = "http://127.0.0.1:9/v1";
const QWEN = "Qwen/Qwen2.5-7B-Instruct";
const trainPrepare = (data: string, out: string, ...more: string[]) => [
  "train",
  "prepare",
  "--data",
  data,
  "--model",
  QWEN,
  "--out",
  out,
  ...more,
];
/** A chat server that is never reached: the case must fail before any request. */
const unusedServer = ["--model", "m", "--base-url", noServer, "--api-key", "k"];

const CASES: BadInputCase[] = [
  // Invalid UTF-8 in every kind of input file.
  {
    name: "eval data with a Latin-1 byte",
    args: (out) => evalWith(out, `eval_data_path=${input("latin1.json")}`),
    error: latin1Error("latin1.json"),
  },
  {
    name: "an eval config (-c) with a Latin-1 byte",
    args: (out) => ["eval", "-c", input("latin1.yaml"), "-u", `output_dir=${out}/o`],
    error: latin1Error("latin1.yaml"),
  },
  {
    name: "a training settings file (train prepare -c) with a Latin-1 byte",
    args: (out) => trainPrepare(input("rows.jsonl"), join(out, "run"), "-c", input("latin1.yaml")),
    error: latin1Error("latin1.yaml"),
  },
  {
    name: "a JSONL rows file (curate dedup --in) with a Latin-1 byte",
    args: (out) => [
      "curate",
      "dedup",
      "--in",
      input("latin1.jsonl"),
      "--column",
      "prompt",
      "--out",
      join(out, "kept.jsonl"),
    ],
    error: latin1Error("latin1.jsonl"),
  },
  {
    name: "training rows (train prepare --data) with a Latin-1 byte",
    args: (out) => trainPrepare(input("latin1.jsonl"), join(out, "run")),
    error: latin1Error("latin1.jsonl"),
  },
  {
    name: "a CSV benchmark file (data convert --in) with a Latin-1 byte",
    args: (out) => [
      "data",
      "convert",
      "--from",
      "mmlu",
      "--in",
      input("latin1_test.csv"),
      "--out",
      join(out, "eval.json"),
    ],
    error: latin1Error("latin1_test.csv"),
  },
  {
    name: "an eval file to check (data check) with a Latin-1 byte",
    args: () => ["data", "check", input("latin1.json")],
    error: latin1Error("latin1.json"),
  },
  {
    name: "reference eval data (curate decontaminate --against) with a Latin-1 byte",
    args: (out) => [
      "curate",
      "decontaminate",
      "--in",
      input("rows.jsonl"),
      "--column",
      "prompt",
      "--against",
      input("latin1.json"),
      "--out",
      join(out, "kept.jsonl"),
    ],
    error: latin1Error("latin1.json"),
  },
  {
    name: "a chat template (curate format --chat-template) with a Latin-1 byte",
    args: (out) => [
      "curate",
      "format",
      "--in",
      input("rows.jsonl"),
      "--chat-template",
      input("latin1.jinja"),
      "--out",
      join(out, "formatted.jsonl"),
    ],
    error: latin1Error("latin1.jinja"),
  },
  {
    name: "a tokenizer file (ask --tokenizer) with a Latin-1 byte",
    args: () => [
      "ask",
      "hi",
      "--base-url",
      noServer,
      "--tokenizer",
      input("latin1-tokenizer.json"),
    ],
    error: latin1Error("latin1-tokenizer.json"),
  },
  {
    name: "a question file (ask --file) with a Latin-1 byte",
    args: () => ["ask", "--file", input("latin1-question.txt"), "--base-url", noServer],
    error: latin1Error("latin1-question.txt"),
  },
  {
    name: "m1 results to rescore (score) with a Latin-1 byte",
    args: (out) => ["score", input("latin1-results.json"), "--out", out],
    error: latin1Error("latin1-results.json"),
  },
  {
    name: "m1 results to report on (metrics.json) with a Latin-1 byte",
    args: () => ["report", join(inputs, "latin1-results")],
    error: latin1Error("metrics.json"),
  },
  {
    name: "a curation pipeline (curate run) with a Latin-1 byte",
    args: () => ["curate", "run", input("latin1-pipeline.yaml")],
    error: latin1Error("latin1-pipeline.yaml"),
  },
  {
    name: "an eval file with domains (report --domains) with a Latin-1 byte",
    args: () => ["report", M1_OUTPUTS, "--by", "domain", "--domains", input("latin1.json")],
    error: latin1Error("latin1.json"),
  },
  {
    name: "an eval file to classify (curate classify --in) with a Latin-1 byte",
    args: (out) => [
      "curate",
      "classify",
      "--in",
      input("latin1.json"),
      "--out",
      join(out, "classified.json"),
      ...unusedServer,
    ],
    error: latin1Error("latin1.json"),
  },
  // Configs that YAML cannot read, in our words rather than the parser's.
  {
    name: "an eval config (-c) whose [ list is not closed",
    args: (out) => ["eval", "-c", input("unclosed.yaml"), "-u", `output_dir=${out}/o`],
    error:
      /unclosed\.yaml:1: budgets: not valid YAML: a \[ list is not closed \(fix: end it with \], e\.g\. budgets: \[1, 2\]\)$/,
  },
  {
    name: "an -u value whose [ list is not closed",
    args: (out) => [
      "eval",
      "-u",
      `eval_data_path=${input("good.json")},output_dir=${join(out, "o")},budgets=[1`,
    ],
    error: /-u budgets: "\[1" is not a value YAML can read: a \[ list is not closed \(fix: /,
  },
  {
    name: "a folder where score wants a results file",
    args: () => ["score", inputs],
    error:
      /: is a folder, not a results file \(fix: give the results file m1 wrote, e\.g\. m1 score outputs\/exp\/version_0\/medqa\.json\)$/,
  },
  // Output paths that cannot be written, checked before any work.
  {
    name: "eval output_dir under a regular file",
    args: () => ["eval", "-u", `eval_data_path=${input("good.json")},output_dir=${aFile}/outputs`],
    error:
      /output_dir: cannot write .*a-file\/outputs: .*a-file is a file, not a folder \(fix: choose a folder you can write, e.g\. -u output_dir=outputs\)$/,
  },
  ...(process.platform === "linux"
    ? [
        {
          name: "eval output_dir in /proc (a file system that takes no files)",
          args: () => [
            "eval",
            "-u",
            `eval_data_path=${input("good.json")},output_dir=/proc/m1-bad-input/outputs`,
          ],
          error:
            /output_dir: cannot write \/proc\/m1-bad-input\/outputs: \/proc does not take new files \(fix: /,
        },
      ]
    : []),
  {
    name: "report --plot under a regular file",
    args: () => ["report", M1_OUTPUTS, "--plot", join(aFile, "plots")],
    error:
      /--plot: cannot write .*a-file\/plots: .*a-file is a file, not a folder \(fix: choose a folder you can write, e\.g\. --plot plots\)$/,
  },
  {
    name: "report --html naming a folder",
    args: () => ["report", M1_OUTPUTS, "--html", inputs],
    error:
      /--html: cannot write .*: it is a folder, not a file \(fix: choose a file you can write, e\.g\. --html report\.html\)$/,
  },
  {
    name: "score --out under a regular file",
    args: () => [
      "score",
      join(M1_OUTPUTS, readdirSync(M1_OUTPUTS)[0]!, "m1-7B-1K"),
      "--out",
      join(aFile, "x"),
    ],
    error:
      /--out: cannot write .*a-file\/x: .*a-file is a file, not a folder \(fix: choose a folder you can write, e\.g\. --out rescored\)$/,
  },
  {
    name: "data convert --out under a regular file",
    args: () => [
      "data",
      "convert",
      "--from",
      "medqa",
      "--in",
      input("rows.jsonl"),
      "--out",
      join(aFile, "eval.json"),
    ],
    error: /--out: cannot write .*a-file\/eval\.json: .*a-file is a file, not a folder/,
  },
  {
    name: "data fetch --cache-dir under a regular file (before any download)",
    args: () => ["data", "fetch", "m1-eval", "--cache-dir", join(aFile, "cache")],
    error: /--cache-dir: cannot write .*a-file\/cache: .*is a file, not a folder/,
  },
  {
    name: "train prepare --out under a regular file",
    args: () => trainPrepare(input("rows.jsonl"), join(aFile, "run")),
    error:
      /--out: cannot write .*a-file\/run: .*is a file, not a folder \(fix: choose a folder you can write, e\.g\. --out runs\/m1-7b\)$/,
  },
  {
    name: "smoke-model -o under a regular file",
    args: () => ["smoke-model", "-o", join(aFile, "smoke.gguf")],
    error: /--out: cannot write .*a-file\/smoke\.gguf: .*is a file, not a folder/,
  },
  {
    name: "curate collect --out with an extension rows cannot have",
    args: (out) => [
      "curate",
      "collect",
      "--medqa",
      input("rows.jsonl"),
      "--out",
      join(out, "rows.txt"),
    ],
    error:
      /rows\.txt: unsupported file type '\.txt' \(fix: use a \.jsonl, \.json or \.parquet file\)$/,
  },
  {
    name: "curate filter --out under a regular file",
    args: () => [
      "curate",
      "filter",
      "--in",
      input("rows.jsonl"),
      "--out",
      join(aFile, "kept.jsonl"),
      "--response-column",
      "response",
      "--keep",
      "correct",
    ],
    error: /--out: cannot write .*a-file\/kept\.jsonl: .*is a file, not a folder/,
  },
  {
    name: "curate select --out naming a folder",
    args: () => ["curate", "select", "--in", input("rows.jsonl"), "--out", input("taken.jsonl")],
    error: /--out: cannot write .*taken\.jsonl: it is a folder, not a file/,
  },
  {
    name: "curate dedup --pairs under a regular file",
    args: (out) => [
      "curate",
      "dedup",
      "--in",
      input("rows.jsonl"),
      "--column",
      "prompt",
      "--out",
      join(out, "kept.jsonl"),
      "--pairs",
      join(aFile, "pairs.jsonl"),
    ],
    error: /--pairs: cannot write .*a-file\/pairs\.jsonl/,
  },
  {
    name: "curate format --out under a regular file",
    args: () => ["curate", "format", "--in", input("rows.jsonl"), "--out", join(aFile, "f.jsonl")],
    error: /--out: cannot write .*a-file\/f\.jsonl/,
  },
  {
    name: "curate ask --out under a regular file (before any request)",
    args: () => [
      "curate",
      "ask",
      "--in",
      input("rows.jsonl"),
      "--out",
      join(aFile, "answers.jsonl"),
      ...unusedServer,
    ],
    error: /--out: cannot write .*a-file\/answers\.jsonl/,
  },
  {
    name: "curate classify --unclassified-out under a regular file",
    args: (out) => [
      "curate",
      "classify",
      "--in",
      input("rows.jsonl"),
      "--out",
      join(out, "c.jsonl"),
      "--unclassified-out",
      join(aFile, "u.jsonl"),
      ...unusedServer,
    ],
    error: /--unclassified-out: cannot write .*a-file\/u\.jsonl/,
  },
  {
    name: "curate stats --json in /proc",
    args: () => ["curate", "stats", "--in", input("rows.jsonl"), "--json", "/proc/m1/stats.json"],
    error:
      /--json: cannot write \/proc\/m1\/stats\.json: \/proc does not take new files \(fix: choose a file you can write, e\.g\. --json stats\.json\)$/,
  },
  {
    name: "curate stats --plot under a regular file",
    args: () => ["curate", "stats", "--in", input("rows.jsonl"), "--plot", join(aFile, "plots")],
    error: /--plot: cannot write .*a-file\/plots: .*is a file, not a folder/,
  },
  {
    name: "data subset --out under a regular file",
    args: () => ["data", "subset", input("good.json"), "--out", join(aFile, "sub.json")],
    error:
      /--out: cannot write .*a-file\/sub\.json: .*is a file, not a folder \(fix: choose a file you can write, e\.g\. --out sub_eval_data\.json\)$/,
  },
  {
    name: "data fetch --local-dir under a regular file (before any download)",
    args: () => ["data", "fetch", "m1-eval", "--local-dir", join(aFile, "data")],
    error: /--local-dir: cannot write .*a-file\/data: .*is a file, not a folder/,
  },
  {
    name: "demo --output-dir under a regular file",
    args: () => ["demo", "--output-dir", join(aFile, "outputs")],
    error:
      /--output-dir: cannot write .*a-file\/outputs: .*is a file, not a folder \(fix: choose a folder you can write, e\.g\. --output-dir outputs\)$/,
  },
  {
    name: "a curation pipeline step out: under a regular file (before the first step runs)",
    args: () => ["curate", "run", input("unwritable-pipeline.yaml")],
    error:
      /unwritable-pipeline\.yaml: steps\.0\.out: cannot write .*a-file\/kept\.jsonl: .*is a file, not a folder \(fix: choose a file you can write, e\.g\. out: filter\.jsonl\)$/,
  },
  // The viewer's address.
  {
    name: "view --host that is no address of this machine",
    args: () => ["view", M1_OUTPUTS, "--host", "192.0.2.1", "--port", "0"],
    error:
      /--host: cannot listen on 192\.0\.2\.1: it is not an address of this machine \(fix: use an address of this machine, e\.g\. --host 127\.0\.0\.1\)$/,
  },
  {
    name: "view --port already in use",
    args: () => ["view", M1_OUTPUTS, "--port", String(busyPortNumber)],
    error:
      /--port: port \d+ on 127\.0\.0\.1 is in use \(fix: pick another with --port N \(0 = any free port\), e\.g\. --port 0\)$/,
  },
  // Eval data with nothing left to run.
  {
    name: "eval data whose every item's answer differs from options[answer_idx]",
    args: (out) => evalWith(out, `eval_data_path=${input("mismatch.json")}`),
    error:
      /mismatch\.json: no usable item: all 3 item\(s\) were dropped because their answer differs from options\[answer_idx\] \(first: alpha\[0\]: answer .* differs from options\.A .*\) \(fix: make each item's answer the text of options\[answer_idx\]; `m1 data check FILE` lists them\)$/,
  },
  // Flags, in the config loader's form.
  {
    name: "a flag value below its minimum (ask --dp 0)",
    args: () => ["ask", "hi", "--dp", "0"],
    error: /^m1: error: --dp: "0" is not a whole number of at least 1 \(fix: use e\.g\. --dp 1\)$/,
  },
  {
    name: "a flag value that is not a number (view --port http)",
    args: () => ["view", "--port", "http"],
    error:
      /^m1: error: --port: "http" is not a whole number from 0 to 65535 \(fix: use e\.g\. --port 8420\)$/,
  },
  {
    name: "a flag value outside its choices (report --format xml)",
    args: () => ["report", M1_OUTPUTS, "--format", "xml"],
    error:
      /^m1: error: --format: "xml" is not one of md, csv, tsv, json, paper \(fix: use e\.g\. --format md\)$/,
  },
  {
    name: "a generation flag checked by its config key (ask --budget lots)",
    args: () => ["ask", "hi", "--budget", "lots"],
    error:
      /^m1: error: --budget: "lots" is not a whole number above 0 \(fix: use e\.g\. --budget 2048\)$/,
  },
  {
    name: "answer probes that could never run (ask --probe-every 200 --budget 100)",
    args: () => ["ask", "hi", "--probe-every", "200", "--budget", "100"],
    error:
      /^m1: error: --probe-every: 200 is above the thinking budget 100, so no probe would run \(fix: use e\.g\. --probe-every 64\)$/,
  },
  {
    name: "early exit without answer probes (ask --early-exit-patience 2)",
    args: () => ["ask", "hi", "--early-exit-patience", "2"],
    error:
      /^m1: error: --probe-every: early_exit_patience needs answer probes, but probe_every is not set \(fix: use e\.g\. --probe-every 64\)$/,
  },
  {
    name: "a loop cut-off out of range (ask --loop-cutoff 16,1)",
    args: () => ["ask", "hi", "--loop-cutoff", "16,1"],
    error:
      /^m1: error: --loop-cutoff: repeats 1 is not a whole number of at least 2 \(one span is no loop\) \(fix: use e\.g\. --loop-cutoff "\{ngram: 16, repeats: 3\}"\)$/,
  },
  {
    name: "several samples per question at temperature 0 (eval samples_per_question=3)",
    args: (out) => evalWith(out, `eval_data_path=${input("good.json")}`, "samples_per_question=3"),
    error:
      /^m1: error: -u samples_per_question: 3 samples of one question need sampling, but temperature is 0 \(greedy: all would be the same\) \(fix: set temperature above 0 \(e\.g\. temperature: 0\.7\), or samples_per_question: 1\)$/,
  },
  {
    name: "a misspelt flag (ask --bugdet)",
    args: () => ["ask", "hi", "--bugdet", "512"],
    error:
      /^m1: error: --bugdet: unknown option \(fix: did you mean --budget\? see m1 ask --help\)$/,
  },
  {
    name: "a flag without its value (eval -u)",
    args: () => ["eval", "-u"],
    error:
      /^m1: error: -u: needs a value \(fix: write a value after it, e\.g\. --update <key=value,\.\.\.>\)$/,
  },
  {
    name: "a required flag left out (curate filter without --keep)",
    args: (out) => [
      "curate",
      "filter",
      "--in",
      input("rows.jsonl"),
      "--out",
      join(out, "kept.jsonl"),
      "--response-column",
      "response",
    ],
    error:
      /^m1: error: --keep: is required \(fix: add --keep <rule>; see m1 curate filter --help\)$/,
  },
  {
    name: "a missing argument (score)",
    args: () => ["score"],
    error:
      /^m1: error: the argument <results\.json> is missing \(fix: write m1 score \[options\] <results\.json>; see m1 score --help\)$/,
  },
  {
    name: "a misspelt command (m1 evl)",
    args: () => ["evl"],
    error: /^m1: error: unknown command 'evl' \(fix: did you mean m1 eval\? see m1 --help\)$/,
  },
  {
    name: "a bad config value (eval -u max_new_tokens=-5)",
    args: (out) => evalWith(out, `eval_data_path=${input("good.json")}`, "max_new_tokens=-5"),
    error:
      /-u max_new_tokens: -5 is not a whole number above 0 \(fix: use e\.g\. -u max_new_tokens=2048\)$/,
  },
];

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stats = statSync(path);
        files[path] = `${stats.size} ${stats.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return files;
}

describe("bad input to every command: one line with the fix, exit code 2, nothing written", () => {
  it(
    `refuses ${CASES.length} bad inputs`,
    async () => {
      const failures: string[] = [];
      for (const entry of CASES) {
        const out = tempDir();
        const before = { inputs: snapshot(inputs), out: snapshot(out) };
        const result = await runCli(entry.args(out));
        const lines = result.stderr.split("\n").filter((line) => line !== "");
        const context = `${entry.name}\n  stderr: ${result.stderr}\n  stdout: ${result.stdout}`;
        const problems = [
          result.code !== 2 && `exit code ${result.code}`,
          lines.length !== 1 && `${lines.length} stderr lines`,
          !/^m1: error: .*\(fix: .+\)$/.test(lines[0] ?? "") && "not in the (fix: ...) form",
          !entry.error.test(lines[0] ?? "") && `does not match ${entry.error}`,
          /unexpected error|\n\s+at /.test(result.stderr) && "a stack trace",
          result.stdout !== "" && "output on stdout",
          JSON.stringify(snapshot(inputs)) !== JSON.stringify(before.inputs) && "inputs changed",
          JSON.stringify(snapshot(out)) !== JSON.stringify(before.out) && "wrote output",
        ].filter(Boolean);
        if (problems.length > 0) failures.push(`${context}\n  problems: ${problems.join(", ")}`);
        if (process.env.M1_SHOW_ERRORS) console.log(`${entry.name}\n  ${lines[0]}`);
      }
      expect(failures).toEqual([]);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
