import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { latestCheckpoint } from "../../src/train/checkpoints.js";
import { prepareRun } from "../../src/train/prepare.js";
import { huatuoRows, temporaryFolder, writeJsonl } from "./support.js";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe("latestCheckpoint", () => {
  it("finds the checkpoint with the highest step in the run's output folder", async () => {
    const base = temporaryFolder();
    cleanup = base.remove;
    const runDir = join(base.path, "run");
    await prepareRun({
      dataPath: writeJsonl(join(base.path, "d.jsonl"), huatuoRows(1)),
      model: "Qwen/Qwen2.5-7B-Instruct",
      runDir,
      settings: [],
    });
    expect(latestCheckpoint(runDir)).toBeUndefined();
    for (const step of [100, 2000, 300])
      mkdirSync(join(runDir, "checkpoints", `checkpoint-${step}`), { recursive: true });
    writeFileSync(join(runDir, "checkpoints", "checkpoint-9999"), "a file, not a checkpoint");
    mkdirSync(join(runDir, "checkpoints", "checkpoint-final-copy"));
    expect(latestCheckpoint(runDir)).toBe(join(runDir, "checkpoints", "checkpoint-2000"));
    expect(latestCheckpoint(join(runDir, "checkpoints"))).toBe(
      join(runDir, "checkpoints", "checkpoint-2000"),
    );
  });

  it("returns the output folder itself when the final model was saved there (save_strategy no)", () => {
    const base = temporaryFolder();
    cleanup = base.remove;
    writeFileSync(join(base.path, "config.json"), "{}");
    expect(latestCheckpoint(base.path)).toBe(base.path);
    expect(latestCheckpoint(join(base.path, "missing"))).toBeUndefined();
  });
});
