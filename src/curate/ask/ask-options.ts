import { z } from "zod";
import { parseConfig, readConfigFile } from "../../config/index.js";
import { THINKING_FORMAT_NAMES } from "../../engine/thinking-formats.js";
import {
  MESH_CLASSIFY_SYSTEM_PROMPT,
  MESH_CLASSIFY_USER_TEMPLATE,
} from "../classify/mesh-rubric.js";
import { priceTableSchema } from "./prices.js";

/**
 * The settings of one `ask` (and `classify`) run, as written in ask.yaml or in a pipeline.yaml
 * step. Snake_case like m1's configs. Every key is optional here: a preset, the file and the
 * command-line flags are layered, then `resolveAskSettings` checks what must be there.
 */
export const askOptionsShape = {
  preset: z.enum(["difficulty", "distill", "classify"]).optional(),
  model: z
    .string()
    .min(1)
    .meta({ examples: ["deepseek-reasoner"] })
    .optional(),
  base_url: z
    .url()
    .meta({ examples: ["https://api.deepseek.com/v1"] })
    .optional(),
  /** Name of the environment variable holding the API key (keys never go in files). */
  api_key_env: z
    .string()
    .min(1)
    .meta({ examples: ["DEEPSEEK_API_KEY"] })
    .optional(),
  system_prompt: z
    .string()
    .meta({ examples: ["You are a careful physician."] })
    .optional(),
  /** The user message, Python format style: `{column}`, `{{`/`}}` for braces. */
  user_template: z
    .string()
    .min(1)
    .meta({ examples: ["{prompt}"] })
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop: z
    .array(z.string())
    .meta({ examples: [["</answer>"]] })
    .optional(),
  extra_body: z
    .record(z.string(), z.unknown())
    .meta({ examples: [{ top_k: 20 }] })
    .optional(),
  /** Output column for `message.content`. */
  content_column: z
    .string()
    .min(1)
    .meta({ examples: ["model_answer_string"] })
    .optional(),
  /** Output column for `message.reasoning_content`; unset: not kept. */
  reasoning_column: z
    .string()
    .min(1)
    .meta({ examples: ["reasoning"] })
    .optional(),
  rpm: z
    .number()
    .positive()
    .meta({ examples: [1000] })
    .optional(),
  tpm: z
    .number()
    .positive()
    .meta({ examples: [1_000_000] })
    .optional(),
  burst_seconds: z
    .number()
    .positive()
    .meta({ examples: [60] })
    .optional(),
  concurrency: z.number().int().positive().optional(),
  max_retries: z.number().int().nonnegative().optional(),
  timeout_seconds: z
    .number()
    .positive()
    .meta({ examples: [600] })
    .optional(),
  retry_initial_delay_seconds: z.number().nonnegative().optional(),
  retry_max_delay_seconds: z.number().nonnegative().optional(),
  /** Leave rows whose request failed after all retries out of the output instead of failing. */
  allow_failures: z.boolean().optional(),
  /** `api` (default): an OpenAI-compatible chat server; `local`: a GGUF model in this process. */
  engine: z.enum(["api", "local"]).optional(),
  /** The GGUF model of the local engine. */
  gguf: z
    .string()
    .min(1)
    .meta({ examples: ["models/qwen2.5-7b-instruct-q4_k_m.gguf"] })
    .optional(),
  /** Local engine: how the model thinks (`none` for instruct models, `m1`, `think-tags`). */
  thinking_format: z.enum(THINKING_FORMAT_NAMES).optional(),
  /** Local engine with thinking: tokens for the answer after thinking (m1's max_new_answer_tokens). */
  answer_tokens: z.number().int().positive().optional(),
  /** Local engine with thinking: budget-forcing Wait rounds (m1's keep_think_below_budget_times). */
  wait_rounds: z.number().int().nonnegative().optional(),
  /** The response cache file (default: ~/.cache/m1/curate/chat-answers.sqlite). */
  cache: z
    .string()
    .min(1)
    .meta({ examples: ["cache/chat-answers.sqlite"] })
    .optional(),
  prices: priceTableSchema.optional(),
};

export const askOptionsSchema = z.object(askOptionsShape).strict();
export type AskOptions = z.infer<typeof askOptionsSchema>;
export type AskPresetName = NonNullable<AskOptions["preset"]>;
export const ASK_OPTION_KEYS: readonly string[] = Object.keys(askOptionsShape);

/** m1's user message for both the difficulty filter and distillation (distill_data.py). */
export const BOXED_USER_TEMPLATE = "Return your final response within \\boxed{{}}. {prompt}";

/**
 * m1's three uses of model calls, as data. Limits are m1's curator settings for the provider it
 * used; change them to your provider's.
 */
export const ASK_PRESETS: Readonly<Record<AskPresetName, AskOptions>> = {
  /** Difficulty filter: Qwen2.5-7B/32B-Instruct answer; rows either gets right are dropped. */
  difficulty: {
    user_template: BOXED_USER_TEMPLATE,
    temperature: 0,
    max_tokens: 4000,
    content_column: "model_answer_string",
    rpm: 2000,
    tpm: 80_000,
  },
  /** Distillation: DeepSeek-R1's reasoning and answer. */
  distill: {
    user_template: BOXED_USER_TEMPLATE,
    temperature: 0,
    max_tokens: 8000,
    content_column: "distilled_answer_string",
    reasoning_column: "reasoning",
    rpm: 1000,
    tpm: 1_000_000,
  },
  /** Domain classification with GPT-4o over the MeSH rubric (no sampling settings, as m1). */
  classify: {
    system_prompt: MESH_CLASSIFY_SYSTEM_PROMPT,
    user_template: MESH_CLASSIFY_USER_TEMPLATE,
    content_column: "domain",
    rpm: 900,
    tpm: 270_000,
    timeout_seconds: 30,
    max_retries: 20,
  },
};

/** Defaults for what neither preset, file nor flags set (curator's retry policy). */
export const ASK_DEFAULTS = {
  burst_seconds: 60,
  concurrency: 32,
  max_retries: 10,
  timeout_seconds: 600,
  retry_initial_delay_seconds: 1,
  retry_max_delay_seconds: 60,
} as const;

/** Later layers win; keys a layer leaves undefined do not erase earlier ones. */
export function layerAskOptions(...layers: readonly (AskOptions | undefined)[]): AskOptions {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged as AskOptions;
}

/** Read and check an ask.yaml (the same keys as a pipeline.yaml ask step). */
export function readAskConfigFile(path: string): AskOptions {
  return parseConfig(
    askOptionsSchema,
    readConfigFile(path, { flag: "--config", exampleLine: "model: deepseek-reasoner" }),
  );
}
