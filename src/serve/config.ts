import { z } from "zod";
import { generationSettingsShape } from "../engine/generation-settings.js";
import { REASONING_EFFORTS, type ReasoningEffort } from "./request-schema.js";

/**
 * `m1 serve`'s settings: the YAML file of `--config` and the command line hold the same keys (a
 * flag's name in snake_case: `--max-queue` is `max_queue`). Three groups: where the model is (the
 * flags `m1 ask` has), how the service runs, and the defaults of every request, under the very
 * names a request uses (`thinking_budget`, `wait_rounds`, ...).
 */

const wholeNumber = (minimum: number) => z.number().int().min(minimum);
const optionalText = z.string().min(1).nullable().default(null);

/** Thinking budgets per `reasoning_effort`: the paper's sweep runs 1K-8K thinking tokens. */
export const DEFAULT_EFFORT_BUDGETS: Readonly<Record<ReasoningEffort, number>> = {
  low: 1024,
  medium: 4096,
  high: 8192,
};

const tokens = generationSettingsShape.max_new_tokens.unwrap();

const effortBudgetsShape = Object.fromEntries(
  REASONING_EFFORTS.map((effort) => [effort, tokens.default(DEFAULT_EFFORT_BUDGETS[effort])]),
) as Record<ReasoningEffort, z.ZodDefault<typeof tokens>>;

/** Defaults of every request; a request's own value wins. */
export const requestDefaultsShape = {
  /** No default of its own: `reasoning_effort`'s budget, else m1's `max_new_tokens`. */
  thinking_budget: tokens
    .nullable()
    .default(null)
    .meta({ examples: [2048] }),
  reasoning_effort: z.enum(REASONING_EFFORTS).nullable().default(null),
  reasoning_effort_budgets: z
    .object(effortBudgetsShape)
    .strict()
    .prefault({})
    .meta({ examples: [DEFAULT_EFFORT_BUDGETS] }),
  max_completion_tokens: generationSettingsShape.max_new_answer_tokens,
  wait_rounds: generationSettingsShape.keep_think_below_budget_times,
  wait_text: generationSettingsShape.keep_think_below_budget_str,
  min_thinking_tokens: generationSettingsShape.min_thinking_tokens,
  thinking: z.boolean().default(true),
  temperature: generationSettingsShape.temperature,
  top_p: generationSettingsShape.top_p,
  frequency_penalty: generationSettingsShape.frequency_penalty,
  /** null: a fresh random seed per choice, as OpenAI does; set 42 for m1's fixed seed. */
  seed: z
    .number()
    .int()
    .nullable()
    .default(null)
    .meta({ examples: [42] }),
  thinking_format: generationSettingsShape.thinking_format,
  forced_close_message: generationSettingsShape.forced_close_message,
};

const backendShape = {
  model: optionalText.meta({ examples: ["m1-7b-q8_0.gguf"] }),
  base_url: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .nullable()
    .default(null)
    .meta({ examples: ["http://127.0.0.1:8001/v1"] }),
  upstream_api_key: optionalText.meta({ examples: ["sk-upstream"] }),
  /** The name clients ask for; with --base-url, also the upstream model chosen. */
  model_name: optionalText.meta({ examples: ["m1-7b"] }),
  launch: z.enum(["vllm", "sglang"]).nullable().default(null),
  model_path: optionalText.meta({ examples: ["UCSC-VLAA/m1-7B-23K"] }),
  dp: wholeNumber(1).default(1),
  tp: wholeNumber(1).default(1),
  mem_fraction: z
    .number()
    .gt(0)
    .max(1)
    .nullable()
    .default(null)
    .meta({ examples: [0.8] }),
  launch_port: wholeNumber(1)
    .max(65535)
    .nullable()
    .default(null)
    .meta({ examples: [8001] }),
  chat_template: optionalText.meta({ examples: ["tokenizer_config.json"] }),
  tokenizer: optionalText.meta({ examples: ["tokenizer.json"] }),
  threads: wholeNumber(1)
    .nullable()
    .default(null)
    .meta({ examples: [8] }),
  context_size: wholeNumber(16)
    .nullable()
    .default(null)
    .meta({ examples: [16384] }),
  gpu: z.enum(["auto", "cpu"]).default("auto"),
  /** Embedded: one context per sequence, so output never depends on what runs beside it. */
  deterministic: z.boolean().default(true),
  /** Servers: keep sequences as token ids (llama.cpp's llama-server, vLLM 0.10.2+). */
  exact_tokens: z.boolean().default(false),
  /** Seconds for one call to an upstream server. */
  timeout: z.number().min(1).default(600),
  /** Sequences generated at once; default 4 embedded, 64 per upstream server. */
  parallel: wholeNumber(1)
    .nullable()
    .default(null)
    .meta({ examples: [4] }),
};

export const DEFAULT_EMBEDDED_PARALLEL = 4;

const serviceShape = {
  host: z.string().min(1).default("127.0.0.1"),
  /** 0 picks a free port. */
  port: wholeNumber(0).max(65535).default(8000),
  /** When set, every request needs `Authorization: Bearer <api_key>`. */
  api_key: optionalText.meta({ examples: ["a-long-random-secret"] }),
  /** Sequences that may wait for a free slot; beyond them a request gets 429. */
  max_queue: wholeNumber(0).default(256),
  /** Seconds a request may take, queueing included, before it is cancelled (504). */
  request_timeout: z.number().gt(0).default(600),
  max_body_bytes: wholeNumber(1024).default(4 * 1024 * 1024),
  /** Web pages (origins) whose scripts may call the API from a browser; "*" for any. */
  cors_origins: z
    .array(z.string().min(1))
    .default([])
    .meta({ examples: [["http://localhost:3000"]] }),
};

export const serveConfigSchema = z
  .object({ ...backendShape, ...serviceShape, ...requestDefaultsShape })
  .strict()
  .superRefine((config, context) => {
    if (config.thinking_budget !== null && config.reasoning_effort !== null) {
      context.addIssue({
        code: "custom",
        path: ["reasoning_effort"],
        message:
          "thinking_budget and reasoning_effort both set the default thinking budget: keep one",
      });
    }
    if (config.wait_rounds > 0 && config.wait_text === "") {
      context.addIssue({
        code: "custom",
        path: ["wait_text"],
        message: `"" is empty, but wait_rounds asks for ${config.wait_rounds} Wait round(s)`,
      });
    }
  });

export type ServeConfig = z.output<typeof serveConfigSchema>;

/** The request defaults part of a config. */
export type RequestDefaults = Pick<ServeConfig, keyof typeof requestDefaultsShape>;

export function requestDefaultsOf(config: ServeConfig): RequestDefaults {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(requestDefaultsShape)) {
    picked[key] = config[key as keyof ServeConfig];
  }
  return picked as RequestDefaults;
}
