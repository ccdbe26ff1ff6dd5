import { InputError } from "../errors.js";
import { EvalStore } from "../eval/store/index.js";
import type { ReportExperiment, SampleOutcome } from "./experiments.js";
import { readSamples, readVersionDirectory } from "../eval/m1-layout/read.js";

/**
 * Per-sample outcomes for comparisons and plots, loaded on demand (a table needs only counts) and
 * at most once per experiment. Holds the stores it opened until closed.
 */
export class SampleLoader implements Disposable {
  private readonly stores = new Map<string, EvalStore>();
  private readonly cache = new Map<string, SampleOutcome[]>();

  outcomes(experiment: ReportExperiment): SampleOutcome[] {
    const cached = this.cache.get(experiment.versionDir);
    if (cached) return cached;
    const loaded =
      experiment.origin.kind === "store"
        ? storeOutcomes(this.store(experiment.origin.storePath), experiment.origin.experimentId)
        : fileOutcomes(experiment.origin.versionDir);
    this.cache.set(experiment.versionDir, loaded);
    return loaded;
  }

  private store(path: string): EvalStore {
    let store = this.stores.get(path);
    if (!store) {
      store = EvalStore.open(path, { readonly: true });
      this.stores.set(path, store);
    }
    return store;
  }

  close(): void {
    for (const store of this.stores.values()) store.close();
    this.stores.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The store's scored samples (small columns only, never the texts). */
function storeOutcomes(store: EvalStore, experimentId: number): SampleOutcome[] {
  return store.read.scoredOutcomes(experimentId).map((row) => ({
    sampleIndex: row.sample_index,
    questionKey: row.question_key,
    source: row.source,
    question: row.question,
    correct: row.correct,
    thinkingFinishReason: row.thinking_finish_reason,
    numGenTokens: row.num_gen_tokens,
    thinkingTokens: row.thinking_tokens,
  }));
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function fileOutcomes(versionDir: string): SampleOutcome[] {
  const samples = readSamples(readVersionDirectory(versionDir));
  const outcomes: SampleOutcome[] = [];
  for (const sample of samples) {
    if (sample.correct === null) {
      throw new InputError(
        `sample ${sample.index} has no correctness (no <stem>.scored.json?)`,
        { file: versionDir },
        "run `m1 score` on this directory first",
      );
    }
    const { record } = sample;
    outcomes.push({
      sampleIndex: sample.index,
      questionKey: null,
      source: text(record.source) || "normal",
      question: text(record.question),
      correct: sample.correct,
      thinkingFinishReason:
        typeof record.thinking_finish_reason === "string" ? record.thinking_finish_reason : null,
      numGenTokens: count(record.num_gen_tokens),
      thinkingTokens: count(record.thinking_tokens),
    });
  }
  return outcomes;
}
