import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareRun } from "../../src/train/prepare.js";
import { readRunManifest } from "../../src/train/run-manifest.js";
import { QWEN_TOKENIZER, huatuoRows, readJsonl, temporaryFolder, writeJsonl } from "./support.js";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function folder(): string {
  const made = temporaryFolder();
  cleanup = made.remove;
  return made.path;
}

describe("m1 train prepare", () => {
  it("writes the run folder: TRL dataset, sft.yaml, accelerate.yaml, fsdp_config.json, train.py, launch.sh, run.json", async () => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(8));
    const runDir = join(base, "runs", "m1-7b");
    const result = await prepareRun({
      dataPath: data,
      model: "Qwen/Qwen2.5-7B-Instruct",
      runDir,
      settings: [{ origin: { kind: "flag", flag: "--gpus" }, values: { gpus: 4 } }],
      command: ["m1", "train", "prepare"],
    });
    expect(readdirSync(runDir).sort()).toEqual([
      "accelerate.yaml",
      "dataset.jsonl",
      "fsdp_config.json",
      "launch.sh",
      "logs",
      "run.json",
      "sft.yaml",
      "train.py",
    ]);
    expect(readJsonl(join(runDir, "dataset.jsonl"))).toHaveLength(8);
    expect(statSync(join(runDir, "train.py")).mode & 0o111).not.toBe(0);
    expect(statSync(join(runDir, "launch.sh")).mode & 0o111).not.toBe(0);
    const manifest = readRunManifest(runDir);
    expect(manifest).toEqual(result.manifest);
    expect(manifest).toMatchObject({
      run_name: "m1-7b",
      model: {
        name: "Qwen/Qwen2.5-7B-Instruct",
        family: "qwen2",
        decoder_layer_class: "Qwen2DecoderLayer",
      },
      data: { path: data, rows: 8, form: "conversational" },
      derived: { gradient_accumulation_steps: 4, world_size: 4 },
      token_lengths: null,
      command: ["m1", "train", "prepare"],
    });
    expect(manifest.settings.learning_rate).toBe(1e-5);
    // A hand-edited run.json is named key by key, in our words, with the way back.
    const edited = { ...manifest, settings: { ...manifest.settings, gpus: "four" } };
    writeFileSync(join(runDir, "run.json"), JSON.stringify(edited));
    expect(() => readRunManifest(runDir)).toThrowError(
      `${join(runDir, "run.json")}: settings.gpus: "four" is not a whole number above 0 (fix: prepare the run again with \`m1 train prepare\`)`,
    );
    expect(readFileSync(join(runDir, "sft.yaml"), "utf8")).toContain(
      "gradient_accumulation_steps: 4",
    );
  });

  it("reports the rows longer than the block size, by id, when a tokenizer is given", async () => {
    const base = folder();
    const data = writeJsonl(join(base, "m1k.jsonl"), huatuoRows(10));
    const runDir = join(base, "run");
    // The rows have no `text` yet: the tokenizer_config.json beside tokenizer.json renders them.
    const result = await prepareRun({
      dataPath: data,
      model: "Qwen/Qwen2.5-7B-Instruct",
      runDir,
      settings: [{ origin: { kind: "dotlist", flag: "-u" }, values: { block_size: 3000 } }],
      tokenizerPath: QWEN_TOKENIZER,
    });
    const lengths = result.manifest.token_lengths!;
    expect(lengths.count).toBe(10);
    expect(lengths.above_block_size).toBeGreaterThan(0);
    expect(lengths.above_block_size).toBeLessThan(10);
    expect(lengths.above_block_size_ids).toHaveLength(lengths.above_block_size);
    expect(lengths.above_block_size_ids.every((id) => /^huatuo-\d$/.test(id))).toBe(true);
    expect(result.stats!.blockSize).toBe(3000);
  });

  it("takes token lengths from the num_tokens column of `m1 curate format` when no tokenizer is given", async () => {
    const base = folder();
    const rows = huatuoRows(3).map((row, index) => ({
      ...row,
      num_tokens: [100, 40000, 200][index],
    }));
    const data = writeJsonl(join(base, "formatted.jsonl"), rows);
    const result = await prepareRun({
      dataPath: data,
      model: "Qwen/Qwen2.5-7B-Instruct",
      runDir: join(base, "run"),
      settings: [],
    });
    expect(result.manifest.token_lengths).toMatchObject({
      tokenizer: "num_tokens column",
      above_block_size: 1,
      above_block_size_ids: ["huatuo-1"],
    });
  });
});
