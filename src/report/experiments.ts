import type { StopReason } from "../engine/adaptive.js";
import type { AnswerDecision } from "../eval/scoring/index.js";
import type { SourceCounts, StoredProbe } from "../eval/store/index.js";

/**
 * What reports know about one experiment (one m1 version directory), whichever way it was found:
 * a row of the evaluation store `m1.sqlite`, or an m1-layout directory with `metrics.json` (m1's
 * own outputs included).
 */
export type ExperimentOrigin =
  | { kind: "store"; storePath: string; experimentId: number }
  | { kind: "files"; versionDir: string };

export interface ReportExperiment {
  /** How reports name it: its store name, or its path relative to the directory given. */
  label: string;
  /** Absolute version directory; the same experiment found twice (store and files) shares it. */
  versionDir: string;
  /** m1's `exp_name` as gather_results reads it: the directory above `version_N`. */
  expName: string;
  /** `metrics.json` as gather_results prints it: the directory given joined with the relative path. */
  metricsPath: string;
  model: string | null;
  /** `max_new_tokens`. */
  thinkingBudget: number | null;
  /** `keep_think_below_budget_times`. */
  waitRounds: number | null;
  seed: number | null;
  /** Store status (`running` while an eval writes it); null for files. */
  status: string | null;
  /** Independent samples per question, answered by majority vote (1: one answer). */
  samplesPerQuestion: number;
  /** The adaptive-compute settings it ran with (probe_every ... loop_cutoff in its config). */
  adaptive: AdaptiveSetup;
  /** Correct and total counts per source, in the evaluation file's order. */
  sources: SourceCounts[];
  origin: ExperimentOrigin;
}

/** One answered question of one experiment, as comparisons and plots need it. */
/** What an experiment's config says about adaptive compute (null: off). */
export interface AdaptiveSetup {
  probeEvery: number | null;
  earlyExitPatience: number | null;
  loopCutoff: { ngram: number; repeats: number } | null;
}

/** The store's columns a report experiment is built from, whoever reads the store. */
export interface StoredExperimentSetup {
  model: string;
  thinking_budget: number;
  wait_rounds: number;
  seed: number;
  status: ReportExperiment["status"];
  samples_per_question: number;
}

/** The fields of a report experiment that come straight from the store's experiment row. */
export function storedExperimentFields(experiment: StoredExperimentSetup) {
  return {
    model: experiment.model,
    thinkingBudget: experiment.thinking_budget,
    waitRounds: experiment.wait_rounds,
    seed: experiment.seed,
    status: experiment.status,
    samplesPerQuestion: experiment.samples_per_question,
  };
}

/** The adaptive setup recorded in an experiment's config (ours; m1's configs have none). */
export function adaptiveSetupOf(config: Record<string, unknown>): AdaptiveSetup {
  const whole = (value: unknown) =>
    typeof value === "number" && Number.isInteger(value) ? value : null;
  const loop = config.loop_cutoff as { ngram?: unknown; repeats?: unknown } | null | undefined;
  const ngram = whole(loop?.ngram);
  const repeats = whole(loop?.repeats);
  return {
    probeEvery: whole(config.probe_every),
    earlyExitPatience: whole(config.early_exit_patience),
    loopCutoff: ngram !== null && repeats !== null ? { ngram, repeats } : null,
  };
}

/**
 * How an experiment spent its compute, in words: the budget and Wait rounds, then what changes
 * the spending: n samples with a vote, early exit, the loop cut-off.
 */
export function strategyOf(experiment: ReportExperiment): string {
  const parts: string[] = [];
  const budget = `budget ${experiment.thinkingBudget ?? "-"}`;
  parts.push(
    experiment.samplesPerQuestion > 1
      ? `${experiment.samplesPerQuestion} x ${budget}, vote`
      : budget,
  );
  if (experiment.waitRounds) parts.push(`Wait ${experiment.waitRounds}`);
  const { earlyExitPatience, probeEvery, loopCutoff } = experiment.adaptive;
  if (earlyExitPatience && probeEvery) parts.push(`early exit ${earlyExitPatience}@${probeEvery}`);
  else if (probeEvery) parts.push(`probes @${probeEvery}`);
  if (loopCutoff) parts.push(`loop cut-off ${loopCutoff.ngram}x${loopCutoff.repeats}`);
  return parts.join(" · ");
}

/** What sets an experiment's strategy apart beyond budget and Wait rounds ("" for m1's own). */
export function strategyTag(experiment: ReportExperiment): string {
  const tags: string[] = [];
  if (experiment.samplesPerQuestion > 1) tags.push(`samples=${experiment.samplesPerQuestion}`);
  const { earlyExitPatience, probeEvery, loopCutoff } = experiment.adaptive;
  if (earlyExitPatience && probeEvery) tags.push(`early_exit=${earlyExitPatience}@${probeEvery}`);
  else if (probeEvery) tags.push(`probes=${probeEvery}`);
  if (loopCutoff) tags.push(`loop=${loopCutoff.ngram}x${loopCutoff.repeats}`);
  return tags.join(" ");
}

export interface SampleOutcome {
  /** Position in the evaluation file (m1's sample order). */
  sampleIndex: number;
  /** The store's `question_key` when the experiment is in a store. */
  questionKey: string | null;
  source: string;
  question: string;
  correct: boolean;
  /** "stop" or "length" (hit the thinking budget); null without thinking or when unknown. */
  thinkingFinishReason: string | null;
  /** m1's `num_gen_tokens`: thinking + inserted strings + answer. */
  numGenTokens: number | null;
  /** Thinking tokens (the store records them; m1's own files do not). */
  thinkingTokens: number | null;
  /** Why thinking ended (derived from thinking_finish_reason for m1's own files). */
  stoppedBy: StopReason | null;
  /** How the answer was read (scoring's cascade step). */
  decidedBy: AnswerDecision | null;
  /** The option the answer names. */
  choice: string | null;
  /** Tokens the probes cost; null when unknown. */
  probeTokens: number | null;
  /** With n samples: the winning answer's share of the votes. */
  voteShare: number | null;
  /** Every token generated for the question (all samples, probes included). */
  computeTokens: number | null;
  /** The answer probes, scored; null without probes. */
  probes: StoredProbe[] | null;
}

/** The parameters a sweep varies; `--by` groups along one of them. */
export type SweepParameter = "budget" | "wait_rounds" | "model";

export const SWEEP_PARAMETERS: readonly SweepParameter[] = ["budget", "wait_rounds", "model"];

export function parameterValue(
  experiment: ReportExperiment,
  parameter: SweepParameter,
): number | string | null {
  switch (parameter) {
    case "budget":
      return experiment.thinkingBudget;
    case "wait_rounds":
      return experiment.waitRounds;
    case "model":
      return experiment.model;
  }
}

/** Orders names the way people read them: budget_256 before budget_1024. */
export const naturalCompare = new Intl.Collator("en", { numeric: true }).compare;

/** The last path component of a model path (`UCSC-VLAA/m1-7B-23K` -> `m1-7B-23K`). */
export function shortModelName(model: string | null): string {
  if (!model) return "-";
  const parts = model.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? model;
}
