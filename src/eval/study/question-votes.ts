import type { EvalStore, Experiment, StoredDraw } from "../store/index.js";
import { answeredSampleRow, failedSampleRow, type SampleIdentity } from "./sample-row.js";
import { drawSeed, majorityVote } from "./votes.js";

/**
 * The n samples of each question of one experiment while it runs: which draws are still to run
 * (a resumed run keeps those already stored), and, once a question's n are in, its row: the
 * majority vote, or a failure when a draw failed (its draws stay; a rerun retries only those).
 */
export class QuestionVotes {
  private readonly draws: Map<number, StoredDraw[]>;

  constructor(
    private readonly store: EvalStore,
    experiment: Experiment,
    private readonly n: number,
  ) {
    this.draws = store.completedDraws(experiment.id);
  }

  /** The draws of a question not yet answered, with their seeds. */
  missingDraws(sampleIndex: number, seed: number): Array<{ index: number; seed: number }> {
    const have = new Set((this.draws.get(sampleIndex) ?? []).map((draw) => draw.draw_index));
    return Array.from({ length: this.n }, (_, index) => index)
      .filter((index) => !have.has(index))
      .map((index) => ({ index, seed: drawSeed(seed, index) }));
  }

  /**
   * Record one draw; when it completes its question, record the question's row too and return its
   * correctness (null: failed). Undefined while draws are still out.
   */
  record(draw: StoredDraw, identity: SampleIdentity): boolean | null | undefined {
    this.store.recordDraw(draw);
    const list = this.draws.get(draw.sample_index) ?? [];
    list.push(draw);
    this.draws.set(draw.sample_index, list);
    if (list.length < this.n) return undefined;
    return this.finish(identity);
  }

  /** Write the question's row from its n draws; its correctness, or null when a draw failed. */
  finish(identity: SampleIdentity): boolean | null {
    const draws = [...(this.draws.get(identity.sample_index) ?? [])].sort(
      (a, b) => a.draw_index - b.draw_index,
    );
    this.draws.delete(identity.sample_index);
    const failed = draws.filter((draw) => draw.error !== null);
    if (failed.length > 0) {
      const error = `${failed.length} of ${this.n} samples failed: ${failed[0]!.error}`;
      this.store.recordSample(failedSampleRow(identity, new Error(error)));
      return null;
    }
    // A draw whose answer named no option (decided by nothing) votes for nothing.
    const vote = majorityVote(
      draws.map((draw) => (draw.decided_by === "none" ? null : draw.choice)),
    );
    const winner = draws[vote.winner]!;
    const sum = (pick: (draw: StoredDraw) => number | null) =>
      draws.reduce((total, draw) => total + (pick(draw) ?? 0), 0);
    this.store.recordSample(
      answeredSampleRow(
        identity,
        {
          record: {
            thinking_text: winner.thinking_text,
            thinking_finish_reason: winner.thinking_finish_reason,
            response_text: winner.response_text ?? "",
            finish_reason: winner.finish_reason ?? "stop",
            num_gen_tokens: winner.num_gen_tokens ?? 0,
            num_keep_think_below_budget: winner.num_keep_think_below_budget ?? 0,
            num_min_thinking_waits: winner.num_min_thinking_waits ?? 0,
            thinking_tokens: winner.thinking_tokens ?? 0,
            answer_tokens: winner.answer_tokens ?? 0,
            prompt_tokens: winner.prompt_tokens ?? 0,
            ...(winner.evaluated_tokens === null
              ? {}
              : { evaluated_tokens: winner.evaluated_tokens }),
            stopped_by: winner.stopped_by ?? "model",
            probe_answers: winner.probe_answers ?? [],
            probe_tokens_total: winner.probe_tokens_total ?? 0,
          },
          score: {
            correct: winner.correct ?? false,
            extracted_answer: winner.extracted_answer ?? "",
            huatuo_extracted_answer: winner.huatuo_extracted_answer ?? "",
            scored_huatuo_extracted_answer: winner.scored_huatuo_extracted_answer,
            correctness_rule: "match-choice",
            decided_by: winner.decided_by ?? "none",
            choice: winner.choice ?? "",
          },
          probes: winner.probe_answers ?? [],
          cached: draws.every((draw) => draw.cached),
        },
        {
          share: vote.share,
          computeTokens: sum((draw) => (draw.num_gen_tokens ?? 0) + (draw.probe_tokens_total ?? 0)),
          probeTokens: sum((draw) => draw.probe_tokens_total),
        },
      ),
    );
    return winner.correct ?? false;
  }
}
