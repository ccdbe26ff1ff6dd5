import { CancelledError, InputError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import type { ProgressBar } from "../../progress.js";
import type { TokenCounter } from "../../tokenizers/types.js";
import { rowLocator } from "../../io/row-location.js";

/** pandas' `Series.describe()`: what m1's stats_token_length notebook printed. */
export interface LengthSummary {
  count: number;
  mean: number;
  /** Sample standard deviation (ddof = 1, pandas' default); 0 for fewer than two values. */
  std: number;
  min: number;
  q25: number;
  q50: number;
  q75: number;
  max: number;
}

/** Equal-width bins from min to max, the last one closed, as numpy's and matplotlib's `hist`. */
export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

export interface TokenLengths {
  column: string;
  lengths: number[];
  summary: LengthSummary;
  histogram: HistogramBin[];
}

export interface DatasetStats {
  file: string;
  rows: number;
  /** Rows per `source`, in order of first appearance (m1's stat_dataset). */
  perSource: Record<string, number>;
  /** Rows per `domain_name`, when the rows are classified (m1's stat_domain_dataset). */
  perDomain?: Record<string, number>;
  /** Token lengths of the reasoning and the answer, when a tokenizer was given. */
  tokens?: { tokenizer: string; reasoning: TokenLengths; answer: TokenLengths };
}

/** m1's columns (R1's reasoning_content and final answer) and its 50 bins. */
export const STATS_DEFAULTS = {
  reasoning_column: "reasoning",
  answer_column: "distilled_answer_string",
  bins: 50,
} as const;

export interface DatasetStatsOptions {
  counter?: TokenCounter;
  /** m1: `reasoning` (DeepSeek-R1's reasoning_content). */
  reasoningColumn?: string;
  /** m1: `distilled_answer_string` (R1's final answer). */
  answerColumn?: string;
  /** m1 plotted 50 bins. */
  bins?: number;
  progress?: ProgressBar;
  signal?: AbortSignal;
}

/**
 * What m1's analysis notebooks computed about a curated set (src/analyse/stats_token_length.ipynb,
 * stats_data_source_domain.ipynb): rows per source and per domain, and the token lengths of the
 * reasoning and of the answer, summarised as pandas' describe() and binned for histograms. m1
 * counted with `tokenizer(text)["input_ids"]`; for Qwen2.5 that adds no special tokens, which is
 * how the counter counts.
 */
export async function datasetStats(
  rows: readonly Row[],
  file: string,
  options: DatasetStatsOptions = {},
): Promise<DatasetStats> {
  const perSource = countBy(rows, "source");
  const classified = rows.some((row) => typeof row.domain_name === "string");
  const stats: DatasetStats = {
    file,
    rows: rows.length,
    perSource,
    ...(classified ? { perDomain: countBy(rows, "domain_name") } : {}),
  };
  if (!options.counter) return stats;
  const reasoningColumn = options.reasoningColumn ?? STATS_DEFAULTS.reasoning_column;
  const answerColumn = options.answerColumn ?? STATS_DEFAULTS.answer_column;
  const bins = options.bins ?? STATS_DEFAULTS.bins;
  const reasoning: number[] = [];
  const answer: number[] = [];
  for (let index = 0; index < rows.length; index++) {
    if (options.signal?.aborted) throw new CancelledError();
    reasoning.push(await options.counter.countTokens(text(rows, index, reasoningColumn, file)));
    answer.push(await options.counter.countTokens(text(rows, index, answerColumn, file)));
    options.progress?.update(index + 1);
  }
  stats.tokens = {
    tokenizer: options.counter.description,
    reasoning: lengthsOf(reasoningColumn, reasoning, bins),
    answer: lengthsOf(answerColumn, answer, bins),
  };
  return stats;
}

function text(rows: readonly Row[], index: number, column: string, file: string): string {
  const value = rows[index]![column];
  if (typeof value === "string") return value;
  throw new InputError(
    value === undefined ? "is missing" : "must be text",
    { ...rowLocator(file)(index), field: column },
    column === STATS_DEFAULTS.reasoning_column || column === STATS_DEFAULTS.answer_column
      ? "token lengths need distilled rows (m1 curate ask --preset distill), or name other columns"
      : "name another column",
  );
}

function countBy(rows: readonly Row[], column: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const value = row[column];
    const name = typeof value === "string" ? value : value === undefined ? "(none)" : String(value);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function lengthsOf(column: string, lengths: number[], bins: number): TokenLengths {
  return {
    column,
    lengths,
    summary: describeLengths(lengths),
    histogram: histogram(lengths, bins),
  };
}

export function describeLengths(values: readonly number[]): LengthSummary {
  const sorted = [...values].sort((a, b) => a - b);
  const count = sorted.length;
  const mean = count === 0 ? NaN : sorted.reduce((sum, value) => sum + value, 0) / count;
  const variance =
    count < 2 ? 0 : sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (count - 1);
  return {
    count,
    mean,
    std: Math.sqrt(variance),
    min: sorted[0] ?? NaN,
    q25: quantile(sorted, 0.25),
    q50: quantile(sorted, 0.5),
    q75: quantile(sorted, 0.75),
    max: sorted[count - 1] ?? NaN,
  };
}

/** numpy's default (linear) quantile of ascending values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** `numpy.histogram(values, bins)`: edges `linspace(min, max, bins + 1)`, the last bin closed. */
export function histogram(values: readonly number[], bins: number): HistogramBin[] {
  if (values.length === 0) return [];
  let min = values.reduce((low, value) => Math.min(low, value), Infinity);
  let max = values.reduce((high, value) => Math.max(high, value), -Infinity);
  if (min === max) {
    // numpy widens a degenerate range by 0.5 on each side.
    min -= 0.5;
    max += 0.5;
  }
  const width = (max - min) / bins;
  const result = Array.from({ length: bins }, (_, index) => ({
    start: min + index * width,
    end: index === bins - 1 ? max : min + (index + 1) * width,
    count: 0,
  }));
  for (const value of values) {
    const index = Math.min(bins - 1, Math.floor((value - min) / width));
    result[index]!.count++;
  }
  return result;
}
