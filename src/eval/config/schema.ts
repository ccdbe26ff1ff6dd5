import { z } from "zod";
import {
  checkAdaptiveKeys,
  checkWaitText,
  generationSettingsShape,
} from "../../engine/generation-settings.js";
import { THINKING_FORMAT_NAMES } from "../../engine/thinking-formats.js";

/**
 * `m1 eval` configuration. m1's keys keep m1's names, meanings and defaults (src/eval/configs/
 * base.yaml in the m1 repository); ours follow below them. Unknown keys are errors.
 */
const positiveInteger = z.number().int().positive();
const nonNegativeInteger = z.number().int().nonnegative();
const nullableString = z.string().nullable();

// Examples shown in the fix of a bad value (keys without a useful default need one).
const modelPath = nullableString.meta({ examples: ["models/m1-7b-q8_0.gguf"] });
const tokenizerPath = nullableString.meta({ examples: ["models/m1-7b/tokenizer.json"] });
const baseUrl = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .nullable()
  .meta({ examples: ["http://127.0.0.1:8000/v1"] });
const modelName = nullableString.meta({ examples: ["UCSC-VLAA/m1-7B-23K"] });
const chatTemplate = nullableString.meta({ examples: ["templates/qwen2.5.jinja"] });
const port = z.number().int().min(1).max(65535);

/** One model of a study; anything not given falls back to the top-level keys. */
export const modelEntrySchema = z
  .object({
    name: z.string().min(1).optional(),
    model_path: modelPath.optional(),
    tokenizer_path: tokenizerPath.optional(),
    backend: z.enum(["embedded", "openai"]).optional(),
    base_url: baseUrl.optional(),
    launch: z.enum(["vllm", "sglang"]).nullable().optional(),
    model_name: modelName.optional(),
    chat_template: chatTemplate.optional(),
    thinking_format: z.enum(THINKING_FORMAT_NAMES).optional(),
    port: port.optional(),
    dp: positiveInteger.optional(),
    tp: positiveInteger.optional(),
  })
  .strict();

export const evalConfigSchema = z
  .object({
    // ---- m1's keys ----
    model_path: modelPath.default(null),
    tokenizer_path: tokenizerPath.default(null),
    port: port.default(28035),
    dp: positiveInteger.default(8),
    tp: positiveInteger.default(1),
    mem_fraction_static: z.number().gt(0).max(1).default(0.8),
    log_level: z.string().default("warning"),
    use_chat_template: z
      .literal(true)
      .meta({ note: "only True is supported (as in m1)" })
      .default(true),
    /** m1's prompt cut (see src/eval/prompt-truncation.ts); 0 or less: off. */
    max_tokens: z.number().int().default(-1),
    max_new_tokens: generationSettingsShape.max_new_tokens,
    print_example: z.boolean().default(false),
    force_think: z.boolean().default(false),
    max_new_answer_tokens: generationSettingsShape.max_new_answer_tokens,
    /** Thinking delimiters: when unset, the `thinking_format` preset's (m1's by default). */
    think_str: z
      .string()
      .optional()
      .meta({ examples: ["<think>\n"] }),
    start_answer_str: z
      .string()
      .optional()
      .meta({ examples: ["</think>\n\n"] }),
    start_overthink_answer_str: z
      .string()
      .optional()
      .meta({ examples: ["</think>\n\nFinal Answer:"] }),
    seed: generationSettingsShape.seed,
    eval_data_path: z.string().min(1).default("misc/m1_eval_data.json"),
    /** m1 checks this md5 always; we check it when set (and by default only for m1's own file). */
    eval_data_md5sum: nullableString
      .optional()
      .meta({ examples: ["fe50ce67a958cfa9bc958a51b2502e57"] }),
    limit: z.number().int().default(-1),
    prefix_prompt: nullableString.default(null).meta({ examples: ["You are a medical expert."] }),
    prefix_prompt_delimiter: z.string().default("\n"),
    suffix_prompt: nullableString
      .default(null)
      .meta({ examples: ["Answer with the letter of the correct option."] }),
    suffix_prompt_delimiter: z.string().default("\n"),
    /** Accepted for m1 compatibility; requests are bounded by `concurrency` instead. */
    batch_size: positiveInteger.default(1024),
    output_dir: z.string().min(1).default("outputs"),
    exp_name: z.string().min(1).default("debug"),
    overwrite: z.boolean().default(false),
    version: nonNegativeInteger
      .nullable()
      .default(null)
      .meta({ examples: [0] }),
    temperature: generationSettingsShape.temperature,
    frequency_penalty: generationSettingsShape.frequency_penalty,
    timeout: z.number().positive().default(600),
    keep_think_below_budget_times: generationSettingsShape.keep_think_below_budget_times,
    keep_think_below_budget_str: generationSettingsShape.keep_think_below_budget_str,

    // ---- ours ----
    backend: z.enum(["embedded", "openai"]).nullable().default(null),
    base_url: baseUrl.default(null),
    api_key: nullableString.default(null).meta({ examples: ["sk-local"] }),
    model_name: modelName.default(null),
    launch: z.enum(["vllm", "sglang"]).nullable().default(null),
    chat_template: chatTemplate.default(null),
    thinking_format: generationSettingsShape.thinking_format,
    stop_strings: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .meta({ examples: [["</think>", "<|im_end|>"]] }),
    forced_close_message: generationSettingsShape.forced_close_message,
    min_thinking_tokens: generationSettingsShape.min_thinking_tokens,
    top_p: generationSettingsShape.top_p,
    probe_every: generationSettingsShape.probe_every,
    probe_tokens: generationSettingsShape.probe_tokens,
    early_exit_patience: generationSettingsShape.early_exit_patience,
    loop_cutoff: generationSettingsShape.loop_cutoff,
    /** Independent samples per question, answer by majority vote (a list: a sweep axis). */
    samples_per_question: z
      .union([positiveInteger, z.array(positiveInteger).min(1)])
      .default(1)
      .meta({ examples: [4] }),
    concurrency: positiveInteger
      .nullable()
      .default(null)
      .meta({ examples: [8] }),
    threads: positiveInteger
      .nullable()
      .default(null)
      .meta({ examples: [4] }),
    context_size: positiveInteger
      .nullable()
      .default(null)
      .meta({ examples: [16384] }),
    /** Embedded engine: one context per sequence, so greedy output never depends on concurrency. */
    deterministic: z.boolean().default(true),
    gpu: z.enum(["auto", "cpu"]).default("auto"),
    use_cache: z.boolean().default(true),
    retries: nonNegativeInteger.default(4),
    /** Servers: keep sequences as token ids (llama.cpp's llama-server, vLLM 0.10.2+). */
    exact_tokens: z.boolean().default(false),
    budgets: z
      .array(positiveInteger)
      .min(1)
      .nullable()
      .default(null)
      .meta({ examples: [[512, 1024, 2048]] }),
    wait_rounds: z
      .array(nonNegativeInteger)
      .min(1)
      .nullable()
      .default(null)
      .meta({ examples: [[0, 1, 2]] }),
    seeds: z
      .array(z.number().int())
      .min(1)
      .nullable()
      .default(null)
      .meta({ examples: [[42, 43]] }),
    models: z
      .array(z.union([z.string().min(1), modelEntrySchema]))
      .min(1)
      .nullable()
      .default(null)
      .meta({ examples: [["models/m1-7b-q8_0.gguf"]] }),
  })
  .strict()
  .superRefine(checkWaitText)
  .superRefine((config, context) =>
    checkAdaptiveKeys(config, config.budgets ?? [config.max_new_tokens], context),
  )
  .superRefine(checkSamplesPerQuestion)
  .superRefine(checkAdaptiveNeedsThinking);

/** Probes and the loop cut-off act on the thinking phase, which only force_think has. */
function checkAdaptiveNeedsThinking(
  config: {
    force_think: boolean;
    probe_every: number | null;
    early_exit_patience: number | null;
    loop_cutoff: unknown;
  },
  context: z.RefinementCtx,
): void {
  if (config.force_think) return;
  const given = (["probe_every", "early_exit_patience", "loop_cutoff"] as const).find(
    (key) => config[key] !== null,
  );
  if (given) {
    context.addIssue({
      code: "custom",
      path: [given],
      message: `${given} acts on the thinking phase, but force_think is False (no thinking; set force_think=True)`,
    });
  }
}

/** Several samples of one question differ only when sampling is random. */
function checkSamplesPerQuestion(
  config: { samples_per_question: number | number[]; temperature: number },
  context: z.RefinementCtx,
): void {
  const counts = [config.samples_per_question].flat();
  const most = Math.max(...counts);
  if (most > 1 && config.temperature === 0) {
    context.addIssue({
      code: "custom",
      path: ["samples_per_question"],
      message: `${most} samples of one question need sampling, but temperature is 0 (greedy: all would be the same)`,
      params: {
        fix: "set temperature above 0 (e.g. temperature: 0.7), or samples_per_question: 1",
      },
    });
  }
}

export type EvalConfig = z.output<typeof evalConfigSchema>;
export type ModelEntry = z.output<typeof modelEntrySchema>;

/** Every key `m1 eval` accepts (for "did you mean" hints). */
export const EVAL_CONFIG_KEYS: readonly string[] = Object.keys(evalConfigSchema.shape);

/** m1's published eval file and its md5, checked by default when that file is used. */
export const M1_EVAL_FILE_NAME = "m1_eval_data.json";
export const M1_EVAL_FILE_MD5 = "fe50ce67a958cfa9bc958a51b2502e57";
