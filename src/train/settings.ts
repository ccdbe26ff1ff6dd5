import { z } from "zod";
import { parseConfig, type ConfigLayer } from "../config/index.js";
import { M1_BLOCK_SIZE } from "../curate/training-text/training-rows.js";
import { ConfigError } from "../errors.js";
import { modelFamily, needsGradientCheckpointing } from "./model-family.js";

const positiveInteger = z.number().int().positive();

/**
 * Every setting of a training run. Names follow TRL's SFTConfig where TRL has the setting
 * (`learning_rate`, `num_train_epochs`, ...) and m1's names otherwise (`block_size`,
 * `global_batch_size`); one name everywhere: `-u` keys, the `-c` YAML file, run.json.
 */
export const trainSettingsSchema = z
  .object({
    gpus: positiveInteger,
    nodes: positiveInteger,
    learning_rate: z.number().positive(),
    num_train_epochs: z.number().positive(),
    global_batch_size: positiveInteger,
    per_device_train_batch_size: positiveInteger,
    weight_decay: z.number().nonnegative(),
    warmup_ratio: z.number().min(0).max(1),
    lr_scheduler_type: z.string().min(1),
    adam_beta1: z.number().min(0).lt(1),
    adam_beta2: z.number().min(0).lt(1),
    /** m1's block size: TRL's `max_length`; longer examples are truncated. */
    block_size: positiveInteger,
    save_strategy: z.enum(["epoch", "steps", "no"]),
    save_steps: positiveInteger,
    bf16: z.boolean(),
    gradient_checkpointing: z.boolean(),
    logging_steps: positiveInteger,
    save_only_model: z.boolean(),
    report_to: z.string().min(1),
    seed: z.number().int(),
    /** dtype the weights are loaded in; m1 loads float32 and trains in bf16 mixed precision. */
    model_dtype: z.enum(["float32", "bfloat16", "float16", "auto"]),
    attn_implementation: z
      .string()
      .min(1)
      .nullable()
      .meta({ examples: ["flash_attention_2"] }),
    decoder_layer_class: z
      .string()
      .min(1)
      .meta({ examples: ["Qwen2DecoderLayer"] }),
    pad_token: z
      .string()
      .min(1)
      .nullable()
      .meta({ examples: ["<|fim_pad|>"] }),
    response_template: z
      .string()
      .min(1)
      .nullable()
      .meta({ examples: ["<|im_start|>assistant\n"] }),
    fsdp_version: z.union([z.literal(1), z.literal(2)]),
    fsdp_offload_params: z.boolean(),
    main_process_port: z.number().int().min(1).max(65535),
    /** Seconds the ranks wait on each other (loading a 32B model takes a while). */
    ddp_timeout: positiveInteger,
    /** Where checkpoints go, relative to the run folder. */
    output_dir: z.string().min(1),
  })
  .strict();

export type TrainSettings = z.output<typeof trainSettingsSchema>;
export type TrainSettingKey = keyof TrainSettings;
export const TRAIN_SETTING_KEYS = Object.keys(trainSettingsSchema.shape) as TrainSettingKey[];

/** m1's hyperparameters (src/train/sft_local.sh, sft.py) and our run defaults. */
export const M1_TRAIN_DEFAULTS = {
  gpus: 8,
  nodes: 1,
  learning_rate: 1e-5,
  num_train_epochs: 5,
  global_batch_size: 16,
  per_device_train_batch_size: 1,
  weight_decay: 1e-4,
  warmup_ratio: 0.05,
  lr_scheduler_type: "cosine",
  adam_beta1: 0.9,
  adam_beta2: 0.95,
  block_size: M1_BLOCK_SIZE,
  save_strategy: "epoch",
  save_steps: 500,
  bf16: true,
  logging_steps: 1,
  save_only_model: true,
  report_to: "none",
  seed: 42,
  model_dtype: "float32",
  attn_implementation: null,
  fsdp_version: 1,
  fsdp_offload_params: false,
  main_process_port: 29500,
  ddp_timeout: 3600,
  output_dir: "checkpoints",
} satisfies Partial<TrainSettings>;

export interface ResolvedTrainSettings {
  model: string;
  settings: TrainSettings;
  /** global_batch_size / (per_device_train_batch_size x gpus x nodes). */
  gradientAccumulationSteps: number;
  /** gpus x nodes: one process per GPU. */
  worldSize: number;
  /** The model family the derived defaults came from (undefined when unknown). */
  family?: string;
}

/**
 * Defaults <- model-derived defaults <- each layer in order (the -c file, flags, -u), validated
 * once; a problem names the file:line, flag or `-u` key it came from.
 */
export function resolveTrainSettings(
  model: string,
  layers: readonly ConfigLayer[],
): ResolvedTrainSettings {
  const family = modelFamily(model);
  const derived: Record<string, unknown> = {
    gradient_checkpointing: needsGradientCheckpointing(model),
    pad_token: family?.padToken ?? null,
    response_template: family?.responseTemplate ?? null,
  };
  if (family) derived.decoder_layer_class = family.decoderLayerClass;
  const defaults: ConfigLayer = {
    origin: { kind: "defaults" },
    values: { ...M1_TRAIN_DEFAULTS, ...derived },
  };
  const all = [defaults, ...layers];
  // Unknown keys and bad values first: a typo should not surface as a missing setting.
  parseConfig(trainSettingsSchema.partial(), all, KEY_HELP);
  if (!all.some((layer) => layer.values.decoder_layer_class !== undefined)) {
    throw new ConfigError(
      `cannot tell the decoder layer class FSDP should wrap from the model name '${model}'`,
      {
        key: "decoder_layer_class",
        fix: "name it, e.g. -u decoder_layer_class=Qwen2DecoderLayer (the class in the model's modeling file)",
      },
    );
  }
  const settings = parseConfig(trainSettingsSchema, all, KEY_HELP);
  const worldSize = settings.gpus * settings.nodes;
  const perStep = settings.per_device_train_batch_size * worldSize;
  if (settings.global_batch_size % perStep !== 0) {
    throw new ConfigError(
      `global_batch_size ${settings.global_batch_size} is not a multiple of ` +
        `per_device_train_batch_size ${settings.per_device_train_batch_size} x ${settings.gpus} GPUs x ${settings.nodes} nodes = ${perStep}`,
      {
        key: "global_batch_size",
        fix: `use a GPU count that divides ${settings.global_batch_size / settings.per_device_train_batch_size}, or set -u global_batch_size to a multiple of ${perStep}`,
      },
    );
  }
  return {
    model,
    settings,
    gradientAccumulationSteps: settings.global_batch_size / perStep,
    worldSize,
    family: family?.name,
  };
}

/** Names people bring from TRL, m1's shell scripts or torchrun. */
const ALIASES: Readonly<Record<string, string>> = {
  max_length: "block_size",
  max_seq_length: "block_size",
  lr: "learning_rate",
  epochs: "num_train_epochs",
  gpu_count: "gpus",
  nnodes: "nodes",
  per_device_batch_size: "per_device_train_batch_size",
  gradient_accumulation_steps: "global_batch_size (gradient accumulation is derived from it)",
  model_name: "the --model flag",
};

const KEY_HELP = {
  aliases: ALIASES,
  keysHelp: `known settings: ${TRAIN_SETTING_KEYS.join(", ")}`,
};
