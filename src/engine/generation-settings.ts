import { z } from "zod";
import type { AdaptiveSettings } from "./adaptive.js";
import {
  adaptiveSettingsProblem,
  waitTextProblem,
  type BudgetForcingSettings,
} from "./budget-forcing.js";
import {
  M1_THINKING_FORMAT,
  THINKING_FORMAT_NAMES,
  type ThinkingFormat,
} from "./thinking-formats.js";

/**
 * m1's defaults for one question under budget forcing (m1's src/eval/configs/base.yaml), plus our
 * two additions. The one owner of these numbers: `m1 ask`'s flags, `m1 eval`'s config keys and
 * the engine's DEFAULT_BUDGET_FORCING all read them from here.
 */
export const M1_GENERATION_DEFAULTS = {
  max_new_tokens: 2048,
  max_new_answer_tokens: 1024,
  keep_think_below_budget_times: 0,
  keep_think_below_budget_str: "Wait",
  temperature: 0,
  seed: 42,
  frequency_penalty: 0,
  /** Ours: refuse to end thinking before this many tokens (0: off). */
  min_thinking_tokens: 0,
  /** Ours: m1's own ChatML thinking delimiters. */
  thinking_format: "m1",
  /** Ours: tokens each answer probe may generate. */
  probe_tokens: 16,
} as const;

const tokens = z.number().int().positive();

/**
 * The generation keys, checked the same way wherever they are given (eval config, ask flags, a
 * serve config): m1's names, bounds and defaults.
 */
export const generationSettingsShape = {
  max_new_tokens: tokens.default(M1_GENERATION_DEFAULTS.max_new_tokens),
  max_new_answer_tokens: tokens.default(M1_GENERATION_DEFAULTS.max_new_answer_tokens),
  keep_think_below_budget_times: z
    .number()
    .int()
    .nonnegative()
    .default(M1_GENERATION_DEFAULTS.keep_think_below_budget_times),
  keep_think_below_budget_str: z
    .string()
    .default(M1_GENERATION_DEFAULTS.keep_think_below_budget_str),
  min_thinking_tokens: z
    .number()
    .int()
    .nonnegative()
    .default(M1_GENERATION_DEFAULTS.min_thinking_tokens),
  temperature: z.number().min(0).default(M1_GENERATION_DEFAULTS.temperature),
  top_p: z
    .number()
    .gt(0)
    .max(1)
    .nullable()
    .default(null)
    .meta({ examples: [0.95] }),
  frequency_penalty: z.number().min(-2).max(2).default(M1_GENERATION_DEFAULTS.frequency_penalty),
  seed: z.number().int().default(M1_GENERATION_DEFAULTS.seed),
  thinking_format: z.enum(THINKING_FORMAT_NAMES).default(M1_GENERATION_DEFAULTS.thinking_format),
  /** think-tags: text written before `</think>` when the budget ends thinking (Qwen3's sentence). */
  forced_close_message: z
    .string()
    .nullable()
    .default(null)
    .meta({ examples: ["Considering the limited time, I will answer now."] }),
  /** Ask for the answer as it stands every this many thinking tokens (null: no probes). */
  probe_every: tokens
    .nullable()
    .default(null)
    .meta({ examples: [64] }),
  /** Tokens each answer probe may generate. */
  probe_tokens: tokens.default(M1_GENERATION_DEFAULTS.probe_tokens),
  /** End thinking when this many probes in a row agree (0: probe and record only). */
  early_exit_patience: z
    .number()
    .int()
    .nonnegative()
    .nullable()
    .default(null)
    .meta({ examples: [2] }),
  /** End thinking when its last tokens are one span of >= ngram tokens written `repeats` times. */
  loop_cutoff: z
    // Ranges are checked with the budget (checkAdaptiveKeys), so the fix shows the whole setting.
    .object({ ngram: z.number().int(), repeats: z.number().int() })
    .strict()
    .nullable()
    .default(null)
    .meta({ examples: [{ ngram: 16, repeats: 3 }] }),
};

/** Wait rounds need a Wait text; added to every schema that holds the generation keys. */
export function checkWaitText(
  settings: { keep_think_below_budget_times: number; keep_think_below_budget_str: string },
  context: z.RefinementCtx,
): void {
  if (settings.keep_think_below_budget_times > 0 && settings.keep_think_below_budget_str === "") {
    context.addIssue({
      code: "custom",
      path: ["keep_think_below_budget_str"],
      message: waitTextProblem(settings.keep_think_below_budget_times),
    });
  }
}

/** The adaptive-compute keys as they come out of a schema (null: not given). */
export interface AdaptiveKeys {
  probe_every: number | null;
  probe_tokens: number;
  early_exit_patience: number | null;
  loop_cutoff: { ngram: number; repeats: number } | null;
}

/** The engine's adaptive settings from the keys; undefined when none is on (m1's thinking). */
export function adaptiveSettings(keys: AdaptiveKeys): AdaptiveSettings | undefined {
  if (keys.probe_every === null && keys.loop_cutoff === null && keys.early_exit_patience === null) {
    return undefined;
  }
  return {
    probeEvery: keys.probe_every,
    probeTokens: keys.probe_tokens,
    earlyExitPatience: keys.early_exit_patience ?? 0,
    loopCutoff: keys.loop_cutoff,
  };
}

/**
 * Probe and loop settings must make sense under every thinking budget they run with (one, or a
 * sweep's): added to every schema that holds the generation keys.
 */
export function checkAdaptiveKeys(
  settings: AdaptiveKeys,
  budgets: readonly number[],
  context: z.RefinementCtx,
): void {
  const adaptive = adaptiveSettings(settings);
  if (!adaptive) return;
  if (settings.early_exit_patience !== null && settings.probe_every === null) {
    context.addIssue({
      code: "custom",
      path: ["probe_every"],
      message: "early_exit_patience needs answer probes, but probe_every is not set",
    });
    return;
  }
  for (const budget of budgets) {
    const problem = adaptiveSettingsProblem(adaptive, budget);
    if (problem) {
      context.addIssue({
        code: "custom",
        path: problem.key.split("."),
        message: problem.message,
      });
      return;
    }
  }
}

export const generationSettingsSchema = z
  .object(generationSettingsShape)
  .strict()
  .superRefine(checkWaitText)
  .superRefine((settings, context) =>
    checkAdaptiveKeys(settings, [settings.max_new_tokens], context),
  );
export type GenerationSettings = z.output<typeof generationSettingsSchema>;

/** The engine's settings from m1's keys (the thinking format already resolved). */
export function budgetForcingSettings(
  settings: Omit<
    GenerationSettings,
    "thinking_format" | "forced_close_message" | keyof AdaptiveKeys
  > &
    Partial<AdaptiveKeys>,
  thinkingFormat: ThinkingFormat,
): BudgetForcingSettings {
  const adaptive = adaptiveSettings({
    probe_every: settings.probe_every ?? null,
    probe_tokens: settings.probe_tokens ?? M1_GENERATION_DEFAULTS.probe_tokens,
    early_exit_patience: settings.early_exit_patience ?? null,
    loop_cutoff: settings.loop_cutoff ?? null,
  });
  return {
    thinkingFormat,
    thinkingBudget: settings.max_new_tokens,
    answerBudget: settings.max_new_answer_tokens,
    waitRounds: settings.keep_think_below_budget_times,
    waitText: settings.keep_think_below_budget_str,
    minThinkingTokens: settings.min_thinking_tokens,
    sampling: {
      temperature: settings.temperature,
      seed: settings.seed,
      frequencyPenalty: settings.frequency_penalty,
      ...(settings.top_p === null ? {} : { topP: settings.top_p }),
    },
    ...(adaptive ? { adaptive } : {}),
  };
}

/** m1's defaults as engine settings, for code that calls the engine directly (tests, benches). */
export const DEFAULT_BUDGET_FORCING: Omit<BudgetForcingSettings, "thinkingFormat"> = (() => {
  const { thinkingFormat: _format, ...settings } = budgetForcingSettings(
    { ...M1_GENERATION_DEFAULTS, top_p: null },
    M1_THINKING_FORMAT,
  );
  return settings;
})();
