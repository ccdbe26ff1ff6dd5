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
import {
  answeredSampleRow,
  computeTokensOf,
  drawRow,
  failedSampleRow,
  type ScoredGeneration,
} from "./sample-row.js";
import { answerChoice, scoreSample } from "../scoring/index.js";
import { QuestionVotes } from "./question-votes.js";
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
  /** Independent samples per question, answered by majority vote (default 1). */
  samplesPerQuestion?: number;
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

/** One generation to run: a question, and which of its n samples (null with one sample). */
interface WorkUnit {
  sample: EvalSample;
  sampleIndex: number;
  draw: { index: number; seed: number } | null;
}

/**
 * Run (or resume) one experiment: every sample not yet done is prompted, generated with the
 * budget-forcing engine, scored exactly as m1 and committed to the store as it completes. A sample
 * that fails is recorded with its error and the run goes on; an interrupt stops new work and loses
 * only the samples in flight. With `samplesPerQuestion` n > 1 each question gets n generations
 * (draws, each committed as it completes and skipped when a resumed run finds it), and its row is
 * the majority vote, written once all n are in.
 */
export async function runExperiment(run: ExperimentRun): Promise<ExperimentRunSummary> {
  const { store, experiment, samples } = run;
  // Work stops on the caller's signal, or when the first samples show that the run can only fail.
  const stop = new AbortController();
  const signal = run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal;
  const firstFailures = new FirstFailures();
  const started = performance.now();
  const n = run.samplesPerQuestion ?? 1;
  const questionKeys = samples.map((sample) => questionKey(sample));
  store.upsertQuestions(
    samples.map((sample, index) => toStoredQuestion(sample, questionKeys[index])),
  );
  const done = store.completedSampleIndices(experiment.id);
  const pending = samples
    .map((sample, sampleIndex) => ({ sample, sampleIndex }))
    .filter(({ sampleIndex }) => !done.has(sampleIndex));

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

  const identityOf = (
    unit: Pick<WorkUnit, "sample" | "sampleIndex">,
    startedAt: Date,
    clock: number,
  ) => ({
    experiment_id: experiment.id,
    sample_index: unit.sampleIndex,
    question_key: questionKeys[unit.sampleIndex]!,
    source: unit.sample.source,
    started_at: startedAt.toISOString(),
    elapsed_ms: performance.now() - clock,
  });
  const questionDone = (correct: boolean | null) => {
    if (correct === null) {
      summary.failed++;
    } else {
      summary.answered++;
      tally.scored++;
      if (correct) tally.correct++;
    }
    const seconds = (performance.now() - started) / 1000;
    const accuracy =
      tally.scored > 0 ? `acc ${((100 * tally.correct) / tally.scored).toFixed(1)}%` : "";
    const speed = `${Math.round(summary.generatedTokens / Math.max(seconds, 1e-3))} tok/s`;
    run.progress?.increment(
      1,
      `| ${accuracy} | ${speed}${summary.failed ? ` | ${summary.failed} failed` : ""}`,
    );
  };

  // Cache keys serialise the settings once per experiment (once per draw seed with n samples).
  const keyers = new Map<BudgetForcingSettings, (renderedPrompt: string) => string>();
  const cacheKeyOf = (engine: BudgetForcingSettings, rendered: string) => {
    if (!run.useCache) return undefined;
    let keyer = keyers.get(engine);
    if (!keyer) {
      keyer = generationCacheKeys(run.modelIdentity, engine);
      keyers.set(engine, keyer);
    }
    return keyer(rendered);
  };
  const drawEngines = new Map<number, BudgetForcingSettings>();
  const engineOf = (draw: WorkUnit["draw"]) => {
    if (!draw) return run.engine;
    let engine = drawEngines.get(draw.seed);
    if (!engine) {
      engine = withSeed(run.engine, draw.seed);
      drawEngines.set(draw.seed, engine);
    }
    return engine;
  };

  // With n samples: the draws each question still needs, and those already in the store.
  const votes = n > 1 ? new QuestionVotes(store, experiment, n) : undefined;
  const units: WorkUnit[] = [];
  for (const { sample, sampleIndex } of pending) {
    if (!votes) {
      units.push({ sample, sampleIndex, draw: null });
      continue;
    }
    const missing = votes.missingDraws(sampleIndex, experiment.seed);
    if (missing.length === 0) {
      // Every draw was in before a crash: only the vote is left to write.
      questionDone(
        votes.finish(identityOf({ sample, sampleIndex }, new Date(), performance.now())),
      );
    }
    for (const draw of missing) units.push({ sample, sampleIndex, draw });
  }
  // Stopping early saves something only when generations would be left.
  const mayStopEarly = units.length > EARLY_STOP_SAMPLES;
  let failedGenerations = 0;

  let next = 0;
  let exampleShown = false;
  const worker = async () => {
    while (next < units.length && !signal.aborted) {
      const unit = units[next++]!;
      const { sample, draw } = unit;
      const startedAt = new Date();
      const clock = performance.now();
      const query = buildSamplePrompt(sample, run.prompt);
      let outcome: ScoredGeneration | { error: unknown };
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
        const engine = engineOf(draw);
        const cacheKey = cacheKeyOf(engine, rendered);
        const { record, cached } = await generate(run, engine, rendered, sample, cacheKey, signal);
        outcome = { ...scoreGeneration(record, sample), cached };
        firstFailures.record(undefined);
        if (!cached) summary.generatedTokens += computeTokensOf(record);
        if (!draw) {
          // A fresh generation is cached in the sample's own commit.
          store.recordSample(answeredSampleRow(identityOf(unit, startedAt, clock), outcome), {
            cacheKey: cached ? undefined : cacheKey,
          });
          questionDone(outcome.score.correct);
          continue;
        }
      } catch (error) {
        if (error instanceof CancelledError || signal.aborted) break;
        outcome = { error };
        failedGenerations++;
        if (firstFailures.record(error) && mayStopEarly) {
          summary.stoppedEarly = { message: firstFailures.message!, samples: failedGenerations };
          stop.abort();
        }
        if (!draw) {
          store.recordSample(failedSampleRow(identityOf(unit, startedAt, clock), error));
          questionDone(null);
          continue;
        }
      }
      const finished = votes!.record(
        drawRow(identityOf(unit, startedAt, clock), draw, outcome),
        identityOf(unit, startedAt, clock),
      );
      if (finished !== undefined) questionDone(finished);
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

/** The engine settings of one draw: the experiment's, with the draw's seed. */
function withSeed(engine: BudgetForcingSettings, seed: number): BudgetForcingSettings {
  return { ...engine, sampling: { ...engine.sampling, seed } };
}

/** m1's scoring of a generation, and of each of its probes (as the forced answer at that point). */
function scoreGeneration(
  record: GenerationRecord,
  sample: EvalSample,
): Omit<ScoredGeneration, "cached"> {
  const scoreOf = (responseText: string) =>
    scoreSample({
      response_text: responseText,
      answer: sample.answer,
      answer_idx: sample.answer_idx,
      option_str: sample.option_str,
    });
  return {
    record,
    score: scoreOf(record.response_text),
    probes: record.probe_answers.map((probe) => ({
      ...probe,
      correct: scoreOf(probe.response_text).correct,
    })),
  };
}

async function generate(
  run: ExperimentRun,
  engine: BudgetForcingSettings,
  rendered: string,
  sample: EvalSample,
  cacheKey: string | undefined,
  signal: AbortSignal,
): Promise<{ record: GenerationRecord; cached: boolean }> {
  if (cacheKey) {
    const hit = run.store.cachedGeneration(cacheKey);
    if (hit) return { record: hit, cached: true };
  }
  const record = await generateWithBudget(run.backend, rendered, engine, {
    signal,
    // A probe's answer is the option its text names, read without the gold answer.
    extractAnswer: (text) => answerChoice(text, sample.option_str),
  });
  return { record, cached: false };
}
