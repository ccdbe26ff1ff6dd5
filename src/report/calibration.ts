import type { ReportExperiment, SampleOutcome } from "./experiments.js";

/**
 * Whether test-time signals predict correctness: probe agreement (the share of a question's
 * probes that named its final answer: an answer that settled early agrees with most) and vote
 * share (n samples). Per experiment, signal and source: risk-coverage (accuracy when answering
 * only the questions at or above a confidence threshold, against the share answered) and the
 * expected calibration error (10 equal-width bins).
 */
export type ConfidenceSignal = "probe agreement" | "vote share";

export interface CoveragePoint {
  coverage: number;
  accuracy: number;
  threshold: number;
}

export interface CalibrationCurve {
  experiment: string;
  signal: ConfidenceSignal;
  /** A source, or `all`. */
  source: string;
  questions: number;
  /** Expected calibration error: the bins' mean |accuracy - confidence|, weighted by size. */
  ece: number;
  points: CoveragePoint[];
}

export const ALL_QUESTIONS = "all";

/** The signal's confidence for one question, or null when it has none. */
export function confidenceOf(outcome: SampleOutcome, signal: ConfidenceSignal): number | null {
  if (signal === "vote share") return outcome.voteShare;
  const probes = outcome.probes;
  if (!probes || probes.length === 0 || outcome.choice === null) return null;
  return probes.filter((probe) => probe.answer === outcome.choice).length / probes.length;
}

interface Scored {
  confidence: number;
  correct: boolean;
}

/** Accuracy of the top-confidence questions as coverage grows, one point per threshold. */
export function riskCoverage(items: readonly Scored[]): CoveragePoint[] {
  const sorted = [...items].sort((a, b) => b.confidence - a.confidence);
  const points: CoveragePoint[] = [];
  let correct = 0;
  sorted.forEach((item, index) => {
    if (item.correct) correct++;
    const next = sorted[index + 1];
    // Questions of equal confidence are answered together.
    if (next === undefined || next.confidence !== item.confidence) {
      points.push({
        coverage: (index + 1) / sorted.length,
        accuracy: correct / (index + 1),
        threshold: item.confidence,
      });
    }
  });
  return points;
}

export function expectedCalibrationError(items: readonly Scored[], bins = 10): number {
  if (items.length === 0) return 0;
  const sums = Array.from({ length: bins }, () => ({ count: 0, correct: 0, confidence: 0 }));
  for (const item of items) {
    const bin = sums[Math.min(bins - 1, Math.floor(item.confidence * bins))]!;
    bin.count++;
    bin.confidence += item.confidence;
    if (item.correct) bin.correct++;
  }
  return sums.reduce(
    (total, bin) =>
      bin.count === 0
        ? total
        : total +
          (bin.count / items.length) *
            Math.abs(bin.correct / bin.count - bin.confidence / bin.count),
    0,
  );
}

export function calibrationCurves(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[] | null,
): CalibrationCurve[] {
  const curves: CalibrationCurve[] = [];
  for (const experiment of experiments) {
    const outcomes = outcomesOf(experiment) ?? [];
    for (const signal of ["probe agreement", "vote share"] as const) {
      const scored = outcomes.flatMap((outcome) => {
        const confidence = confidenceOf(outcome, signal);
        return confidence === null
          ? []
          : [{ source: outcome.source, confidence, correct: outcome.correct }];
      });
      if (scored.length === 0) continue;
      const sources = [...new Set(scored.map((item) => item.source))];
      for (const source of [...sources, ALL_QUESTIONS]) {
        const items =
          source === ALL_QUESTIONS ? scored : scored.filter((item) => item.source === source);
        if (source === ALL_QUESTIONS && sources.length === 1) continue;
        curves.push({
          experiment: experiment.label,
          signal,
          source,
          questions: items.length,
          ece: expectedCalibrationError(items),
          points: riskCoverage(items),
        });
      }
    }
  }
  return curves;
}

/** Accuracy when answering the most confident `coverage` share of the questions. */
export function accuracyAtCoverage(
  points: readonly CoveragePoint[],
  coverage: number,
): number | null {
  const point = points.find((candidate) => candidate.coverage >= coverage - 1e-9);
  return point ? point.accuracy : null;
}

export function formatCalibrationMarkdown(curves: readonly CalibrationCurve[]): string {
  if (curves.length === 0) return "";
  const pct = (value: number | null) => (value === null ? "–" : (100 * value).toFixed(1));
  return [
    "### Calibration from test-time signals",
    "",
    "Risk-coverage: accuracy on the most confident questions only. ECE: expected calibration error (10 bins).",
    "",
    "| experiment | signal | source | questions | ECE | acc. @25% | acc. @50% | acc. @100% |",
    "|---|---|---|---:|---:|---:|---:|---:|",
    ...curves.map(
      (curve) =>
        `| ${curve.experiment} | ${curve.signal} | ${curve.source} | ${curve.questions} | ${curve.ece.toFixed(3)} | ${pct(accuracyAtCoverage(curve.points, 0.25))} | ${pct(accuracyAtCoverage(curve.points, 0.5))} | ${pct(accuracyAtCoverage(curve.points, 1))} |`,
    ),
  ].join("\n");
}
