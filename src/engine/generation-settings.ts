import { z } from "zod";
import { waitTextProblem, type BudgetForcingSettings } from "./budget-forcing.js";
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

export const generationSettingsSchema = z
  .object(generationSettingsShape)
  .strict()
  .superRefine(checkWaitText);
export type GenerationSettings = z.output<typeof generationSettingsSchema>;

/** The engine's settings from m1's keys (the thinking format already resolved). */
export function budgetForcingSettings(
  settings: Omit<GenerationSettings, "thinking_format" | "forced_close_message">,
  thinkingFormat: ThinkingFormat,
): BudgetForcingSettings {
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
