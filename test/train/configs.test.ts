import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { pythonYamlNumber, toPythonYaml } from "../../src/train/python-yaml.js";
import {
  renderAccelerateConfig,
  renderFsdpConfigJson,
  renderSftConfig,
} from "../../src/train/run-files.js";
import type { ConfigLayer } from "../../src/config/index.js";
import { resolveTrainSettings } from "../../src/train/settings.js";
import { HAS_PYTHON_YAML, loadWithPyYaml } from "./support.js";

/** Parse as PyYAML does (YAML 1.1): `1e-05` without a dot would be a string there. */
function parseYaml11(text: string): Record<string, unknown> {
  return YAML.parse(text, { version: "1.1" }) as Record<string, unknown>;
}

function configs(model: string, sources: ConfigLayer[] = []) {
  const resolved = resolveTrainSettings(model, sources);
  return {
    sft: parseYaml11(renderSftConfig(resolved, "run-a")),
    sftText: renderSftConfig(resolved, "run-a"),
    accelerate: parseYaml11(renderAccelerateConfig(resolved)),
    accelerateText: renderAccelerateConfig(resolved),
    fsdp: JSON.parse(renderFsdpConfigJson(resolved)) as Record<string, unknown>,
  };
}

describe("generated configs", () => {
  it("hold m1's hyperparameters in the TRL SFT config, loss on the completion only", () => {
    const { sft } = configs("Qwen/Qwen2.5-7B-Instruct");
    expect(sft).toEqual({
      m1: {
        model_name_or_path: "Qwen/Qwen2.5-7B-Instruct",
        dataset_path: "dataset.jsonl",
        pad_token: "<|fim_pad|>",
      },
      run_name: "run-a",
      output_dir: "checkpoints",
      model_init_kwargs: { dtype: "float32" },
      max_length: 32768,
      completion_only_loss: true,
      packing: false,
      per_device_train_batch_size: 1,
      gradient_accumulation_steps: 2,
      num_train_epochs: 5,
      learning_rate: 1e-5,
      lr_scheduler_type: "cosine",
      warmup_ratio: 0.05,
      weight_decay: 1e-4,
      adam_beta1: 0.9,
      adam_beta2: 0.95,
      bf16: true,
      gradient_checkpointing: false,
      logging_steps: 1,
      save_strategy: "epoch",
      save_only_model: true,
      eval_strategy: "no",
      report_to: "none",
      seed: 42,
      ddp_timeout: 3600,
      push_to_hub: false,
    });
  });

  it("write an accelerate FSDP config: full shard, Qwen2DecoderLayer auto-wrap, bf16, one process per GPU", () => {
    const { accelerate } = configs("Qwen/Qwen2.5-7B-Instruct");
    expect(accelerate).toMatchObject({
      distributed_type: "FSDP",
      mixed_precision: "bf16",
      num_machines: 1,
      num_processes: 8,
      machine_rank: 0,
      main_process_port: 29500,
      downcast_bf16: "no",
      fsdp_config: {
        fsdp_version: 1,
        fsdp_auto_wrap_policy: "TRANSFORMER_BASED_WRAP",
        fsdp_transformer_layer_cls_to_wrap: "Qwen2DecoderLayer",
        fsdp_reshard_after_forward: "FULL_SHARD",
        fsdp_state_dict_type: "FULL_STATE_DICT",
        fsdp_offload_params: false,
      },
    });
  });

  it("size the 32B run on 2 nodes x 8 GPUs as m1 did: 16 processes, no accumulation, gradient checkpointing", () => {
    const { sft, accelerate } = configs("Qwen/Qwen2.5-32B-Instruct", [
      { origin: { kind: "flag", flag: "--nodes" }, values: { nodes: 2 } },
    ]);
    expect(accelerate).toMatchObject({ num_machines: 2, num_processes: 16 });
    expect(sft).toMatchObject({ gradient_accumulation_steps: 1, gradient_checkpointing: true });
  });

  it("carry -u overrides into every file", () => {
    const { sft, accelerate, fsdp } = configs("Qwen/Qwen3-8B", [
      {
        origin: { kind: "dotlist", flag: "-u" },
        values: {
          gpus: 1,
          learning_rate: 1e-7,
          block_size: 4096,
          fsdp_version: 2,
          attn_implementation: "flash_attention_2",
          save_strategy: "steps",
          save_steps: 100,
        },
      },
    ]);
    expect(sft).toMatchObject({
      learning_rate: 1e-7,
      max_length: 4096,
      gradient_accumulation_steps: 16,
      save_strategy: "steps",
      save_steps: 100,
      model_init_kwargs: { dtype: "float32", attn_implementation: "flash_attention_2" },
    });
    expect(accelerate).toMatchObject({
      num_processes: 1,
      fsdp_config: {
        fsdp_version: 2,
        fsdp_reshard_after_forward: true,
        fsdp_transformer_layer_cls_to_wrap: "Qwen3DecoderLayer",
      },
    });
    expect(fsdp).toEqual({
      transformer_layer_cls_to_wrap: ["Qwen3DecoderLayer"],
      version: 2,
      cpu_ram_efficient_loading: true,
      sync_module_states: true,
      state_dict_type: "FULL_STATE_DICT",
    });
  });

  it("write floats PyYAML reads as floats and strings it reads as strings", () => {
    expect(pythonYamlNumber(1e-5)).toBe("0.00001");
    expect(pythonYamlNumber(1e-7)).toBe("1.0e-07");
    expect(pythonYamlNumber(2.5e-8)).toBe("2.5e-08");
    expect(pythonYamlNumber(5)).toBe("5");
    const text = toPythonYaml({ a: "yes", b: "1e-5", c: 1e-7, d: null, e: { f: [1, "on"] } });
    expect(parseYaml11(text)).toEqual({
      a: "yes",
      b: "1e-5",
      c: 1e-7,
      d: null,
      e: { f: [1, "on"] },
    });
  });

  it.skipIf(!HAS_PYTHON_YAML)("load with the real PyYAML to the same values", () => {
    const { sftText, accelerateText, sft, accelerate } = configs("Qwen/Qwen2.5-7B-Instruct", [
      {
        origin: { kind: "dotlist", flag: "-u" },
        values: { learning_rate: 1e-7, report_to: "yes" },
      },
    ]);
    const [sftLoaded, accelerateLoaded] = loadWithPyYaml([sftText, accelerateText]);
    expect(sftLoaded).toEqual(sft);
    expect(accelerateLoaded).toEqual(accelerate);
    expect((sftLoaded as Record<string, unknown>).learning_rate).toBe(1e-7);
  });
});
