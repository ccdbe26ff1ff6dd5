import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { huatuoRows, writeJsonl } from "../train/support.js";

/**
 * Settings through every command's config path (`eval -c/-u`, `curate run pipeline.yaml`,
 * `curate ask --config`, `train prepare -c/-u/flags`, `ask` flags): one line in the
 * "(fix: ...)" form, exit code 2, nothing written. Messages are compared whole.
 */

let dir: string;
let rows: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "m1-config-cli-"));
  rows = writeJsonl(join(dir, "rows.jsonl"), huatuoRows(2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function expectOneLine(args: string[], message: string, output?: string): Promise<void> {
  const before = readdirSync(dir).sort();
  const { code, stdout, stderr } = await runCli(args);
  expect(stderr).toBe(`m1: error: ${message}\n`);
  expect(code).toBe(2);
  expect(stdout).toBe("");
  if (output) expect(existsSync(output)).toBe(false);
  expect(readdirSync(dir).sort()).toEqual(before);
}

describe("m1 eval -c / -u", () => {
  it("a bad value in the -c file: file:line, key, value, example", async () => {
    const config = file("eval.yaml", "exp_name: trial\nmax_new_tokens: -3\n");
    const out = join(dir, "eval-out");
    await expectOneLine(
      ["eval", "-c", config, "-u", `output_dir=${out}`],
      `${config}:2: max_new_tokens: -3 is not a whole number above 0 (fix: use e.g. max_new_tokens: 2048)`,
      out,
    );
  });

  it("YAML the parser cannot read", async () => {
    const config = file("eval-broken.yaml", "budgets: [512, 1024\nforce_think: true\n");
    await expectOneLine(
      ["eval", "-c", config],
      `${config}:1: budgets: not valid YAML: a [ list is not closed (fix: end it with ], e.g. budgets: [512, 1024])`,
    );
  });

  it("a bad -u value and a mistyped -u key", async () => {
    await expectOneLine(
      ["eval", "-u", "temperature=-0.5"],
      "-u temperature: -0.5 is not a number of at least 0 (fix: use e.g. -u temperature=0)",
    );
    await expectOneLine(
      ["eval", "-u", "wait_round=[0,2]"],
      "-u wait_round: unknown key 'wait_round' (fix: did you mean 'wait_rounds'? e.g. -u wait_rounds=[0, 2])",
    );
  });
});

describe("m1 curate run pipeline.yaml", () => {
  it("a bad value in a step: file:line, step, key, value, example", async () => {
    const pipeline = file(
      "pipeline.yaml",
      `steps:\n  - step: dedup\n    in: ${rows}\n    out: kept.jsonl\n    threshold: 101\n`,
    );
    await expectOneLine(
      ["curate", "run", pipeline],
      `${pipeline}:5: steps.0.threshold: step 'dedup': 101 is not a number from 0 to 100 (fix: use e.g. threshold: 95)`,
    );
  });

  it("YAML the parser cannot read", async () => {
    const pipeline = file("pipeline-broken.yaml", "steps:\n  - step: 'select\n");
    await expectOneLine(
      ["curate", "run", pipeline],
      `${pipeline}:2: step: not valid YAML: a 'quoted' value is not closed (fix: end it with ', e.g. - step: 'select')`,
    );
  });
});

describe("m1 curate ask --config", () => {
  it("a bad value and an unknown key in ask.yaml", async () => {
    const out = join(dir, "asked.jsonl");
    const bad = file("ask.yaml", "preset: distill\nmodel: r1\nrpm: 0\n");
    await expectOneLine(
      ["curate", "ask", "--in", rows, "--out", out, "--config", bad],
      `${bad}:3: rpm: 0 is not a number above 0 (fix: use e.g. rpm: 1000)`,
      out,
    );
    const typo = file("ask-typo.yaml", "preset: distill\nmodel: r1\nmax_token: 100\n");
    await expectOneLine(
      ["curate", "ask", "--in", rows, "--out", out, "--config", typo],
      `${typo}:3: max_token: unknown key 'max_token' (fix: did you mean 'max_tokens'? e.g. max_tokens: 100)`,
      out,
    );
  });
});

describe("m1 train prepare -c / flags / -u", () => {
  const prepare = (runDir: string, ...extra: string[]) => [
    "train",
    "prepare",
    "--data",
    rows,
    "--model",
    "Qwen/Qwen2.5-7B-Instruct",
    "--out",
    runDir,
    ...extra,
  ];

  it("a bad value in the settings file", async () => {
    const settings = file("train.yaml", "num_train_epochs: 3\nwarmup_ratio: 1.5\n");
    const runDir = join(dir, "run-file");
    await expectOneLine(
      prepare(runDir, "-c", settings),
      `${settings}:2: warmup_ratio: 1.5 is not a number from 0 to 1 (fix: use e.g. warmup_ratio: 0.05)`,
      runDir,
    );
  });

  it("a bad flag and a bad -u value", async () => {
    const runDir = join(dir, "run-flags");
    await expectOneLine(
      prepare(runDir, "--learning-rate", "fast"),
      '--learning-rate: "fast" is not a number above 0 (fix: use e.g. --learning-rate 0.00001)',
      runDir,
    );
    await expectOneLine(
      prepare(runDir, "-u", "save_strategy=daily"),
      '-u save_strategy: "daily" is not one of epoch, steps, no (fix: use e.g. -u save_strategy=epoch)',
      runDir,
    );
  });
});

describe("m1 ask flags (the keys m1 eval and serve use)", () => {
  it.each([
    [
      ["--budget", "-3"],
      "--budget: -3 is not a whole number above 0 (fix: use e.g. --budget 2048)",
    ],
    [
      ["--format", "qwen"],
      '--format: "qwen" is not one of m1, think-tags, none (fix: use e.g. --format m1)',
    ],
    [
      ["--wait", "2", "--wait-text", ""],
      '--wait-text: "" is empty, but keep_think_below_budget_times asks for 2 Wait round(s) (fix: use e.g. --wait-text Wait)',
    ],
  ])("%j", async (flags, message) => {
    await expectOneLine(["ask", ...flags, "What is the first-line drug?"], message);
  });
});

describe("m1 ask flags reach the engine as m1's keys", () => {
  it("--budget, --answer-budget and --wait set the budgets of the record", async () => {
    const { code, stdout } = await runCli([
      "ask",
      "--budget",
      "16",
      "--answer-budget",
      "8",
      "--wait",
      "1",
      "--json",
      "Which drug reverses heparin?",
    ]);
    expect(code).toBe(0);
    const record = JSON.parse(stdout) as Record<string, unknown>;
    // The smoke model never stops by itself: thinking fills the budget, so no Wait round runs.
    expect(record).toMatchObject({
      thinking_finish_reason: "length",
      thinking_tokens: 16,
      answer_tokens: 8,
      num_keep_think_below_budget: 0,
    });
  }, 120_000);
});
