import { InputError } from "../errors.js";
import type { ReportExperiment, SampleOutcome } from "./experiments.js";
import type { DifferenceInterval } from "./stats/bootstrap.js";
import { pairedBootstrap } from "./stats/bootstrap.js";
import { mcnemarExact } from "./stats/binomial.js";

/**
 * Paired comparison of two experiments on the questions both answered: McNemar's exact test, a
 * paired bootstrap interval for the accuracy difference (B - A), and the questions that flipped.
 */
export interface FlipExample {
  /** The store's question_key, or `sample_<index>` (position in A's evaluation file). */
  question_id: string;
  source: string;
  /** The first characters of the question. */
  question_start: string;
}

export interface ComparisonRow {
  /** A source, `all` (every paired question pooled) or `average` (unweighted mean over sources). */
  scope: string;
  paired_count: number;
  accuracy_a: number;
  accuracy_b: number;
  /** accuracy_b - accuracy_a. */
  difference: number;
  ci95_low: number;
  ci95_high: number;
  /** Right in A, wrong in B. */
  correct_to_wrong: number;
  /** Wrong in A, right in B. */
  wrong_to_correct: number;
  /** McNemar's exact two-sided p-value; null for `average` (not a single paired table). */
  mcnemar_p: number | null;
  examples: { correct_to_wrong: FlipExample[]; wrong_to_correct: FlipExample[] };
}

export interface Comparison {
  a: string;
  b: string;
  /** Questions only one of the two answered (left out of every statistic). */
  unmatched_a: number;
  unmatched_b: number;
  bootstrap: { resamples: number; seed: number };
  rows: ComparisonRow[];
}

export interface CompareOptions {
  resamples?: number;
  seed?: number;
  /** Example questions per flip direction and scope (default 3). */
  examples?: number;
}

export const ALL_SCOPE = "all";
export const AVERAGE_SCOPE = "average";
const QUESTION_START_LENGTH = 80;

export interface PairedQuestion {
  source: string;
  a: SampleOutcome;
  b: SampleOutcome;
}

/**
 * Keys that identify a question in both experiments: the store's question_key when both come
 * from the same store, otherwise source + question text. Repeated questions get an occurrence
 * number so that the n-th copy in A meets the n-th copy in B.
 */
function identities(outcomes: readonly SampleOutcome[], useStoreKeys: boolean): string[] {
  const seen = new Map<string, number>();
  return outcomes.map((outcome) => {
    const base =
      useStoreKeys && outcome.questionKey
        ? outcome.questionKey
        : `${outcome.source}\u0000${outcome.question}`;
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    return `${base}\u0000${occurrence}`;
  });
}

/** The questions both experiments answered, paired (and how many each answered alone). */
export function pairQuestions(
  a: ReportExperiment,
  b: ReportExperiment,
  outcomesA: readonly SampleOutcome[],
  outcomesB: readonly SampleOutcome[],
): { pairs: PairedQuestion[]; unmatchedA: number; unmatchedB: number } {
  const sameStore =
    a.origin.kind === "store" &&
    b.origin.kind === "store" &&
    a.origin.storePath === b.origin.storePath;
  const keysB = identities(outcomesB, sameStore);
  const byKey = new Map(keysB.map((key, index) => [key, outcomesB[index]!]));
  const pairs: PairedQuestion[] = [];
  identities(outcomesA, sameStore).forEach((key, index) => {
    const matched = byKey.get(key);
    if (matched) pairs.push({ source: outcomesA[index]!.source, a: outcomesA[index]!, b: matched });
  });
  return {
    pairs,
    unmatchedA: outcomesA.length - pairs.length,
    unmatchedB: outcomesB.length - pairs.length,
  };
}

function example(pair: PairedQuestion): FlipExample {
  const question = pair.a.question.replace(/\s+/g, " ").trim();
  return {
    question_id: pair.a.questionKey ?? `sample_${pair.a.sampleIndex}`,
    source: pair.source,
    question_start:
      question.length > QUESTION_START_LENGTH
        ? `${question.slice(0, QUESTION_START_LENGTH - 1)}…`
        : question,
  };
}

function scopeRow(
  scope: string,
  pairs: readonly PairedQuestion[],
  interval: DifferenceInterval,
  exampleCount: number,
): ComparisonRow {
  const correctToWrong = pairs.filter((pair) => pair.a.correct && !pair.b.correct);
  const wrongToCorrect = pairs.filter((pair) => !pair.a.correct && pair.b.correct);
  const total = pairs.length;
  return {
    scope,
    paired_count: total,
    accuracy_a: pairs.filter((pair) => pair.a.correct).length / total,
    accuracy_b: pairs.filter((pair) => pair.b.correct).length / total,
    difference: interval.difference,
    ci95_low: interval.low,
    ci95_high: interval.high,
    correct_to_wrong: correctToWrong.length,
    wrong_to_correct: wrongToCorrect.length,
    mcnemar_p: mcnemarExact(correctToWrong.length, wrongToCorrect.length).pValue,
    examples: {
      correct_to_wrong: correctToWrong.slice(0, exampleCount).map(example),
      wrong_to_correct: wrongToCorrect.slice(0, exampleCount).map(example),
    },
  };
}

export function compareExperiments(
  a: ReportExperiment,
  b: ReportExperiment,
  outcomesA: readonly SampleOutcome[],
  outcomesB: readonly SampleOutcome[],
  options: CompareOptions = {},
): Comparison {
  const { pairs, unmatchedA, unmatchedB } = pairQuestions(a, b, outcomesA, outcomesB);
  if (pairs.length === 0) {
    throw new InputError(
      `${a.label} and ${b.label} have no questions in common`,
      { field: "--compare" },
      "compare experiments run on the same evaluation file",
    );
  }
  const bySource = new Map<string, PairedQuestion[]>();
  for (const pair of pairs) {
    const list = bySource.get(pair.source) ?? [];
    list.push(pair);
    bySource.set(pair.source, list);
  }
  const sources = [...bySource.keys()];
  const bootstrap = pairedBootstrap(
    sources.map((source) => {
      const list = bySource.get(source)!;
      return {
        name: source,
        total: list.length,
        aOnly: list.filter((pair) => pair.a.correct && !pair.b.correct).length,
        bOnly: list.filter((pair) => !pair.a.correct && pair.b.correct).length,
      };
    }),
    { resamples: options.resamples, seed: options.seed },
  );
  const exampleCount = options.examples ?? 3;
  const rows = sources.map((source, index) =>
    scopeRow(source, bySource.get(source)!, bootstrap.strata[index]!, exampleCount),
  );
  const pooled = scopeRow(ALL_SCOPE, pairs, bootstrap.pooled, exampleCount);
  const sourceRows = [...rows];
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  rows.push(pooled, {
    scope: AVERAGE_SCOPE,
    paired_count: pairs.length,
    accuracy_a: mean(sourceRows.map((row) => row.accuracy_a)),
    accuracy_b: mean(sourceRows.map((row) => row.accuracy_b)),
    difference: bootstrap.average.difference,
    ci95_low: bootstrap.average.low,
    ci95_high: bootstrap.average.high,
    correct_to_wrong: pooled.correct_to_wrong,
    wrong_to_correct: pooled.wrong_to_correct,
    mcnemar_p: null,
    examples: { correct_to_wrong: [], wrong_to_correct: [] },
  });
  return {
    a: a.label,
    b: b.label,
    unmatched_a: unmatchedA,
    unmatched_b: unmatchedB,
    bootstrap: { resamples: bootstrap.resamples, seed: bootstrap.seed },
    rows,
  };
}
