/**
 * Token-length statistics of training texts: how long the examples are against the block size
 * (TRL's `max_length`). TRL truncates longer examples from the end, which cuts off the answer, so
 * the share above the block size is the number to watch.
 */
export interface TokenLengthStats {
  /** What counted the tokens, e.g. `tokenizer.json: /models/qwen/tokenizer.json`. */
  tokenizer: string;
  count: number;
  mean: number;
  min: number;
  max: number;
  /** Linear interpolation between closest ranks, as numpy's default `percentile`. */
  percentiles: { p50: number; p90: number; p95: number; p99: number };
  blockSize: number;
  /** Examples with more tokens than the block size. */
  aboveBlockSize: number;
  /** aboveBlockSize / count (0 when there are no examples). */
  shareAboveBlockSize: number;
  /** Bins (from, to]; the first starts at 0 inclusive; `to: null` is the overflow bin. */
  histogram: HistogramBin[];
}

export interface HistogramBin {
  from: number;
  to: number | null;
  count: number;
}

/** Statistics of `lengths` (token counts); `tokenizer` only describes where they came from. */
export function tokenLengthStats(
  lengths: readonly number[],
  blockSize: number,
  tokenizer: string,
): TokenLengthStats {
  const sorted = [...lengths].sort((a, b) => a - b);
  const count = sorted.length;
  const aboveBlockSize = sorted.filter((length) => length > blockSize).length;
  return {
    tokenizer,
    count,
    mean: count === 0 ? 0 : round(sorted.reduce((sum, length) => sum + length, 0) / count),
    min: sorted[0] ?? 0,
    max: sorted[count - 1] ?? 0,
    percentiles: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
    },
    blockSize,
    aboveBlockSize,
    shareAboveBlockSize: count === 0 ? 0 : aboveBlockSize / count,
    histogram: histogram(sorted, blockSize),
  };
}

/** numpy.percentile(values, q) with the default linear method; `sorted` must be ascending. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = ((sorted.length - 1) * q) / 100;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const value = sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
  return round(value);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Power-of-two bins up to the block size (0-512, 512-1K, ..., 16K-32K), then one bin for what
 * does not fit. Thinking budgets are powers of two too, so the bins line up with the sweeps.
 */
function histogram(sorted: readonly number[], blockSize: number): HistogramBin[] {
  const edges = [0];
  for (let edge = 512; edge < blockSize; edge *= 2) edges.push(edge);
  edges.push(blockSize);
  const bins: HistogramBin[] = edges.slice(1).map((to, index) => ({
    from: edges[index]!,
    to,
    count: 0,
  }));
  const overflow: HistogramBin = { from: blockSize, to: null, count: 0 };
  for (const length of sorted) {
    const bin = bins.find((candidate) => length <= candidate.to!) ?? overflow;
    bin.count++;
  }
  return [...bins, overflow];
}

/** The statistics as the lines printed on the terminal, histogram bars included. */
export function renderTokenLengthStats(stats: TokenLengthStats): string[] {
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const { p50, p90, p95, p99 } = stats.percentiles;
  const lines = [
    `token lengths (${stats.tokenizer})`,
    `  examples ${stats.count}, mean ${stats.mean}, min ${stats.min}, max ${stats.max}`,
    `  p50 ${p50}, p90 ${p90}, p95 ${p95}, p99 ${p99}`,
    `  above the block size ${stats.blockSize}: ${stats.aboveBlockSize} (${percent(stats.shareAboveBlockSize)})`,
  ];
  const labels = stats.histogram.map((bin) =>
    bin.to === null ? `> ${tokens(bin.from)}` : `${tokens(bin.from)}-${tokens(bin.to)}`,
  );
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const largest = Math.max(1, ...stats.histogram.map((bin) => bin.count));
  const barWidth = 40;
  stats.histogram.forEach((bin, index) => {
    const bar = "#".repeat(Math.round((bin.count / largest) * barWidth));
    const share = stats.count === 0 ? 0 : bin.count / stats.count;
    lines.push(
      `  ${labels[index]!.padStart(labelWidth)} | ${bar.padEnd(barWidth)} ${bin.count} (${percent(share)})`,
    );
  });
  return lines;
}

/** 32768 -> "32K", 1536 -> "1536". */
function tokens(count: number): string {
  return count >= 1024 && count % 1024 === 0 ? `${count / 1024}K` : String(count);
}
