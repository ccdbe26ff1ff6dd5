import { M1_GENERATION_DEFAULTS } from "../engine/generation-settings.js";
import { REASONING_EFFORTS } from "./request-schema.js";
import type { RunningServe } from "./server.js";

/**
 * The one line `m1 serve` prints when it is ready: where it listens, which model and thinking
 * format, and the defaults a request gets when it leaves a key out.
 */
export function startLine(served: RunningServe): string {
  const { options, queue } = served;
  const defaults = options.defaults;
  const budget =
    defaults.thinking_budget ??
    (defaults.reasoning_effort
      ? `${defaults.reasoning_effort_budgets[defaults.reasoning_effort]} (reasoning_effort ${defaults.reasoning_effort})`
      : M1_GENERATION_DEFAULTS.max_new_tokens);
  const thinking = options.thinkingFormat.thinking && defaults.thinking;
  const defaultsText = [
    ...(thinking ? [`thinking_budget ${budget}`] : ["thinking off"]),
    `max_completion_tokens ${defaults.max_completion_tokens}`,
    ...(thinking
      ? [
          `wait_rounds ${defaults.wait_rounds}`,
          `min_thinking_tokens ${defaults.min_thinking_tokens}`,
        ]
      : []),
    `temperature ${defaults.temperature}`,
    ...(defaults.top_p === null ? [] : [`top_p ${defaults.top_p}`]),
    `seed ${defaults.seed ?? "random"}`,
  ].join(", ");
  const efforts = `reasoning_effort ${REASONING_EFFORTS.join("/")} = ${REASONING_EFFORTS.map((effort) => defaults.reasoning_effort_budgets[effort]).join("/")}`;
  return [
    `m1 serve: listening on ${served.url}/v1`,
    `model ${options.modelName} (${options.backend.description})`,
    `format ${options.thinkingFormat.name}`,
    `defaults: ${defaultsText}`,
    efforts,
    `${queue.slots} at once, max_queue ${queue.maxQueue}`,
    options.apiKey ? "API key required" : "no API key",
  ].join(" · ");
}
