import type { GenerationRecord } from "../../engine/record.js";
import type { SampleScore } from "../scoring/index.js";
import type { StoredSample } from "../store/index.js";

/** Where a stored sample belongs and when it ran: the part every outcome shares. */
export interface SampleIdentity {
  experiment_id: number;
  sample_index: number;
  question_key: string;
  source: string;
  started_at: string;
  elapsed_ms: number;
}

/** The store row of an answered sample: the engine record and its m1 scoring. */
export function answeredSampleRow(
  identity: SampleIdentity,
  record: GenerationRecord,
  score: SampleScore,
  cached: boolean,
): StoredSample {
  // Listed field by field (no spread): one object shape for every row keeps binding fast.
  return {
    experiment_id: identity.experiment_id,
    sample_index: identity.sample_index,
    question_key: identity.question_key,
    source: identity.source,
    thinking_text: record.thinking_text,
    thinking_finish_reason: record.thinking_finish_reason,
    response_text: record.response_text,
    finish_reason: record.finish_reason,
    num_gen_tokens: record.num_gen_tokens,
    num_keep_think_below_budget: record.num_keep_think_below_budget,
    num_min_thinking_waits: record.num_min_thinking_waits,
    thinking_tokens: record.thinking_tokens,
    answer_tokens: record.answer_tokens,
    prompt_tokens: record.prompt_tokens,
    evaluated_tokens: record.evaluated_tokens ?? null,
    extracted_answer: score.extracted_answer,
    huatuo_extracted_answer: score.huatuo_extracted_answer,
    scored_huatuo_extracted_answer: score.scored_huatuo_extracted_answer,
    correct: score.correct,
    error: null,
    cached,
    started_at: identity.started_at,
    elapsed_ms: identity.elapsed_ms,
  };
}

/** The store row of a sample that failed after retries: only its error. */
export function failedSampleRow(identity: SampleIdentity, error: unknown): StoredSample {
  return {
    experiment_id: identity.experiment_id,
    sample_index: identity.sample_index,
    question_key: identity.question_key,
    source: identity.source,
    thinking_text: null,
    thinking_finish_reason: null,
    response_text: null,
    finish_reason: null,
    num_gen_tokens: null,
    num_keep_think_below_budget: null,
    num_min_thinking_waits: null,
    thinking_tokens: null,
    answer_tokens: null,
    prompt_tokens: null,
    evaluated_tokens: null,
    extracted_answer: null,
    huatuo_extracted_answer: null,
    scored_huatuo_extracted_answer: null,
    correct: null,
    error: error instanceof Error ? error.message : String(error),
    cached: false,
    started_at: identity.started_at,
    elapsed_ms: identity.elapsed_ms,
  };
}
