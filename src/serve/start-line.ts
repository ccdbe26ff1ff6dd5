import { defaultRequest, requestContext } from "./parameters.js";
import { REASONING_EFFORTS } from "./request-schema.js";
import type { RunningServe } from "./server.js";

/**
 * The one line `m1 serve` prints when it is ready: where it listens, which model and thinking
 * format, and the defaults a request gets when it leaves a key out.
 */
export function startLine(served: RunningServe): string {
  const { options, queue } = served;
  const defaults = options.defaults;
  // What a request that leaves every key out runs with, as its `m1` object reports it.
  const applied = defaultRequest(requestContext(options.thinkingFormat, defaults)).applied;
  const budget = `${applied.thinking_budget}${applied.reasoning_effort ? ` (reasoning_effort ${applied.reasoning_effort})` : ""}`;
  const defaultsText = [
    ...(applied.thinking ? [`thinking_budget ${budget}`] : ["thinking off"]),
    `max_completion_tokens ${applied.max_completion_tokens}`,
    ...(applied.thinking
      ? [`wait_rounds ${applied.wait_rounds}`, `min_thinking_tokens ${applied.min_thinking_tokens}`]
      : []),
    `temperature ${applied.temperature}`,
    ...(applied.top_p === null ? [] : [`top_p ${applied.top_p}`]),
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
