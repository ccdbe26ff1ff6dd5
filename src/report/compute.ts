import { experimentRows } from "./accuracy.js";
import {
  shortModelName,
  strategyOf,
  type ReportExperiment,
  type SampleOutcome,
} from "./experiments.js";

/**
 * Accuracy against the compute spent per question, for every experiment of a study: sequential
 * scaling (a bigger budget, Wait rounds) and parallel scaling (n samples and a vote) on one axis,
 * the mean of every token generated per question (thinking, inserted, answer, probes; all n
 * samples). Accuracy is the paper's average over sources, with its 95% interval.
 */
export type StrategyKind = "sequential" | "parallel" | "adaptive";

export interface ComputePoint {
  /** The model: the points that compete. */
  group: string;
  experiment: string;
  strategy: string;
  kind: StrategyKind;
  meanTokens: number;
  accuracy: number;
  low: number;
  high: number;
  questions: number;
}

function kindOf(experiment: ReportExperiment): StrategyKind {
  if (experiment.samplesPerQuestion > 1) return "parallel";
  const { earlyExitPatience, loopCutoff } = experiment.adaptive;
  return earlyExitPatience || loopCutoff ? "adaptive" : "sequential";
}

export function computePoints(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[] | null,
): ComputePoint[] {
  const points: ComputePoint[] = [];
  for (const experiment of experiments) {
    const outcomes = outcomesOf(experiment);
    const tokens = (outcomes ?? []).flatMap((outcome) =>
      outcome.computeTokens === null ? [] : [outcome.computeTokens],
    );
    if (tokens.length === 0) continue;
    const average = experimentRows(experiment).at(-1)!;
    points.push({
      // Every experiment given competes (one output directory is one study), model by model.
      group: shortModelName(experiment.model),
      experiment: experiment.label,
      strategy: strategyOf(experiment),
      kind: kindOf(experiment),
      meanTokens: tokens.reduce((sum, value) => sum + value, 0) / tokens.length,
      accuracy: average.accuracy,
      low: average.ci95_low,
      high: average.ci95_high,
      questions: tokens.length,
    });
  }
  return points;
}

export interface ComputeLevel {
  group: string;
  /** At most this many tokens per question, on average. */
  level: number;
  best: ComputePoint;
  bestOf: Partial<Record<StrategyKind, ComputePoint>>;
}

/**
 * Per group, at each compute level (powers of two from the cheapest experiment to the dearest):
 * the most accurate experiment within it, overall and of each kind (ties: the cheaper one).
 */
export function computeLevels(points: readonly ComputePoint[]): ComputeLevel[] {
  const levels: ComputeLevel[] = [];
  const groups = [...new Set(points.map((point) => point.group))];
  for (const group of groups) {
    const members = points.filter((point) => point.group === group);
    const cheapest = Math.min(...members.map((point) => point.meanTokens));
    const dearest = Math.max(...members.map((point) => point.meanTokens));
    for (let level = 2 ** Math.ceil(Math.log2(Math.max(1, cheapest))); ; level *= 2) {
      const within = members.filter((point) => point.meanTokens <= level);
      const better = (a: ComputePoint | undefined, b: ComputePoint) =>
        !a || b.accuracy > a.accuracy || (b.accuracy === a.accuracy && b.meanTokens < a.meanTokens)
          ? b
          : a;
      let best: ComputePoint | undefined;
      const bestOf: ComputeLevel["bestOf"] = {};
      for (const point of within) {
        best = better(best, point);
        bestOf[point.kind] = better(bestOf[point.kind], point);
      }
      if (best) levels.push({ group, level, best, bestOf });
      if (level >= dearest) break;
    }
  }
  return levels;
}

const pct = (value: number) => (100 * value).toFixed(1);

function pointText(point: ComputePoint | undefined): string {
  return point ? `${point.strategy}: ${pct(point.accuracy)}%` : "–";
}

export function formatComputeMarkdown(points: readonly ComputePoint[]): string {
  if (points.length === 0) return "";
  const lines: string[] = [];
  for (const group of [...new Set(points.map((point) => point.group))]) {
    const members = points
      .filter((point) => point.group === group)
      .sort((a, b) => a.meanTokens - b.meanTokens);
    lines.push(
      `### Accuracy against compute${group ? `: ${group}` : ""}`,
      "",
      "Mean tokens generated per question (thinking, inserted, answer and probes, all samples).",
      "",
      "| strategy | kind | tokens/question | accuracy % [95% CI] | experiment |",
      "|---|---|---:|---:|---|",
      ...members.map(
        (point) =>
          `| ${point.strategy} | ${point.kind} | ${Math.round(point.meanTokens)} | ${pct(point.accuracy)} [${pct(point.low)}, ${pct(point.high)}] | ${point.experiment} |`,
      ),
      "",
      "Which strategy wins at each compute level (most accurate within it):",
      "",
      "| tokens/question ≤ | winner | best sequential | best parallel | best adaptive |",
      "|---:|---|---|---|---|",
      ...computeLevels(members).map(
        (level) =>
          `| ${level.level} | ${pointText(level.best)} | ${pointText(level.bestOf.sequential)} | ${pointText(level.bestOf.parallel)} | ${pointText(level.bestOf.adaptive)} |`,
      ),
      "",
    );
  }
  return lines.join("\n").trimEnd();
}
