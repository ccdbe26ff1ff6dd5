import type { SourceCounts } from "../eval/store/index.js";
import type { ReportExperiment } from "./experiments.js";
import { meanOfProportionsInterval, wilsonInterval } from "./stats/wilson.js";

/**
 * Accuracy per source with its 95% Wilson interval, and the unweighted average over sources (the
 * m1 paper's headline number): computed here for every table that shows them (`m1 report`, the
 * HTML report, plots, the viewer, the summary `m1 eval` ends with).
 */
export interface SourceAccuracy {
  source: string;
  correct_count: number;
  total_count: number;
  accuracy: number;
  ci95_low: number;
  ci95_high: number;
}

/** The row `--format json` prints: one per (experiment, source), plus one `average` per experiment. */
export type AccuracyRow = { experiment: string } & SourceAccuracy;

/** The source name of the unweighted mean over sources (m1's headline number). */
export const AVERAGE_SOURCE = "average";

export function sourceAccuracy(counts: SourceCounts): SourceAccuracy {
  const interval = wilsonInterval(counts.correct_count, counts.total_count);
  return {
    source: counts.source,
    correct_count: counts.correct_count,
    total_count: counts.total_count,
    accuracy: counts.total_count > 0 ? counts.correct_count / counts.total_count : 0,
    ci95_low: interval.low,
    ci95_high: interval.high,
  };
}

/**
 * The `average`: accuracy is the unweighted mean of per-source accuracies (as the m1 paper
 * reports it), counts are totals over sources, the interval is meanOfProportionsInterval's
 * (MOVER over the sources' Wilson intervals). Sources without samples are left out.
 */
export function averageAccuracy(sources: readonly SourceCounts[]): SourceAccuracy {
  const used = sources.filter((source) => source.total_count > 0);
  const interval = meanOfProportionsInterval(used);
  const accuracy =
    used.length === 0
      ? 0
      : used.reduce((sum, source) => sum + source.correct_count / source.total_count, 0) /
        used.length;
  return {
    source: AVERAGE_SOURCE,
    correct_count: used.reduce((sum, source) => sum + source.correct_count, 0),
    total_count: used.reduce((sum, source) => sum + source.total_count, 0),
    accuracy,
    ci95_low: interval.low,
    ci95_high: interval.high,
  };
}

/** The rows of one experiment: its sources in their order, then the average. */
export function experimentRows(experiment: ReportExperiment): AccuracyRow[] {
  return [...experiment.sources.map(sourceAccuracy), averageAccuracy(experiment.sources)].map(
    (accuracy) => ({ experiment: experiment.label, ...accuracy }),
  );
}
