import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareRun } from "../../src/train/prepare.js";
import { FIXTURES, HAS_PYTHON_YAML, huatuoRows, temporaryFolder, writeJsonl } from "./support.js";

// train.py runs under the real Python with stand-ins for transformers, trl and datasets
// (test/fixtures/train/python-stubs): the stub SFTConfig has no warmup_ratio, as transformers 5.2+.
describe.skipIf(!HAS_PYTHON_YAML)("generated train.py", () => {
  let base: { path: string; remove: () => void };
  let runDir: string;

  beforeAll(async () => {
    base = temporaryFolder("m1-train-script-");
    const data = writeJsonl(join(base.path, "m1k.jsonl"), huatuoRows(3));
    runDir = join(base.path, "run");
    await prepareRun({
      dataPath: data,
      model: "Qwen/Qwen2.5-7B-Instruct",
      runDir,
      settings: [{ origin: { kind: "dotlist", flag: "-u" }, values: { block_size: 8192 } }],
    });
  });
  afterAll(() => base.remove());

  it("builds SFTTrainer from sft.yaml: pad token, completion-only loss, the dataset, and command-line overrides", () => {
    const record = join(base.path, "trainer.json");
    const run = spawnSync(
      "python3",
      ["train.py", "--config", "sft.yaml", "--learning_rate", "2e-5"],
      {
        cwd: runDir,
        encoding: "utf8",
        env: {
          ...process.env,
          PYTHONPATH: join(FIXTURES, "python-stubs"),
          PYTHONDONTWRITEBYTECODE: "1",
          M1_STUB_RECORD: record,
        },
      },
    );
    expect(run.stderr).toContain("training on 3 examples; loss on the completion only: True");
    expect(run.status).toBe(0);
    const trainer = JSON.parse(readFileSync(record, "utf8"));
    expect(trainer).toMatchObject({
      model: "Qwen/Qwen2.5-7B-Instruct",
      examples: 3,
      pad_token: "<|fim_pad|>",
      args: {
        output_dir: "checkpoints",
        max_length: 8192,
        completion_only_loss: true,
        learning_rate: 2e-5,
        warmup_steps: 0.05,
        gradient_accumulation_steps: 2,
        model_init_kwargs: { dtype: "float32" },
        save_strategy: "epoch",
      },
    });
    expect(trainer.first_example.completion[0].content).toMatch(/^<\|im_start\|>think\n/);
  });
});
