import type { SourceCounts } from "../eval/store/index.js";
import { averageAccuracy, sourceAccuracy, type SourceAccuracy } from "./accuracy.js";
import type { ReportExperiment, SampleOutcome } from "./experiments.js";

/**
 * Accuracy against the thinking budget from one capped run with answer probes: at budget B, a
 * question's answer is its own when thinking ended by itself within B tokens, else the probe taken
 * at B tokens, which is the forced answer a run capped at B gives (same text before it, same
 * answer prefix). So every multiple of probe_every below the cap, and the cap, is a point of the
 * curve, from one run. It holds for runs whose probes could not change their course: no early
 * exit, no loop cut-off, no Wait rounds, one sample per question.
 */
export interface ProbeCurvePoint {
  budget: number;
  sources: SourceAccuracy[];
  average: SourceAccuracy;
  /** A separate run at this budget (same model and seed, plain budget forcing), to compare. */
  separate: { experiment: string; average: SourceAccuracy } | null;
}

export interface ProbeCurve {
  experiment: string;
  /** One row per budget: accuracy per source and the average. */
  points: ProbeCurvePoint[];
}

/** Why an experiment has no curve, or null when it has one. */
export function probeCurveProblem(experiment: ReportExperiment): string | null {
  const { probeEvery, earlyExitPatience, loopCutoff } = experiment.adaptive;
  if (probeEvery === null) return "it ran without probes";
  if (earlyExitPatience) return "early exit changed how long it thought";
  if (loopCutoff) return "the loop cut-off changed how long it thought";
  if (experiment.waitRounds) return "Wait rounds changed what it thought";
  if (experiment.samplesPerQuestion > 1) return "its answers are votes";
  if (experiment.thinkingBudget === null) return "its budget is unknown";
  return null;
}

/** Whether a question was right at `budget`; null when its record cannot say. */
function correctAt(outcome: SampleOutcome, budget: number, cap: number): boolean | null {
  const tokens = outcome.thinkingTokens;
  if (budget >= cap) return outcome.correct;
  if (outcome.stoppedBy === "model" && tokens !== null && tokens <= budget) return outcome.correct;
  const probe = outcome.probes?.find((candidate) => candidate.thinking_tokens === budget);
  return probe ? probe.correct : null;
}

/** A run of plain budget forcing at `budget` with the same model and seed, if one was given. */
function separateRun(
  experiment: ReportExperiment,
  budget: number,
  others: readonly ReportExperiment[],
): ProbeCurvePoint["separate"] {
  const match = others.find(
    (other) =>
      other !== experiment &&
      other.model === experiment.model &&
      other.seed === experiment.seed &&
      other.thinkingBudget === budget &&
      !other.waitRounds &&
      other.samplesPerQuestion === 1 &&
      other.adaptive.probeEvery === null &&
      other.adaptive.loopCutoff === null,
  );
  return match ? { experiment: match.label, average: averageAccuracy(match.sources) } : null;
}

export function probeCurve(
  experiment: ReportExperiment,
  outcomes: readonly SampleOutcome[],
  others: readonly ReportExperiment[] = [],
): ProbeCurve | null {
  if (probeCurveProblem(experiment) !== null) return null;
  const cap = experiment.thinkingBudget!;
  const every = experiment.adaptive.probeEvery!;
  const budgets: number[] = [];
  for (let budget = every; budget < cap; budget += every) budgets.push(budget);
  budgets.push(cap);
  const points = budgets.flatMap((budget) => {
    const counts = new Map<string, SourceCounts>();
    for (const outcome of outcomes) {
      const correct = correctAt(outcome, budget, cap);
      if (correct === null) return []; // a question without its probe: no honest point here
      const entry = counts.get(outcome.source) ?? {
        source: outcome.source,
        correct_count: 0,
        total_count: 0,
      };
      entry.total_count++;
      if (correct) entry.correct_count++;
      counts.set(outcome.source, entry);
    }
    const sources = [...counts.values()];
    return [
      {
        budget,
        sources: sources.map(sourceAccuracy),
        average: averageAccuracy(sources),
        separate: separateRun(experiment, budget, others),
      },
    ];
  });
  return points.length > 1 ? { experiment: experiment.label, points } : null;
}

export function formatProbeCurvesMarkdown(curves: readonly ProbeCurve[]): string {
  const sections = curves.map((curve) => {
    const sources = [
      ...new Set(curve.points.flatMap((point) => point.sources.map((s) => s.source))),
    ];
    const cell = (row: SourceAccuracy | undefined) =>
      row
        ? `${(100 * row.accuracy).toFixed(1)} [${(100 * row.ci95_low).toFixed(1)}, ${(100 * row.ci95_high).toFixed(1)}]`
        : "";
    const withSeparate = curve.points.some((point) => point.separate);
    const header = [
      "budget",
      ...sources,
      "average",
      ...(withSeparate ? ["separate run (average)"] : []),
    ];
    const lines = [
      `### Accuracy by budget from the probes of one run: ${curve.experiment}`,
      "",
      "Each budget below the cap is read from the probe taken there (the answer a run capped there gives).",
      "",
      `| ${header.join(" | ")} |`,
      `|${header.map(() => "---:").join("|")}|`,
      ...curve.points.map(
        (point) =>
          `| ${[
            String(point.budget),
            ...sources.map((source) => cell(point.sources.find((s) => s.source === source))),
            cell(point.average),
            ...(withSeparate
              ? [
                  point.separate
                    ? `${cell(point.separate.average)} ${point.separate.experiment}`
                    : "–",
                ]
              : []),
          ].join(" | ")} |`,
      ),
    ];
    return lines.join("\n");
  });
  return sections.join("\n\n");
}
