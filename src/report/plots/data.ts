import type { ReportExperiment, SampleOutcome } from "../experiments.js";
import { AVERAGE_SOURCE, experimentRows } from "../accuracy.js";
import { groupExperiments } from "../table.js";

/**
 * The numbers behind each plot, computed once so that specs only describe drawing. Every point
 * carries its group (the experiments of one sweep: same model and other parameters).
 */
export interface AccuracyPoint {
  group: string;
  /** The swept value: thinking budget or Wait rounds. */
  x: number;
  /** A source, or `average`. */
  series: string;
  accuracy: number;
  low: number;
  high: number;
}

export interface PlotGroup<T> {
  title: string;
  points: T[];
}

/** Accuracy with Wilson intervals along budget or Wait rounds, per group. */
export function accuracyPoints(
  experiments: readonly ReportExperiment[],
  parameter: "budget" | "wait_rounds",
): PlotGroup<AccuracyPoint>[] {
  return groupExperiments(experiments, parameter)
    .map((group) => ({
      title: group.title,
      points: group.members.flatMap(({ value, experiment }) =>
        typeof value !== "number"
          ? []
          : experimentRows(experiment).map((row) => ({
              group: group.title,
              x: value,
              series: row.source,
              accuracy: row.accuracy,
              low: row.ci95_low,
              high: row.ci95_high,
            })),
      ),
    }))
    .filter((group) => new Set(group.points.map((point) => point.x)).size > 1);
}

/** Share of samples whose thinking hit the budget (thinking_finish_reason == "length"). */
export interface CapSharePoint {
  group: string;
  budget: number;
  series: string;
  share: number;
  samples: number;
}

/** Five-number summary of thinking tokens / budget over one experiment's samples. */
export interface RatioSummary {
  group: string;
  budget: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  samples: number;
}

/** Mean tokens spent (m1's num_gen_tokens) against accuracy, per source and for the average. */
export interface TokenPoint {
  group: string;
  budget: number;
  series: string;
  meanTokens: number;
  accuracy: number;
}

export interface UsageData {
  capShare: PlotGroup<CapSharePoint>[];
  ratios: PlotGroup<RatioSummary>[];
  tokens: PlotGroup<TokenPoint>[];
}

export const ALL_SAMPLES_SERIES = "all";

/** Quantile of an ascending array with linear interpolation (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

function bySource(outcomes: readonly SampleOutcome[]): Map<string, SampleOutcome[]> {
  const map = new Map<string, SampleOutcome[]>();
  for (const outcome of outcomes) {
    const list = map.get(outcome.source) ?? [];
    list.push(outcome);
    map.set(outcome.source, list);
  }
  return map;
}

function capShare(outcomes: readonly SampleOutcome[]): { share: number; samples: number } | null {
  const known = outcomes.filter((outcome) => outcome.thinkingFinishReason !== null);
  if (known.length === 0) return null;
  const hit = known.filter((outcome) => outcome.thinkingFinishReason === "length").length;
  return { share: hit / known.length, samples: known.length };
}

function meanTokens(outcomes: readonly SampleOutcome[]): number | null {
  const counts = outcomes.flatMap((outcome) =>
    outcome.numGenTokens === null ? [] : [outcome.numGenTokens],
  );
  return counts.length === 0 ? null : counts.reduce((sum, value) => sum + value, 0) / counts.length;
}

/**
 * Budget-usage numbers along each budget sweep. `outcomesOf` returns null for an experiment whose
 * per-sample records are unavailable; it is left out of these plots.
 */
export function usageData(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[] | null,
): UsageData {
  const usage: UsageData = { capShare: [], ratios: [], tokens: [] };
  for (const group of groupExperiments(experiments, "budget")) {
    const budgets = new Set(
      group.members.map((member) => member.value).filter((v) => typeof v === "number"),
    );
    if (budgets.size < 2) continue; // not a sweep
    const capPoints: CapSharePoint[] = [];
    const ratioPoints: RatioSummary[] = [];
    const tokenPoints: TokenPoint[] = [];
    for (const { value, experiment } of group.members) {
      if (typeof value !== "number") continue;
      const outcomes = outcomesOf(experiment);
      if (!outcomes || outcomes.length === 0) continue;
      const budget = value;
      const series = [...bySource(outcomes).entries(), [ALL_SAMPLES_SERIES, outcomes] as const];
      for (const [name, list] of series) {
        const share = capShare(list);
        if (share) capPoints.push({ group: group.title, budget, series: name, ...share });
      }
      const ratios = outcomes
        .flatMap((outcome) =>
          outcome.thinkingTokens === null ? [] : [outcome.thinkingTokens / budget],
        )
        .sort((a, b) => a - b);
      if (ratios.length > 0) {
        ratioPoints.push({
          group: group.title,
          budget,
          min: ratios[0]!,
          q1: quantile(ratios, 0.25),
          median: quantile(ratios, 0.5),
          q3: quantile(ratios, 0.75),
          max: ratios[ratios.length - 1]!,
          samples: ratios.length,
        });
      }
      const accuracy = new Map(experimentRows(experiment).map((row) => [row.source, row.accuracy]));
      for (const [name, list] of bySource(outcomes)) {
        const mean = meanTokens(list);
        if (mean !== null && accuracy.has(name)) {
          tokenPoints.push({
            group: group.title,
            budget,
            series: name,
            meanTokens: mean,
            accuracy: accuracy.get(name)!,
          });
        }
      }
      const overall = meanTokens(outcomes);
      if (overall !== null) {
        tokenPoints.push({
          group: group.title,
          budget,
          series: AVERAGE_SOURCE,
          meanTokens: overall,
          accuracy: accuracy.get(AVERAGE_SOURCE)!,
        });
      }
    }
    if (capPoints.length > 0) usage.capShare.push({ title: group.title, points: capPoints });
    if (ratioPoints.length > 0) usage.ratios.push({ title: group.title, points: ratioPoints });
    if (tokenPoints.length > 0) usage.tokens.push({ title: group.title, points: tokenPoints });
  }
  return usage;
}
