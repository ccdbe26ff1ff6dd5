import {
  validateBudgetForcingSettings,
  type BudgetForcingSettings,
} from "../../engine/budget-forcing.js";
import { adaptiveSettings } from "../../engine/generation-settings.js";
import { NO_THINKING_FORMAT, resolveThinkingFormat } from "../../engine/thinking-formats.js";
import type { EvalConfig } from "../config/schema.js";
import type { ExperimentPoint } from "./plan.js";
import type { QueryPromptSettings } from "../prompt.js";

/** The engine settings of one experiment point, from m1's config keys; validated. */
export function engineSettings(config: EvalConfig, point: ExperimentPoint): BudgetForcingSettings {
  // Resolved even without force_think: an unknown format name is a typo either way.
  const thinkingFormat = resolveThinkingFormat(point.model.thinking_format, {
    think_str: config.think_str,
    stop_strings: config.stop_strings ?? undefined,
    start_answer_str: config.start_answer_str,
    start_overthink_answer_str: config.start_overthink_answer_str,
    forced_close_message: config.forced_close_message ?? undefined,
  });
  // Probes and the loop cut-off act on thinking; without force_think there is none.
  const adaptive = config.force_think ? adaptiveSettings(config) : undefined;
  const settings: BudgetForcingSettings = {
    thinkingFormat: config.force_think ? thinkingFormat : NO_THINKING_FORMAT,
    thinkingBudget: point.thinkingBudget,
    answerBudget: config.max_new_answer_tokens,
    waitRounds: point.waitRounds,
    waitText: config.keep_think_below_budget_str,
    minThinkingTokens: config.min_thinking_tokens,
    sampling: {
      temperature: config.temperature,
      seed: point.seed,
      frequencyPenalty: config.frequency_penalty,
      ...(config.top_p === null ? {} : { topP: config.top_p }),
    },
    ...(adaptive ? { adaptive } : {}),
  };
  validateBudgetForcingSettings(settings);
  return settings;
}

export function queryPromptSettings(config: EvalConfig): QueryPromptSettings {
  return {
    prefixPrompt: config.prefix_prompt,
    prefixPromptDelimiter: config.prefix_prompt_delimiter,
    suffixPrompt: config.suffix_prompt,
    suffixPromptDelimiter: config.suffix_prompt_delimiter,
  };
}
