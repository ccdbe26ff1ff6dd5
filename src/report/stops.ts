import type { StopReason } from "../engine/adaptive.js";
import type { AnswerDecision } from "../eval/scoring/index.js";
import { pairQuestions } from "./compare.js";
import type { ReportExperiment, SampleOutcome } from "./experiments.js";
import { groupExperiments } from "./table.js";
import { wilsonInterval } from "./stats/wilson.js";

/**
 * How each experiment's answers came about, said plainly: how many samples thinking ended by
 * itself, at the budget, by early exit or by the loop cut-off; how many answers were difflib
 * guesses; accuracy on natural stops against forced ones; what Wait rounds flipped against the
 * same experiment without them; votes and probe cost. `m1 report`, `m1 view` and `m1 score` show
 * these same columns.
 */
export interface AccuracyCount {
  correct: number;
  total: number;
  accuracy: number | null;
  ci95_low: number | null;
  ci95_high: number | null;
}

export interface StopsRow {
  experiment: string;
  /** Scored samples (questions). */
  samples: number;
  /** Samples by why thinking ended (those with a known reason). */
  stopped_by: Record<StopReason, number>;
  /** Samples whose answer was only a difflib guess (`difflib`, or `none`: nothing to go on). */
  guessed: number;
  /** Samples by how their answer was read. */
  decided_by: Partial<Record<AnswerDecision, number>>;
  /** Accuracy where the model ended thinking itself, and where something else ended it. */
  natural: AccuracyCount;
  forced: AccuracyCount;
  /** Against the same experiment without Wait rounds: right to wrong, wrong to right. */
  wait_flips: { against: string; right_to_wrong: number; wrong_to_right: number } | null;
  /** n samples per question and the mean share of the winning answer. */
  votes: { samples_per_question: number; mean_vote_share: number } | null;
  /** Mean probe tokens and mean total generated tokens per question (null when unknown). */
  probe_tokens_per_question: number | null;
  compute_tokens_per_question: number | null;
}

const STOP_REASONS: readonly StopReason[] = ["model", "budget", "converged", "loop"];

export function accuracyCount(correct: number, total: number): AccuracyCount {
  if (total === 0) {
    return { correct, total, accuracy: null, ci95_low: null, ci95_high: null };
  }
  const interval = wilsonInterval(correct, total);
  return {
    correct,
    total,
    accuracy: correct / total,
    ci95_low: interval.low,
    ci95_high: interval.high,
  };
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The per-sample facts a stops row is made of (report outcomes and `m1 score` rows alike). */
export type StopsInput = Pick<
  SampleOutcome,
  "correct" | "stoppedBy" | "decidedBy" | "voteShare" | "probeTokens" | "computeTokens"
>;

/** The row of one experiment (or one results file); flips and n come from the caller. */
export function stopsRow(
  experiment: string,
  outcomes: readonly StopsInput[],
  extra: { samplesPerQuestion?: number; waitFlips?: StopsRow["wait_flips"] } = {},
): StopsRow {
  const stopped = Object.fromEntries(STOP_REASONS.map((reason) => [reason, 0])) as Record<
    StopReason,
    number
  >;
  const decided: Partial<Record<AnswerDecision, number>> = {};
  let guessed = 0;
  const natural = { correct: 0, total: 0 };
  const forced = { correct: 0, total: 0 };
  for (const outcome of outcomes) {
    if (outcome.stoppedBy) {
      stopped[outcome.stoppedBy]++;
      const side = outcome.stoppedBy === "model" ? natural : forced;
      side.total++;
      if (outcome.correct) side.correct++;
    }
    if (outcome.decidedBy) {
      decided[outcome.decidedBy] = (decided[outcome.decidedBy] ?? 0) + 1;
      if (outcome.decidedBy === "difflib" || outcome.decidedBy === "none") guessed++;
    }
  }
  const shares = outcomes.flatMap((outcome) =>
    outcome.voteShare === null ? [] : [outcome.voteShare],
  );
  const n = extra.samplesPerQuestion ?? 1;
  return {
    experiment,
    samples: outcomes.length,
    stopped_by: stopped,
    guessed,
    decided_by: decided,
    natural: accuracyCount(natural.correct, natural.total),
    forced: accuracyCount(forced.correct, forced.total),
    wait_flips: extra.waitFlips ?? null,
    votes: n > 1 ? { samples_per_question: n, mean_vote_share: mean(shares) ?? 0 } : null,
    probe_tokens_per_question: mean(
      outcomes.flatMap((outcome) => (outcome.probeTokens === null ? [] : [outcome.probeTokens])),
    ),
    compute_tokens_per_question: mean(
      outcomes.flatMap((outcome) =>
        outcome.computeTokens === null ? [] : [outcome.computeTokens],
      ),
    ),
  };
}

/**
 * Stops rows for every experiment whose samples can be read. Wait flips compare an experiment
 * with Wait rounds to its sibling without (same model, budget, seed and strategy, same study).
 */
export function stopsRows(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[] | null,
): StopsRow[] {
  const baselineOf = new Map<ReportExperiment, ReportExperiment>();
  for (const group of groupExperiments(experiments, "wait_rounds")) {
    const baseline = group.members.find((member) => member.value === 0)?.experiment;
    if (!baseline) continue;
    for (const member of group.members) {
      if (member.experiment !== baseline) baselineOf.set(member.experiment, baseline);
    }
  }
  const rows: StopsRow[] = [];
  for (const experiment of experiments) {
    const outcomes = outcomesOf(experiment);
    if (!outcomes) continue;
    const baseline = baselineOf.get(experiment);
    const baselineOutcomes = baseline ? outcomesOf(baseline) : null;
    let waitFlips: StopsRow["wait_flips"] = null;
    if (baseline && baselineOutcomes) {
      const { pairs } = pairQuestions(baseline, experiment, baselineOutcomes, outcomes);
      waitFlips = {
        against: baseline.label,
        right_to_wrong: pairs.filter((pair) => pair.a.correct && !pair.b.correct).length,
        wrong_to_right: pairs.filter((pair) => !pair.a.correct && pair.b.correct).length,
      };
    }
    rows.push(
      stopsRow(experiment.label, outcomes, {
        samplesPerQuestion: experiment.samplesPerQuestion,
        waitFlips,
      }),
    );
  }
  return rows;
}

// ---- formats ---------------------------------------------------------------------------------

const pct = (part: number, whole: number) =>
  whole === 0 ? "–" : `${((100 * part) / whole).toFixed(1)}%`;

function accuracyText(count: AccuracyCount): string {
  if (count.accuracy === null) return "–";
  const p = (value: number | null) => ((value ?? 0) * 100).toFixed(1);
  return `${p(count.accuracy)} [${p(count.ci95_low)}, ${p(count.ci95_high)}] (n=${count.total})`;
}

const rounded = (value: number | null) => (value === null ? "–" : String(Math.round(value)));

/** The columns every text form shows, in order. */
export const STOPS_COLUMNS = [
  "experiment",
  "samples",
  "thinking ended by model",
  "hit budget",
  "early exit",
  "loop cut",
  "difflib guess",
  "acc. natural stops [95% CI]",
  "acc. forced stops [95% CI]",
  "Wait flips ✓→✗ / ✗→✓",
  "votes (n, mean share)",
  "probe tok/q",
  "total tok/q",
] as const;

export function stopsCells(row: StopsRow): string[] {
  const { stopped_by: stopped, samples } = row;
  return [
    row.experiment,
    String(samples),
    pct(stopped.model, samples),
    pct(stopped.budget, samples),
    pct(stopped.converged, samples),
    `${stopped.loop} (${pct(stopped.loop, samples)})`,
    pct(row.guessed, samples),
    accuracyText(row.natural),
    accuracyText(row.forced),
    row.wait_flips ? `${row.wait_flips.right_to_wrong} / ${row.wait_flips.wrong_to_right}` : "–",
    row.votes
      ? `${row.votes.samples_per_question}, ${(100 * row.votes.mean_vote_share).toFixed(0)}%`
      : "–",
    rounded(row.probe_tokens_per_question),
    rounded(row.compute_tokens_per_question),
  ];
}

function markdownCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

export function formatStopsMarkdown(rows: readonly StopsRow[]): string {
  if (rows.length === 0) return "";
  const line = (cells: readonly string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
  const rule = `|${STOPS_COLUMNS.map((_, index) => (index === 0 ? "---" : "---:")).join("|")}|`;
  const flips = rows.find((row) => row.wait_flips);
  return [
    "### How answers came about",
    "",
    "Why thinking ended, answers that were only difflib guesses, accuracy on natural and forced stops" +
      (flips
        ? `, and what Wait rounds flipped against the same run without them (e.g. ${flips.experiment} against ${flips.wait_flips!.against})`
        : "") +
      ".",
    "",
    line(STOPS_COLUMNS),
    rule,
    ...rows.map((row) => line(stopsCells(row))),
  ].join("\n");
}

/** Plain aligned columns, for the terminal (`m1 score`). */
export function formatStopsPlain(rows: readonly StopsRow[]): string {
  const table = [[...STOPS_COLUMNS], ...rows.map(stopsCells)].map((cells) =>
    cells.filter((_, index) => index !== 0),
  );
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  return table
    .map((row) => row.map((cell, column) => cell.padStart(widths[column]!)).join("  "))
    .join("\n")
    .concat("\n");
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One flat row per experiment (numbers as numbers, shares as fractions). */
export function flatStopsRow(row: StopsRow): Record<string, string | number | null> {
  return {
    experiment: row.experiment,
    samples: row.samples,
    stopped_by_model: row.stopped_by.model,
    stopped_by_budget: row.stopped_by.budget,
    stopped_by_converged: row.stopped_by.converged,
    stopped_by_loop: row.stopped_by.loop,
    difflib_guesses: row.guessed,
    natural_correct: row.natural.correct,
    natural_total: row.natural.total,
    natural_accuracy: row.natural.accuracy,
    forced_correct: row.forced.correct,
    forced_total: row.forced.total,
    forced_accuracy: row.forced.accuracy,
    wait_flips_against: row.wait_flips?.against ?? null,
    wait_right_to_wrong: row.wait_flips?.right_to_wrong ?? null,
    wait_wrong_to_right: row.wait_flips?.wrong_to_right ?? null,
    samples_per_question: row.votes?.samples_per_question ?? 1,
    mean_vote_share: row.votes?.mean_vote_share ?? null,
    probe_tokens_per_question: row.probe_tokens_per_question,
    compute_tokens_per_question: row.compute_tokens_per_question,
  };
}

export function formatStopsCsv(rows: readonly StopsRow[], separator = ","): string {
  const flat = rows.map(flatStopsRow);
  const keys = Object.keys(flatStopsRow(stopsRow("", [])));
  const lines = [keys.join(separator)];
  for (const row of flat) {
    lines.push(keys.map((key) => csvField(String(row[key] ?? ""))).join(separator));
  }
  return `${lines.join("\n")}\n`;
}
