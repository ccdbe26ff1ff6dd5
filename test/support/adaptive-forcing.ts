import type { AdaptiveSettings } from "../../src/engine/adaptive.js";
import type { BudgetForcingSettings } from "../../src/engine/budget-forcing.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";

/** Adaptive settings with everything off: probes, early exit and the loop cut-off. */
export const NO_ADAPTIVE: AdaptiveSettings = {
  probeEvery: null,
  probeTokens: 16,
  earlyExitPatience: 0,
  loopCutoff: null,
};

/**
 * m1's budget forcing (m1's thinking format, m1's defaults) with `adaptive` over NO_ADAPTIVE, or
 * no adaptive settings at all when `adaptive` is undefined; `overrides` last.
 */
export function adaptiveForcing(
  adaptive: Partial<AdaptiveSettings> | undefined,
  overrides: Partial<BudgetForcingSettings> = {},
): BudgetForcingSettings {
  return {
    ...DEFAULT_BUDGET_FORCING,
    thinkingFormat: M1_THINKING_FORMAT,
    ...(adaptive ? { adaptive: { ...NO_ADAPTIVE, ...adaptive } } : {}),
    ...overrides,
  };
}
