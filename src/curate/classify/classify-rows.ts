import { M1Error } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { buildChatJobs, TEMPLATE_BUILTINS } from "../ask/ask-rows.js";
import type { AskSettings } from "../ask/ask-settings.js";
import {
  emptyChatRunStats,
  runChatJobs,
  type ChatRunHooks,
  type ChatRunStats,
} from "../ask/chat-jobs.js";
import { openChatSender } from "../ask/open-sender.js";
import { ResponseCache } from "../ask/response-cache.js";
import { extractDomainCode, type DomainCode } from "./domain-code.js";
import { DEFAULT_MESH_RUBRIC, meshRubricByName, type MeshRubricName } from "./mesh-rubric.js";

/** m1 re-asked rows without a code once. */
export const DEFAULT_MAX_REASKS = 1;

export interface ClassifySettings {
  /** The chat settings (the `classify` preset layered with the user's). */
  ask: AskSettings;
  /**
   * How many times a row whose answer has no valid code is asked again (m1 re-asked once and
   * stopped if any row still had none). Each re-ask is cached under its own key, so a rerun
   * reuses every earlier answer instead of paying again.
   */
  maxReasks: number;
  /** m1's flat 76-qualifier rubric (default, m1K's) or the hierarchical 26-qualifier one. */
  rubric?: MeshRubricName;
}

export interface ClassifyResult {
  /** Every input row with `domain` (the raw answer), `domain_code`, `domain_name`, `is_domain_code_extracted`. */
  rows: Row[];
  /** Rows (0-based) still without a code after every re-ask. */
  unclassified: number[];
  /** Requests made in each round (round 0 = every row). */
  rounds: number[];
  stats: ChatRunStats;
}

export interface ClassifyHooks extends ChatRunHooks {
  /** A round starts: 0 for the first ask, then each re-ask, with its number of rows. */
  onRound?: (round: number, rows: number) => void;
}

/**
 * m1's domain classification (classify_sample.py + extract_domain.py): ask with the MeSH rubric,
 * extract the two-digit code from the end of each answer, re-ask the rows whose code could not be
 * extracted (or whose request failed), and report those that stay unclassified.
 */
export async function classifyRows(
  rows: readonly Row[],
  file: string,
  settings: ClassifySettings,
  hooks: ClassifyHooks = {},
): Promise<ClassifyResult> {
  const { qualifiers } = meshRubricByName(settings.rubric ?? DEFAULT_MESH_RUBRIC);
  const builtins = rubricBuiltins(settings.rubric);
  const answers: (string | null)[] = rows.map(() => null);
  const codes: (DomainCode | undefined)[] = rows.map(() => undefined);
  const requestErrors = new Map<number, string>();
  const rounds: number[] = [];
  const total = emptyChatRunStats(0, settings.ask.run.price !== undefined);
  let pending = rows.map((_, index) => index);
  const cache = ResponseCache.open(settings.ask.cachePath);
  const sender = openChatSender(settings.ask);
  try {
    for (let round = 0; round <= settings.maxReasks && pending.length > 0; round++) {
      rounds.push(pending.length);
      hooks.onRound?.(round, pending.length);
      const subset = pending.map((index) => rows[index]!);
      const jobs = buildChatJobs(subset, file, settings.ask, round, builtins);
      const { outcomes, stats } = await runChatJobs(jobs, sender, cache, {
        signal: hooks.signal,
        onRetry: hooks.onRetry,
        onOutcome: (position, outcome, roundStats) =>
          hooks.onOutcome?.(pending[position]!, outcome, roundStats),
      });
      addStats(total, stats);
      const next: number[] = [];
      outcomes.forEach((outcome, position) => {
        const index = pending[position]!;
        if (!outcome.answer) {
          requestErrors.set(index, outcome.error ?? "no answer");
          next.push(index);
          return;
        }
        requestErrors.delete(index);
        answers[index] = outcome.answer.content;
        const code = extractDomainCode(outcome.answer.content, qualifiers);
        codes[index] = code;
        if (!code.is_domain_code_extracted) next.push(index);
      });
      pending = next;
    }
  } finally {
    cache.close();
    await sender.close?.();
  }
  if (requestErrors.size > 0 && !settings.ask.allowFailures) {
    const [index, error] = [...requestErrors][0]!;
    throw new M1Error(
      `${requestErrors.size} of ${rows.length} classification requests failed after retries (first, row ${index + 1}: ${error}); ` +
        "the answered ones are cached: rerun to retry only the failed rows",
    );
  }
  const output = rows.map((row, index) => ({
    ...row,
    domain: answers[index],
    ...(codes[index] ?? { domain_code: "", domain_name: "", is_domain_code_extracted: false }),
  }));
  return { rows: output, unclassified: pending, rounds, stats: total };
}

/** Template placeholders with `{rubric}` bound to the chosen rubric (for requests and dry runs). */
export function rubricBuiltins(
  name: MeshRubricName = DEFAULT_MESH_RUBRIC,
): Record<string, () => string> {
  const { rubric } = meshRubricByName(name);
  return { ...TEMPLATE_BUILTINS, rubric: () => rubric };
}

function addStats(total: ChatRunStats, round: ChatRunStats): void {
  total.jobs += round.jobs;
  total.cached += round.cached;
  total.answered += round.answered;
  total.failed += round.failed;
  total.retries += round.retries;
  total.promptTokens += round.promptTokens;
  total.completionTokens += round.completionTokens;
  total.spentUsd += round.spentUsd;
}
