import type { StopReason } from "../../engine/adaptive.js";
import { ANSWER_DECISIONS, scoreSample, type AnswerDecision } from "../scoring/index.js";
import type { DrawVote, StoredProbe, StoredSample } from "../store/index.js";

/**
 * Our adaptive-compute fields in m1's results file (`<stem>.json`): written after m1's fields
 * (extra fields m1's own readers ignore), and read back from ours, or derived from m1's fields in
 * files m1 wrote (a stop reason from `thinking_finish_reason`, how the answer was read by
 * scoring `response_text` again).
 */
export type AdaptiveFields = Pick<
  StoredSample,
  | "stopped_by"
  | "probe_answers"
  | "probe_tokens_total"
  | "decided_by"
  | "choice"
  | "vote_share"
  | "compute_tokens"
>;

const STOP_REASONS: readonly StopReason[] = ["model", "budget", "converged", "loop"];

/** The fields as `m1 eval` writes them into one results record (votes: the n samples, if any). */
export function adaptiveFieldsForFile(
  sample: Pick<StoredSample, Exclude<keyof AdaptiveFields, "choice">>,
  votes: readonly DrawVote[],
): Record<string, unknown> {
  return {
    stopped_by: sample.stopped_by,
    decided_by: sample.decided_by,
    ...(sample.probe_answers === null ? {} : { probe_answers: sample.probe_answers }),
    probe_tokens_total: sample.probe_tokens_total,
    compute_tokens: sample.compute_tokens,
    ...(sample.vote_share === null ? {} : { vote_share: sample.vote_share, votes }),
  };
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The stop reason m1's own fields imply: the budget when the last thinking call hit it. */
export function stopReasonOf(record: Record<string, unknown>): StopReason | null {
  if (
    typeof record.stopped_by === "string" &&
    STOP_REASONS.includes(record.stopped_by as StopReason)
  ) {
    return record.stopped_by as StopReason;
  }
  const lastCall =
    record.thinking_text === null ? record.finish_reason : record.thinking_finish_reason;
  if (lastCall === "length") return "budget";
  return lastCall === "stop" ? "model" : null;
}

/**
 * How the answer was read and the option it names, scored again from m1's fields (the same
 * scoring `m1 eval` stored; a `decided_by` written by us is kept).
 */
export function readingOf(
  record: Record<string, unknown>,
): Pick<AdaptiveFields, "decided_by" | "choice"> {
  const written =
    typeof record.decided_by === "string" &&
    ANSWER_DECISIONS.includes(record.decided_by as AnswerDecision)
      ? (record.decided_by as AnswerDecision)
      : null;
  const { response_text, answer, answer_idx, option_str, options } = record;
  if (
    typeof response_text !== "string" ||
    typeof answer !== "string" ||
    typeof answer_idx !== "string"
  ) {
    return { decided_by: written, choice: null };
  }
  try {
    const score = scoreSample({
      response_text,
      answer,
      answer_idx,
      option_str: typeof option_str === "string" ? option_str : null,
      ...(options && typeof options === "object"
        ? { options: options as Record<string, string> }
        : {}),
    });
    return { decided_by: written ?? score.decided_by, choice: score.choice };
  } catch {
    return { decided_by: written, choice: null }; // no options to read an answer against
  }
}

/** The adaptive fields of one results record, whoever wrote it. */
export function readAdaptiveFields(record: Record<string, unknown>): AdaptiveFields {
  const probeTokens = count(record.probe_tokens_total);
  const generated = count(record.num_gen_tokens);
  return {
    stopped_by: stopReasonOf(record),
    probe_answers: Array.isArray(record.probe_answers)
      ? (record.probe_answers as StoredProbe[])
      : null,
    probe_tokens_total: probeTokens,
    ...readingOf(record),
    vote_share: count(record.vote_share),
    compute_tokens:
      count(record.compute_tokens) ?? (generated === null ? null : generated + (probeTokens ?? 0)),
  };
}
