import { randomInt } from "node:crypto";
import type { BudgetForcingSettings } from "../engine/budget-forcing.js";
import { M1_GENERATION_DEFAULTS } from "../engine/generation-settings.js";
import { NO_THINKING_FORMAT, type ThinkingFormat } from "../engine/thinking-formats.js";
import { invalidRequest } from "./api-error.js";
import type { RequestDefaults } from "./config.js";
import type { GenerationRequest, ReasoningEffort } from "./request-schema.js";

/**
 * From a request to the engine's settings: each key is the request's own value, else the server's
 * default (its config), else m1's. The settings applied are reported back in the response's `m1`
 * object, so a client sees which budget `reasoning_effort: "high"` meant.
 */

/** The settings a request ran with, under the request's names. */
export interface AppliedSettings {
  thinking: boolean;
  thinking_format: string;
  /** Null without thinking (the answer budget then caps the whole output). */
  thinking_budget: number | null;
  reasoning_effort: ReasoningEffort | null;
  max_completion_tokens: number;
  wait_rounds: number;
  wait_text: string;
  min_thinking_tokens: number;
  temperature: number;
  top_p: number | null;
  frequency_penalty: number;
}

export interface ResolvedRequest {
  /** The engine's settings; `sampling.seed` is set per choice from `seeds`. */
  settings: BudgetForcingSettings;
  /** One seed per choice: the request's seed + choice index, or a fresh random one each. */
  seeds: number[];
  /** The request's `stop`: they end the answer, never thinking. */
  answerStop: string[];
  applied: AppliedSettings;
}

/** What the server decided at start-up for every request. */
export interface RequestContext {
  thinkingFormat: ThinkingFormat;
  /** The format used by `thinking: false` (m1's baseline). */
  baselineFormat: ThinkingFormat;
  defaults: RequestDefaults;
}

export function requestContext(
  thinkingFormat: ThinkingFormat,
  defaults: RequestDefaults,
): RequestContext {
  return { thinkingFormat, baselineFormat: NO_THINKING_FORMAT, defaults };
}

export function resolveRequest(
  request: GenerationRequest,
  context: RequestContext,
): ResolvedRequest {
  const { defaults } = context;
  const keys = request.thinking;
  if (keys.thinking === true && !context.thinkingFormat.thinking) {
    throw invalidRequest(
      "thinking: true, but this server runs without a thinking format (--format none) (fix: leave thinking out, or restart m1 serve with --format m1)",
      "thinking",
    );
  }
  const thinking = (keys.thinking ?? defaults.thinking) && context.thinkingFormat.thinking;
  const effort =
    keys.reasoning_effort ??
    (keys.thinking_budget === undefined ? defaults.reasoning_effort : null) ??
    null;
  const thinkingBudget =
    keys.thinking_budget ??
    (effort !== null
      ? defaults.reasoning_effort_budgets[effort]
      : (defaults.thinking_budget ?? M1_GENERATION_DEFAULTS.max_new_tokens));
  const answerBudget = request.maxCompletionTokens ?? defaults.max_completion_tokens;
  // m1's baseline: one call whose cap is the whole output (the answer budget when given).
  const outputBudget = thinking ? thinkingBudget : (request.maxCompletionTokens ?? thinkingBudget);

  const waitRounds = keys.wait_rounds ?? defaults.wait_rounds;
  const waitText = keys.wait_text ?? defaults.wait_text;
  if (waitRounds > 0 && waitText === "") {
    throw invalidRequest(
      `wait_text: "" is empty, but wait_rounds asks for ${waitRounds} Wait round(s) (fix: use e.g. "wait_text": "Wait")`,
      "wait_text",
    );
  }
  const minThinking = thinking ? (keys.min_thinking_tokens ?? defaults.min_thinking_tokens) : 0;
  if (minThinking > thinkingBudget) {
    throw invalidRequest(
      `min_thinking_tokens: ${minThinking} is above the thinking budget of ${thinkingBudget} (fix: use e.g. "min_thinking_tokens": ${Math.floor(thinkingBudget / 2)}, or raise thinking_budget)`,
      "min_thinking_tokens",
    );
  }

  const temperature = request.temperature ?? defaults.temperature;
  const topP = request.topP ?? defaults.top_p;
  const frequencyPenalty = request.frequencyPenalty ?? defaults.frequency_penalty;
  const baseSeed = request.seed ?? defaults.seed;
  const seeds = Array.from({ length: request.n }, (_, index) =>
    baseSeed === null ? randomInt(0, 2 ** 31) : baseSeed + index,
  );

  return {
    settings: {
      thinkingFormat: thinking ? context.thinkingFormat : context.baselineFormat,
      thinkingBudget: outputBudget,
      answerBudget,
      waitRounds,
      waitText,
      minThinkingTokens: minThinking,
      sampling: {
        temperature,
        seed: seeds[0],
        frequencyPenalty,
        ...(topP === null ? {} : { topP }),
      },
    },
    seeds,
    answerStop: request.stop,
    applied: {
      thinking,
      thinking_format: thinking ? context.thinkingFormat.name : context.baselineFormat.name,
      thinking_budget: thinking ? thinkingBudget : null,
      reasoning_effort: thinking ? effort : null,
      max_completion_tokens: thinking ? answerBudget : outputBudget,
      wait_rounds: waitRounds,
      wait_text: waitText,
      min_thinking_tokens: minThinking,
      temperature,
      top_p: topP,
      frequency_penalty: frequencyPenalty,
    },
  };
}

/** The settings a request that leaves every key out runs with. */
export function defaultRequest(context: RequestContext): ResolvedRequest {
  return resolveRequest(
    { n: 1, stream: false, includeUsage: false, stop: [], thinking: {} },
    context,
  );
}
