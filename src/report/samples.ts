import { InputError } from "../errors.js";
import type { StopReason } from "../engine/adaptive.js";
import type { AnswerDecision } from "../eval/scoring/index.js";
import { EvalStore, type StoredProbe } from "../eval/store/index.js";
import type { ScoredOutcome } from "../eval/store/queries.js";
import { readAdaptiveFields, stopReasonOf } from "../eval/m1-layout/adaptive-fields.js";
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

  /** A store opened read-only, once. */
  store(path: string): EvalStore {
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
    ...storedStopFacts(row),
    choice: row.choice,
    probeTokens: row.probe_tokens_total,
    voteShare: row.vote_share,
    probes: parseProbes(row.probe_answers_json),
  }));
}

/**
 * A stored sample's stop reason, answer reading and total tokens, as the report and the viewer
 * read them. A store from before version 3 has no stop reasons nor compute totals: m1's own
 * fields say as much.
 */
export function storedStopFacts(
  row: Pick<
    ScoredOutcome,
    | "stopped_by"
    | "thinking_finish_reason"
    | "decided_by"
    | "num_gen_tokens"
    | "probe_tokens_total"
    | "compute_tokens"
  >,
): Pick<SampleOutcome, "stoppedBy" | "decidedBy" | "computeTokens"> {
  return {
    stoppedBy:
      (row.stopped_by as StopReason | null) ??
      stopReasonOf({ thinking_finish_reason: row.thinking_finish_reason }),
    decidedBy: row.decided_by as AnswerDecision | null,
    computeTokens:
      row.compute_tokens ??
      (row.num_gen_tokens === null ? null : row.num_gen_tokens + (row.probe_tokens_total ?? 0)),
  };
}

function parseProbes(json: string | null): StoredProbe[] | null {
  if (json === null) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? (parsed as StoredProbe[]) : null;
  } catch {
    return null;
  }
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
    const adaptive = readAdaptiveFields(record);
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
      stoppedBy: adaptive.stopped_by,
      decidedBy: adaptive.decided_by,
      choice: adaptive.choice,
      probeTokens: adaptive.probe_tokens_total,
      voteShare: adaptive.vote_share,
      computeTokens: adaptive.compute_tokens,
      probes: adaptive.probe_answers,
    });
  }
  return outcomes;
}
