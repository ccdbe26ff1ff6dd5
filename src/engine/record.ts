import type { FinishReason } from "../backends/types.js";
import type { ProbeAnswer, StopReason } from "./adaptive.js";

/**
 * What the engine returns for one question. Field names are m1's where m1 had them
 * (`thinking_text` ... `num_keep_think_below_budget`), so records read like m1's output files.
 */
export interface GenerationRecord {
  /** Thinking text with inserted Wait strings and the final newline; null without thinking. */
  thinking_text: string | null;
  /** Why the last thinking call ended ("stop" or "length"); null without thinking. */
  thinking_finish_reason: FinishReason | null;
  /** Answer prefix + answer (thinking mode), or the whole output (baseline). */
  response_text: string;
  finish_reason: FinishReason;
  /** m1's total: thinking + Wait + newline + answer prefix + answer tokens. */
  num_gen_tokens: number;
  /** Wait rounds actually run for this question. */
  num_keep_think_below_budget: number;
  /** Extra Wait continuations forced by `min_thinking_tokens` (HTTP backends; 0 when unused). */
  num_min_thinking_waits: number;
  /** Tokens generated while thinking plus inserted Wait tokens; never above the thinking budget. */
  thinking_tokens: number;
  /** Tokens generated for the answer (after the answer prefix). */
  answer_tokens: number;
  /** Tokens of the rendered prompt, thinking delimiter included. */
  prompt_tokens: number;
  /** Every token fed through the model, prefill included (embedded backend only). */
  evaluated_tokens?: number;
  /**
   * Ours: why thinking ended: `model` (it stopped by itself, after any Wait rounds), `budget`,
   * `converged` (early exit: probes agreed) or `loop` (loop cut-off). Without thinking, why the
   * one output call ended (`model` or `budget`).
   */
  stopped_by: StopReason;
  /** Ours: the answer probes, in order (empty without probe_every). */
  probe_answers: ProbeAnswer[];
  /**
   * Ours: every token the probes cost (probe text, generated, and on the embedded backend the one
   * token re-read per probe), counted apart from num_gen_tokens: evaluated_tokens = prompt_tokens
   * + num_gen_tokens + probe_tokens_total.
   */
  probe_tokens_total: number;
}
