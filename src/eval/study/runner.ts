import { createHash } from "node:crypto";
import type { Backend } from "../../backends/types.js";
import type { ProgressBar } from "../../progress.js";
import { generateWithBudget, type BudgetForcingSettings } from "../../engine/budget-forcing.js";
import type { GenerationRecord } from "../../engine/record.js";
import { CancelledError } from "../../errors.js";
import type { EvalSample } from "../datasets/types.js";
import { buildSamplePrompt, type QueryPromptSettings } from "../prompt.js";
import { truncatePromptAsM1 } from "../prompt-truncation.js";
import { EARLY_STOP_SAMPLES, FirstFailures } from "./failures.js";
import { answeredSampleRow, failedSampleRow } from "./sample-row.js";
import { scoreSample } from "../scoring/index.js";
import type { EvalStore, Experiment, StoredQuestion } from "../store/index.js";

/** Everything one experiment needs; the caller owns the backend and the store. */
export interface ExperimentRun {
  store: EvalStore;
  backend: Backend;
  experiment: Experiment;
  samples: readonly EvalSample[];
  engine: BudgetForcingSettings;
  prompt: QueryPromptSettings;
  /** m1's `max_tokens`: cut the rendered prompt as m1 does when > 0 (see prompt-truncation.ts). */
  maxTokens?: number;
  /** How many questions are generated at once. */
  concurrency: number;
  /** Reuse and record generations in the store's response cache. */
  useCache: boolean;
  /** Identifies the model behind the backend in cache keys. */
  modelIdentity: string;
  signal?: AbortSignal;
  progress?: ProgressBar;
  /** Called with the first rendered prompt (m1's `print_example`). */
  onExample?: (renderedPrompt: string) => void;
}

export interface ExperimentRunSummary {
  /** Samples answered in this run. */
  answered: number;
  /** Samples that were already done (a resumed run skips them). */
  alreadyDone: number;
  /** Samples that failed in this run (recorded with their error). */
  failed: number;
  /** Whether the run stopped early because of the signal. */
  interrupted: boolean;
  /**
   * Set when the run stopped by itself because its first samples all failed the same way that
   * retrying cannot fix (see failures.ts): that failure's message, whole.
   */
  stoppedEarly?: { message: string; samples: number };
  /** Tokens generated in this run (m1's num_gen_tokens summed, cache hits excluded). */
  generatedTokens: number;
  elapsedMs: number;
}

/** A question's identity across experiments: source, question and options. */
export function questionKey(
  sample: Pick<EvalSample, "source" | "question" | "option_str">,
): string {
  return createHash("sha256")
    .update(`${sample.source}\u0000${sample.question}\u0000${sample.option_str}`)
    .digest("hex")
    .slice(0, 24);
}

export function toStoredQuestion(sample: EvalSample, key = questionKey(sample)): StoredQuestion {
  return {
    question_key: key,
    source: sample.source,
    question: sample.question,
    options: sample.options,
    answer: sample.answer,
    answer_idx: sample.answer_idx,
  };
}

/** The cache key: everything that determines a generation. */
export function generationCacheKey(
  modelIdentity: string,
  renderedPrompt: string,
  engine: BudgetForcingSettings,
): string {
  return generationCacheKeys(modelIdentity, engine)(renderedPrompt);
}

/**
 * `generationCacheKey` for many prompts of one experiment: the settings are serialised once. The
 * hashed text is exactly `JSON.stringify({ modelIdentity, renderedPrompt, engine })`.
 */
export function generationCacheKeys(
  modelIdentity: string,
  engine: BudgetForcingSettings,
): (renderedPrompt: string) => string {
  const head = `{"modelIdentity":${JSON.stringify(modelIdentity)},"renderedPrompt":`;
  const tail = `,"engine":${JSON.stringify(engine)}}`;
  return (renderedPrompt) =>
    createHash("sha256")
      .update(head)
      .update(JSON.stringify(renderedPrompt))
      .update(tail)
      .digest("hex");
}

/**
 * Run (or resume) one experiment: every sample not yet done is prompted, generated with the
 * budget-forcing engine, scored exactly as m1 and committed to the store as it completes. A sample
 * that fails is recorded with its error and the run goes on; an interrupt stops new work and loses
 * only the samples in flight.
 */
export async function runExperiment(run: ExperimentRun): Promise<ExperimentRunSummary> {
  const { store, experiment, samples } = run;
  // Work stops on the caller's signal, or when the first samples show that the run can only fail.
  const stop = new AbortController();
  const signal = run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal;
  const firstFailures = new FirstFailures();
  const started = performance.now();
  const questionKeys = samples.map((sample) => questionKey(sample));
  store.upsertQuestions(
    samples.map((sample, index) => toStoredQuestion(sample, questionKeys[index])),
  );
  const cacheKeyOf = run.useCache ? generationCacheKeys(run.modelIdentity, run.engine) : undefined;
  const done = store.completedSampleIndices(experiment.id);
  const pending = samples
    .map((sample, sampleIndex) => ({ sample, sampleIndex }))
    .filter(({ sampleIndex }) => !done.has(sampleIndex));
  // Stopping early saves something only when samples would be left.
  const mayStopEarly = pending.length > EARLY_STOP_SAMPLES;

  const summary: ExperimentRunSummary = {
    answered: 0,
    alreadyDone: samples.length - pending.length,
    failed: 0,
    interrupted: false,
    generatedTokens: 0,
    elapsedMs: 0,
  };
  const tally = store.sourceCounts(experiment.id).reduce(
    (total, counts) => ({
      correct: total.correct + counts.correct_count,
      scored: total.scored + counts.total_count,
    }),
    { correct: 0, scored: 0 },
  );
  run.progress?.update(summary.alreadyDone);

  let next = 0;
  let exampleShown = false;
  const worker = async () => {
    while (next < pending.length && !signal.aborted) {
      const { sample, sampleIndex } = pending[next++]!;
      const startedAt = new Date();
      const clock = performance.now();
      const query = buildSamplePrompt(sample, run.prompt);
      const identity = () => ({
        experiment_id: experiment.id,
        sample_index: sampleIndex,
        question_key: questionKeys[sampleIndex]!,
        source: sample.source,
        started_at: startedAt.toISOString(),
        elapsed_ms: performance.now() - clock,
      });
      try {
        const rendered = await truncatePromptAsM1(
          await run.backend.renderChat([{ role: "user", content: query }]),
          run.maxTokens ?? -1,
          run.backend,
          { signal },
        );
        if (!exampleShown && run.onExample) {
          exampleShown = true;
          run.onExample(rendered + run.engine.thinkingFormat.thinkStart);
        }
        const { record, cached, cacheKey } = await generate(run, rendered, cacheKeyOf, signal);
        const scored = scoreSample({
          response_text: record.response_text,
          answer: sample.answer,
          answer_idx: sample.answer_idx,
          option_str: sample.option_str,
        });
        // A fresh generation is cached in the sample's own commit.
        store.recordSample(answeredSampleRow(identity(), record, scored, cached), {
          cacheKey: cached ? undefined : cacheKey,
        });
        summary.answered++;
        firstFailures.record(undefined);
        if (!cached) summary.generatedTokens += record.num_gen_tokens;
        tally.scored++;
        if (scored.correct) tally.correct++;
      } catch (error) {
        if (error instanceof CancelledError || signal.aborted) break;
        summary.failed++;
        store.recordSample(failedSampleRow(identity(), error));
        if (firstFailures.record(error) && mayStopEarly) {
          summary.stoppedEarly = { message: firstFailures.message!, samples: summary.failed };
          stop.abort();
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const accuracy =
        tally.scored > 0 ? `acc ${((100 * tally.correct) / tally.scored).toFixed(1)}%` : "";
      const speed = `${Math.round(summary.generatedTokens / Math.max(seconds, 1e-3))} tok/s`;
      run.progress?.increment(
        1,
        `| ${accuracy} | ${speed}${summary.failed ? ` | ${summary.failed} failed` : ""}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, run.concurrency) }, worker));
  summary.interrupted =
    Boolean(run.signal?.aborted) &&
    !summary.stoppedEarly &&
    summary.answered + summary.failed < pending.length;
  summary.elapsedMs = performance.now() - started;
  return summary;
}

async function generate(
  run: ExperimentRun,
  rendered: string,
  cacheKeyOf: ((renderedPrompt: string) => string) | undefined,
  signal: AbortSignal,
): Promise<{ record: GenerationRecord; cached: boolean; cacheKey?: string }> {
  const cacheKey = cacheKeyOf?.(rendered);
  if (cacheKey) {
    const hit = run.store.cachedGeneration(cacheKey);
    if (hit) return { record: hit, cached: true };
  }
  const record = await generateWithBudget(run.backend, rendered, run.engine, { signal });
  return { record, cached: false, cacheKey };
}
