import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tokenStatsPath } from "../../src/curate/training-text/training-file.js";
import { readRunManifest } from "../../src/train/run-manifest.js";
import {
  FAKE_BIN,
  FIXTURES,
  QWEN_DIR,
  QWEN_TOKENIZER,
  QWEN_TOKENIZER_CONFIG,
  huatuoRows,
  temporaryFolder,
  writeJsonl,
} from "./support.js";
import { runCli } from "../support/cli.js";

// The command-line tests, in one file: loading the whole CLI (every command) is the slow part.

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((remove) => remove());
  cleanup = [];
});

function folder(): string {
  const made = temporaryFolder();
  cleanup.push(made.remove);
  return made.path;
}

describe("m1 curate format (command line)", () => {
  it("prints the statistics and histogram on the command line", async () => {
    const base = folder();
    const input = writeJsonl(join(base, "in.jsonl"), huatuoRows(4));
    const output = join(base, "out.jsonl");
    const { code, stdout } = await runCli([
      "curate",
      "format",
      "--in",
      input,
      "--out",
      output,
      "--chat-template",
      join(QWEN_DIR, "chat_template.jinja"),
      "--tokenizer",
      QWEN_TOKENIZER,
      "--block-size",
      "4096",
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(`wrote 4 rows to ${output}`);
    expect(stdout).toMatch(/examples 4, mean \d+/);
    expect(stdout).toMatch(/above the block size 4096: \d+ \(\d+\.\d%\)/);
    expect(stdout).toMatch(/2K-4K \| #+/);
  });

  it("rejects a row missing reasoning with one line naming file, line and field, exit 2, and writes nothing", async () => {
    const base = folder();
    const rows = huatuoRows(3);
    delete rows[1]!.reasoning;
    const input = writeJsonl(join(base, "in.jsonl"), rows);
    const output = join(base, "out.jsonl");
    const { code, stderr } = await runCli([
      "curate",
      "format",
      "--in",
      input,
      "--out",
      output,
      "--tokenizer-config",
      QWEN_TOKENIZER_CONFIG,
      "--tokenizer",
      QWEN_TOKENIZER,
    ]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain(`${input}:2: reasoning: missing column 'reasoning'`);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(tokenStatsPath(output))).toBe(false);
  });

  it("asks for the chat template when none is given (exit 2)", async () => {
    const base = folder();
    const input = writeJsonl(join(base, "in.jsonl"), huatuoRows(1));
    const { code, stderr } = await runCli([
      "curate",
      "format",
      "--in",
      input,
      "--out",
      join(base, "o.jsonl"),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--chat-template: the training text needs the model's chat template \(fix: pass --tokenizer-config/,
    );
  });
});

describe("m1 train prepare (command line)", () => {
  it("prints the plan: sizes, gradient accumulation and the next command", async () => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(2));
    const runDir = join(base, "run");
    const { code, stdout } = await runCli([
      "train",
      "prepare",
      "--data",
      data,
      "--model",
      "Qwen/Qwen2.5-32B-Instruct",
      "--out",
      runDir,
      "--nodes",
      "2",
      "-u",
      "learning_rate=2e-5",
      "-q",
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "2 node(s) x 8 GPUs; global batch 16 = 1 per device x 16 x 1 accumulation steps",
    );
    expect(stdout).toContain("gradient checkpointing on");
    expect(stdout).toContain(`m1 train launch ${runDir}`);
    expect(readRunManifest(runDir).settings.learning_rate).toBe(2e-5);
  });

  it("refuses to overwrite a prepared run unless --force", async () => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(1));
    const args = [
      "train",
      "prepare",
      "--data",
      data,
      "--model",
      "Qwen/Qwen2.5-7B-Instruct",
      "--out",
      join(base, "run"),
    ];
    expect((await runCli(args)).code).toBe(0);
    const again = await runCli(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out: .* already holds a prepared run \(fix: .*--force/);
    expect((await runCli([...args, "--force"])).code).toBe(0);
  });
});

describe("m1 train doctor (command line)", () => {
  it("exits 0 when ready and 1 when not, printing the checklist", async () => {
    const path = process.env.PATH;
    try {
      process.env.PATH = join(FIXTURES, "python-ready");
      const ready = await runCli(["train", "doctor"]);
      expect(ready.code).toBe(0);
      expect(ready.stdout).toContain("[ok  ] trl: 0.25.0");
      expect(ready.stdout).toContain("ready to train: yes");
      process.env.PATH = join(FIXTURES, "python-missing");
      const missing = await runCli(["train", "doctor"]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain("install with: python3 -m pip install -U 'torch>=2.4.0'");
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("m1 train launch (command line)", () => {
  it("prints the commands of a prepared run with --dry-run and runs nothing", async () => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(1));
    const runDir = join(base, "run");
    expect(
      (
        await runCli([
          "train",
          "prepare",
          "--data",
          data,
          "--model",
          "Qwen/Qwen2.5-7B-Instruct",
          "--out",
          runDir,
          "--nodes",
          "2",
        ])
      ).code,
    ).toBe(0);
    const record = join(base, "calls.jsonl");
    const path = process.env.PATH;
    process.env.PATH = `${FAKE_BIN}:${path}`;
    process.env.M1_FAKE_RECORD = record;
    try {
      const { code, stdout } = await runCli([
        "train",
        "launch",
        runDir,
        "--dry-run",
        "--node-rank",
        "1",
        "--head-address",
        "10.1.2.3",
        "--env",
        "NCCL_DEBUG=INFO",
      ]);
      expect(code).toBe(0);
      expect(stdout).toContain("export NCCL_DEBUG=INFO");
      expect(stdout).toContain(
        "accelerate launch --config_file accelerate.yaml --machine_rank 1 --main_process_ip 10.1.2.3 --main_process_port 29500 train.py --config sft.yaml",
      );
      expect(existsSync(record)).toBe(false);
      const stray = await runCli(["train", "launch", runDir, "--dry-run", "--partition", "gpu"]);
      expect(stray.code).toBe(2);
      expect(stray.stderr).toContain("--partition: Slurm options need --slurm");
    } finally {
      process.env.PATH = path;
      delete process.env.M1_FAKE_RECORD;
    }
  });
});

describe("m1 train prepare: bad input gives one line, exit 2, and writes nothing", () => {
  async function expectRejected(args: string[], runDir: string, pattern: RegExp) {
    const { code, stderr } = await runCli(["train", "prepare", ...args]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")[0]).toMatch(pattern);
    expect(existsSync(runDir)).toBe(false);
    return stderr;
  }

  it("a --data file that does not exist", async () => {
    const base = folder();
    const runDir = join(base, "run");
    const stderr = await expectRejected(
      [
        "--data",
        join(base, "missing.jsonl"),
        "--model",
        "Qwen/Qwen2.5-7B-Instruct",
        "--out",
        runDir,
      ],
      runDir,
      /missing\.jsonl: cannot read file \(fix: check the path\)/,
    );
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("rows missing reasoning", async () => {
    const base = folder();
    const rows = huatuoRows(3);
    delete rows[2]!.reasoning;
    const data = writeJsonl(join(base, "m1k.jsonl"), rows);
    const runDir = join(base, "run");
    const stderr = await expectRejected(
      ["--data", data, "--model", "Qwen/Qwen2.5-7B-Instruct", "--out", runDir],
      runDir,
      /m1k\.jsonl:3: reasoning: missing column 'reasoning' \(fix: /,
    );
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unknown -u key", async () => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(1));
    const runDir = join(base, "run");
    await expectRejected(
      ["--data", data, "--model", "Qwen/Qwen2.5-7B-Instruct", "--out", runDir, "-u", "epochs=3"],
      runDir,
      /^m1: error: -u epochs: unknown key 'epochs' \(fix: did you mean 'num_train_epochs'\? e\.g\. -u num_train_epochs=3\)$/,
    );
  });

  it.each([
    [
      "abc",
      /^m1: error: --gpus: "abc" is not a whole number above 0 \(fix: use e\.g\. --gpus 8\)$/,
    ],
    ["0", /^m1: error: --gpus: 0 is not a whole number above 0 \(fix: use e\.g\. --gpus 8\)$/],
    ["3", /global_batch_size: global_batch_size 16 is not a multiple of .* 3 GPUs/],
  ])("a bad --gpus %s", async (gpus, pattern) => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(1));
    const runDir = join(base, "run");
    await expectRejected(
      ["--data", data, "--model", "Qwen/Qwen2.5-7B-Instruct", "--out", runDir, "--gpus", gpus],
      runDir,
      pattern,
    );
  });
});
