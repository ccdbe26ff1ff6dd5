import { M1Error } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { meshRubric } from "../classify/mesh-rubric.js";
import type { AskSettings } from "./ask-settings.js";
import {
  runChatJobs,
  type ChatJob,
  type ChatOutcome,
  type ChatRunHooks,
  type ChatRunStats,
  type ChatSender,
} from "./chat-jobs.js";
import { chatRequestBody, type ChatAnswer, type ChatMessage } from "./chat-types.js";
import { renderForRow } from "./prompt-template.js";
import { openChatSender } from "./open-sender.js";
import { ResponseCache } from "./response-cache.js";

/** Placeholders a template may use without a column of that name. */
export const TEMPLATE_BUILTINS: Readonly<Record<string, () => string>> = {
  /** m1's MeSH qualifier rubric (for classification). */
  rubric: () => meshRubric(),
};

/** The request for every row, rendered before anything is sent (bad rows fail up front). */
export function buildChatJobs(
  rows: readonly Row[],
  file: string,
  settings: AskSettings,
  variant = 0,
  builtins: Readonly<Record<string, () => string>> = TEMPLATE_BUILTINS,
): ChatJob[] {
  return rows.map((row, index) => {
    const messages: ChatMessage[] = [];
    if (settings.systemPrompt !== undefined)
      messages.push({ role: "system", content: settings.systemPrompt });
    messages.push({
      role: "user",
      content: renderForRow(settings.userTemplate, row, { file, index }, builtins),
    });
    return { body: chatRequestBody(settings.model, messages, settings.sampling), variant };
  });
}

export interface AskRowsResult {
  /** Input rows with the answer columns added (rows that failed are left out). */
  rows: Row[];
  stats: ChatRunStats;
  failures: { index: number; error: string }[];
}

/**
 * Ask the model about every row (m1's curator runs): answers come from the cache when it has
 * them, otherwise from the server under the rate limits. Output rows keep the input columns and
 * add the content (and reasoning) columns. If some requests still fail after their retries, the
 * run fails after every other row is answered and cached (so a rerun only retries those), unless
 * `allowFailures` lets it leave them out as curator's `require_all_responses=False` does.
 */
export async function askRows(
  rows: readonly Row[],
  file: string,
  settings: AskSettings,
  hooks: ChatRunHooks = {},
  /** Who answers: the chat API of `settings` unless given (e.g. a local model). */
  sender: ChatSender = openChatSender(settings),
): Promise<AskRowsResult> {
  const jobs = buildChatJobs(rows, file, settings);
  const cache = ResponseCache.open(settings.cachePath);
  let outcomes: ChatOutcome[];
  let stats: ChatRunStats;
  try {
    ({ outcomes, stats } = await runChatJobs(jobs, sender, cache, hooks));
  } finally {
    cache.close();
    await sender.close?.();
  }
  const output: Row[] = [];
  const failures: { index: number; error: string }[] = [];
  outcomes.forEach((outcome, index) => {
    if (outcome.answer)
      output.push(withAnswerColumns(rows[index]!, outcome.answer, settings.columns));
    else failures.push({ index, error: outcome.error ?? "no answer" });
  });
  if (failures.length > 0 && !settings.allowFailures) {
    const first = failures[0]!;
    throw new M1Error(
      `${failures.length} of ${rows.length} requests failed after retries (first, row ${first.index + 1}: ${first.error}); ` +
        `the ${stats.cached + stats.answered} answered are cached: rerun to retry only the failed rows, ` +
        "or allow failures (--allow-failures / allow_failures: true) to write the others",
    );
  }
  return { rows: output, stats, failures };
}

export function withAnswerColumns(
  row: Row,
  answer: ChatAnswer,
  columns: { content: string; reasoning?: string },
): Row {
  const output: Row = { ...row, [columns.content]: answer.content };
  if (columns.reasoning) output[columns.reasoning] = answer.reasoning;
  return output;
}
