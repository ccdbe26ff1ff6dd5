import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { filesUnder, linesOf, runM1Batch, type CaseResult } from "../fixtures/eval/cli.js";
import { runM1, CLI_TEST_TIMEOUT_MS } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { makeItems, writeEvalFile } from "../fixtures/eval/medical-model.js";

/**
 * Malformed input to `m1 eval`: every case must end with one clear line on stderr, exit code 2,
 * and nothing written: no output directory, no store. The cases run in one CLI process (see
 * test/fixtures/eval/cli-batch.ts); two of them also run as separate `node bin/m1.js` processes.
 */

const tempDir = useTempDirs("m1-malformed-");

interface MalformedCase {
  name: string;
  /** `-u` items (the output directory is added); or a full argv when `argv` is given. */
  dotlist?: string[];
  argv?: (outputDir: string) => string[];
  /** Make the state the case needs before it runs. */
  prepare?: (outputDir: string) => void;
  /** What the one stderr line must say. */
  error: RegExp;
}

let inputs: string;
let workDir: string;
let noTokenizeServer: FakeOpenAIServer;
let unreachableUrl: string;

beforeAll(async () => {
  inputs = tempDir();
  workDir = tempDir();
  const items = makeItems("alpha", 3);
  writeEvalFile(join(inputs, "good.json"), { alpha: items });
  writeFileSync(join(inputs, "bad.json"), '{\n  "alpha": [\n    {"question": "q",}\n  ]\n}\n');
  const { options: _options, ...withoutOptions } = items[1]!;
  writeEvalFile(join(inputs, "no_options.json"), { alpha: [items[0]!, withoutOptions as never] });
  writeEvalFile(join(inputs, "bad_answer_idx.json"), {
    alpha: [items[0]!, { ...items[1]!, answer_idx: "E" }],
  });
  writeFileSync(join(inputs, "empty.json"), "");
  writeFileSync(join(inputs, "list.yaml"), "- force_think\n- max_new_tokens\n");
  writeFileSync(join(inputs, "bad.yaml"), "force_think: true\nbudgets: [128, 256\n");
  noTokenizeServer = await startFakeOpenAIServer({ tokenize: "none" });
  const closed = await startFakeOpenAIServer();
  unreachableUrl = closed.baseUrl;
  await closed.close();
});
afterAll(() => noTokenizeServer.close());

const input = (name: string) => join(inputs, name);

const CASES: MalformedCase[] = [
  {
    name: "eval file that is not JSON",
    dotlist: ["eval_data_path=<bad.json>"],
    error: /bad\.json:3: not valid JSON/,
  },
  {
    name: "item without options",
    dotlist: ["eval_data_path=<no_options.json>"],
    error: /no_options\.json: item alpha\[1\]: options/,
  },
  {
    name: "answer_idx not among the options",
    dotlist: ["eval_data_path=<bad_answer_idx.json>"],
    error: /bad_answer_idx\.json: item alpha\[1\]: answer_idx: .*'E'/,
  },
  {
    name: "wrong md5",
    dotlist: ["eval_data_path=<good.json>", "eval_data_md5sum=0123456789abcdef0123456789abcdef"],
    error: /good\.json: .*md5.*0123456789abcdef0123456789abcdef/i,
  },
  {
    name: "empty eval file",
    dotlist: ["eval_data_path=<empty.json>"],
    error: /empty\.json: the eval file is empty/,
  },
  {
    name: "missing eval file",
    dotlist: ["eval_data_path=<nope.json>"],
    error: /nope\.json: cannot read the eval file/,
  },
  {
    name: "unknown config key",
    dotlist: ["eval_data_path=<good.json>", "max_new_token=512"],
    error:
      /: -u max_new_token: unknown key 'max_new_token' \(fix: did you mean 'max_new_tokens'\? e\.g\. -u max_new_tokens=512\)$/,
  },
  {
    name: "-u item that is not key=value",
    dotlist: ["eval_data_path=<good.json>", "force_think"],
    error:
      /: -u: "force_think" is not key=value \(fix: write key=value items separated by commas, e\.g\. -u force_think=value\)$/,
  },
  {
    name: "-u value that does not parse",
    // Last, since an unclosed bracket takes the rest of the line into the value.
    argv: (outputDir) => [
      "eval",
      "-u",
      `eval_data_path=${input("good.json")},output_dir=${outputDir},budgets=[128,256`,
    ],
    error:
      /: -u budgets: "\[128,256" is not a value YAML can read: a \[ list is not closed \(fix: end it with \], e\.g\. -u budgets=\[128,256\]\)$/,
  },
  {
    name: "negative thinking budget",
    dotlist: ["eval_data_path=<good.json>", "max_new_tokens=-5"],
    error:
      /: -u max_new_tokens: -5 is not a whole number above 0 \(fix: use e\.g\. -u max_new_tokens=2048\)$/,
  },
  {
    name: "negative budget in a sweep",
    dotlist: ["eval_data_path=<good.json>", "budgets=[128,-1]"],
    error:
      /: -u budgets\.1: -1 is not a whole number above 0 \(fix: use e\.g\. -u budgets=\[512, 1024, 2048\]\)$/,
  },
  {
    name: "wrong type",
    dotlist: ["eval_data_path=<good.json>", "limit=many"],
    error: /: -u limit: "many" is not a whole number \(fix: use e\.g\. -u limit=-1\)$/,
  },
  {
    name: "unknown thinking_format",
    dotlist: ["eval_data_path=<good.json>", "force_think=True", "thinking_format=qwen9"],
    error:
      /: -u thinking_format: "qwen9" is not one of m1, think-tags, none \(fix: use e\.g\. -u thinking_format=m1\)$/,
  },
  {
    name: "unknown thinking_format without force_think",
    dotlist: ["eval_data_path=<good.json>", "thinking_format=qwen9"],
    error: /: -u thinking_format: "qwen9" is not one of m1, think-tags, none \(fix: /,
  },
  {
    name: "prompt suffix with a bare brace pair",
    dotlist: ["eval_data_path=<good.json>", "suffix_prompt='Answer in \\boxed{}.'"],
    error: /suffix_prompt: positional field '\{\}'/,
  },
  {
    name: "openai backend without base_url",
    dotlist: ["eval_data_path=<good.json>", "backend=openai"],
    error: /base_url: the openai backend needs a server/,
  },
  {
    name: "launch without model_path",
    dotlist: ["eval_data_path=<good.json>", "launch=vllm"],
    error: /model_path: launch=vllm needs model_path/,
  },
  {
    name: "base_url and launch both",
    dotlist: [
      "eval_data_path=<good.json>",
      "base_url=http://127.0.0.1:9/v1",
      "launch=sglang",
      "model_path=org/model",
    ],
    error: /launch: base_url and launch are both set/,
  },
  {
    name: "config file that is not a mapping",
    argv: (outputDir) => ["eval", "-c", input("list.yaml"), "-u", `output_dir=${outputDir}`],
    error:
      /list\.yaml:1: the config file holds a list, not key: value lines \(fix: write one key: value per line, e\.g\. max_new_tokens: 2048\)$/,
  },
  {
    name: "config file that is not YAML",
    argv: (outputDir) => ["eval", "-c", input("bad.yaml"), "-u", `output_dir=${outputDir}`],
    error:
      /bad\.yaml:2: budgets: not valid YAML: a \[ list is not closed \(fix: end it with \], e\.g\. budgets: \[128, 256\]\)$/,
  },
  {
    name: "missing config file",
    argv: (outputDir) => ["eval", "-c", input("nope.yaml"), "-u", `output_dir=${outputDir}`],
    error: /nope\.yaml: cannot read the config file \(fix: check the -c path\)$/,
  },
  {
    name: "explicit version that exists",
    prepare: (outputDir) => mkdirSync(join(outputDir, "taken", "version_0"), { recursive: true }),
    argv: (outputDir) => [
      "eval",
      "-u",
      `eval_data_path=${input("good.json")},output_dir=${outputDir},exp_name=taken,overwrite=True,version=0`,
    ],
    error:
      /^m1: error: version: taken\/version_0 already exists \(fix: leave version unset \(null\) to take the next free version\)$/,
  },
  {
    name: "missing GGUF model file",
    dotlist: ["eval_data_path=<good.json>", "model_path=<nope.gguf>"],
    error: /nope\.gguf/,
  },
  {
    name: "unreachable server",
    dotlist: ["eval_data_path=<good.json>", "base_url=<unreachable>"],
    error: /127\.0\.0\.1:\d+/,
  },
  {
    name: "server without /tokenize and no tokenizer_path",
    dotlist: ["eval_data_path=<good.json>", "base_url=<no-tokenize>"],
    error: /tokeniz/i,
  },
];

function argvOf(entry: MalformedCase, outputDir: string): string[] {
  if (entry.argv) return entry.argv(outputDir);
  const resolved = entry.dotlist!.map((item) =>
    item
      .replace(/<([a-z_]+\.(json|yaml|gguf))>/, (_, name: string) => input(name))
      .replace("<unreachable>", unreachableUrl)
      .replace("<no-tokenize>", noTokenizeServer.baseUrl),
  );
  return ["eval", "-u", [...resolved, `output_dir=${outputDir}`, "exp_name=broken"].join(",")];
}

function expectCleanFailure(entry: MalformedCase, result: CaseResult, outputDir: string): void {
  const context = `${entry.name}:\n${result.stderr}`;
  expect(result.code, context).toBe(2);
  const lines = linesOf(result.stderr);
  expect(lines, context).toHaveLength(1);
  expect(lines[0], context).toMatch(/^m1: error: /);
  expect(lines[0], context).toMatch(entry.error);
  expect(lines[0], context).not.toMatch(/\n| {4}at /);
  expect(result.stdout, context).toBe("");
  expect(filesUnder(outputDir), context).toEqual([]);
}

describe("m1 eval with malformed input", () => {
  it(
    `rejects ${CASES.length} kinds of bad input with one line, exit code 2 and nothing written`,
    async () => {
      expect(CASES.length).toBeGreaterThanOrEqual(15);
      const outputDirs = CASES.map((_, index) => join(workDir, `out-${index}`));
      CASES.forEach((entry, index) => entry.prepare?.(outputDirs[index]!));
      const results = await runM1Batch(
        CASES.map((entry, index) => ({ cwd: workDir, argv: argvOf(entry, outputDirs[index]!) })),
        tempDir(),
      );
      CASES.forEach((entry, index) =>
        expectCleanFailure(entry, results[index]!, outputDirs[index]!),
      );
      // Nothing anywhere in the working directory either (no stray store, no outputs/).
      const prepared = CASES.flatMap((entry, index) => (entry.prepare ? [`out-${index}`] : []));
      expect(readdirSync(workDir)).toEqual(prepared);
      if (process.env.M1_SHOW_ERRORS) {
        CASES.forEach((entry, index) => console.log(`${entry.name}\n  ${results[index]!.stderr}`));
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "exits 2 from a real `m1 eval` process when the server is unreachable",
    async () => {
      const entry = CASES.find((item) => item.name === "unreachable server")!;
      const cwd = tempDir();
      const outputDir = join(cwd, "out");
      const result = await runM1(argvOf(entry, outputDir), { cwd });
      expectCleanFailure(entry, { ...result, code: result.code ?? -1 }, outputDir);
      expect(readdirSync(cwd)).toEqual([]);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
