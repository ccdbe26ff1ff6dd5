import type { Row } from "../../io/rows.js";
import { buildChatJobs } from "./ask-rows.js";
import type { AskSettings } from "./ask-settings.js";
import type { ChatRequestBody } from "./chat-types.js";
import { formatUsd } from "./prices.js";
import { requestKey, ResponseCache } from "./response-cache.js";
import { estimateMessageTokens } from "./token-estimate.js";

/** What an ask run would do, computed without sending anything (and without creating files). */
export interface AskPlan {
  model: string;
  rows: number;
  /** Rows the cache already answers: free. */
  cached: number;
  /** Requests that would be sent. */
  requests: number;
  /** Estimated prompt tokens of those requests (4 characters per token). */
  inputTokens: number;
  /** max_tokens x requests; null when no max_tokens is set. */
  maxOutputTokens: number | null;
  /** null when the model has no price in the config. */
  inputCostUsd: number | null;
  maxOutputCostUsd: number | null;
  /** The first request that would be sent (or the first row's, when all are cached). */
  example?: ChatRequestBody;
}

export function planAsk(
  rows: readonly Row[],
  file: string,
  settings: AskSettings,
  builtins?: Readonly<Record<string, () => string>>,
): AskPlan {
  const jobs = buildChatJobs(rows, file, settings, 0, builtins);
  const cache = ResponseCache.openIfExists(settings.cachePath);
  let cached = 0;
  let inputTokens = 0;
  let example: ChatRequestBody | undefined;
  const seen = new Set<string>();
  try {
    for (const job of jobs) {
      const key = requestKey(job.body);
      if (seen.has(key) || cache?.get(key)) {
        cached++;
        continue;
      }
      seen.add(key);
      example ??= job.body;
      inputTokens += estimateMessageTokens(job.body.messages);
    }
  } finally {
    cache?.close();
  }
  const requests = jobs.length - cached;
  const maxTokens = settings.sampling.maxTokens;
  const price = settings.run.price;
  const maxOutputTokens = maxTokens === undefined ? null : maxTokens * requests;
  return {
    model: settings.model,
    rows: rows.length,
    cached,
    requests,
    inputTokens,
    maxOutputTokens,
    inputCostUsd: price ? (inputTokens * price.input_per_million) / 1e6 : null,
    maxOutputCostUsd:
      price && maxOutputTokens !== null ? (maxOutputTokens * price.output_per_million) / 1e6 : null,
    example: example ?? jobs[0]?.body,
  };
}

/** The plan as lines for the terminal. */
export function describePlan(plan: AskPlan): string[] {
  const lines = [
    `dry run for ${plan.model}: nothing sent`,
    `  rows: ${plan.rows}, already answered in the cache: ${plan.cached}, requests to send: ${plan.requests}`,
    `  input: about ${plan.inputTokens.toLocaleString("en-US")} tokens` +
      (plan.inputCostUsd === null ? "" : ` (${formatUsd(plan.inputCostUsd)})`),
    plan.maxOutputTokens === null
      ? "  output: no max_tokens set, so no upper bound"
      : `  output: at most ${plan.maxOutputTokens.toLocaleString("en-US")} tokens` +
        (plan.maxOutputCostUsd === null ? "" : ` (${formatUsd(plan.maxOutputCostUsd)})`),
  ];
  if (plan.inputCostUsd !== null && plan.maxOutputCostUsd !== null) {
    lines.push(`  cost: at most ${formatUsd(plan.inputCostUsd + plan.maxOutputCostUsd)}`);
  } else if (plan.inputCostUsd === null) {
    lines.push(`  cost: unknown (no price for '${plan.model}' in the config's prices)`);
  }
  return lines;
}
