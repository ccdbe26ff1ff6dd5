import type { GenerationRecord } from "../../engine/record.js";
import type { SampleScore } from "../scoring/index.js";
import type { StoredDraw, StoredProbe, StoredSample } from "../store/index.js";

/** Where a stored sample belongs and when it ran: the part every outcome shares. */
export interface SampleIdentity {
  experiment_id: number;
  sample_index: number;
  question_key: string;
  source: string;
  started_at: string;
  elapsed_ms: number;
}

/** An answered generation with its scoring: what a sample row and a draw row are made from. */
export interface ScoredGeneration {
  record: GenerationRecord;
  score: SampleScore;
  /** The record's probes, each scored as m1 scores an answer. */
  probes: StoredProbe[];
  cached: boolean;
}

/** Every token generated for a question by one generation: thinking, inserted, answer, probes. */
export function computeTokensOf(record: GenerationRecord): number {
  return record.num_gen_tokens + record.probe_tokens_total;
}

/** The store row of an answered sample: the engine record and its m1 scoring. */
export function answeredSampleRow(
  identity: SampleIdentity,
  generation: ScoredGeneration,
  vote?: { share: number; computeTokens: number; probeTokens: number },
): StoredSample {
  const { record, score } = generation;
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
    cached: generation.cached,
    started_at: identity.started_at,
    elapsed_ms: identity.elapsed_ms,
    stopped_by: record.stopped_by,
    probe_answers: generation.probes.length > 0 ? generation.probes : null,
    probe_tokens_total: vote?.probeTokens ?? record.probe_tokens_total,
    decided_by: score.decided_by,
    choice: score.choice,
    vote_share: vote?.share ?? null,
    compute_tokens: vote?.computeTokens ?? computeTokensOf(record),
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
    error: errorMessage(error),
    cached: false,
    started_at: identity.started_at,
    elapsed_ms: identity.elapsed_ms,
    stopped_by: null,
    probe_answers: null,
    probe_tokens_total: null,
    decided_by: null,
    choice: null,
    vote_share: null,
    compute_tokens: null,
  };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The store row of one of a question's n samples. */
export function drawRow(
  identity: Pick<SampleIdentity, "experiment_id" | "sample_index" | "started_at" | "elapsed_ms">,
  draw: { index: number; seed: number },
  outcome: ScoredGeneration | { error: unknown },
): StoredDraw {
  const generation = "record" in outcome ? outcome : undefined;
  const record = generation?.record;
  return {
    experiment_id: identity.experiment_id,
    sample_index: identity.sample_index,
    draw_index: draw.index,
    seed: draw.seed,
    thinking_text: record?.thinking_text ?? null,
    thinking_finish_reason: record?.thinking_finish_reason ?? null,
    response_text: record?.response_text ?? null,
    finish_reason: record?.finish_reason ?? null,
    num_gen_tokens: record?.num_gen_tokens ?? null,
    num_keep_think_below_budget: record?.num_keep_think_below_budget ?? null,
    num_min_thinking_waits: record?.num_min_thinking_waits ?? null,
    thinking_tokens: record?.thinking_tokens ?? null,
    answer_tokens: record?.answer_tokens ?? null,
    prompt_tokens: record?.prompt_tokens ?? null,
    evaluated_tokens: record?.evaluated_tokens ?? null,
    stopped_by: record?.stopped_by ?? null,
    probe_answers: generation && generation.probes.length > 0 ? generation.probes : null,
    probe_tokens_total: record?.probe_tokens_total ?? null,
    extracted_answer: generation?.score.extracted_answer ?? null,
    huatuo_extracted_answer: generation?.score.huatuo_extracted_answer ?? null,
    scored_huatuo_extracted_answer: generation?.score.scored_huatuo_extracted_answer ?? null,
    choice: generation?.score.choice ?? null,
    decided_by: generation?.score.decided_by ?? null,
    correct: generation?.score.correct ?? null,
    error: "error" in outcome ? errorMessage(outcome.error) : null,
    cached: generation?.cached ?? false,
    started_at: identity.started_at,
    elapsed_ms: identity.elapsed_ms,
  };
}
