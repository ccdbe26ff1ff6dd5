import type { LoadedEvalDataset } from "../eval/datasets/types.js";

/** One source of an eval file as `m1 data check` shows it. */
export interface SourceSummary {
  source: string;
  /** Items in the file. */
  items: number;
  /** Items the loader leaves out (answer differs from its option). */
  dropped: number;
  /** Option count -> items with that many options (the items kept), ascending. */
  optionCounts: [number, number][];
}

export interface EvalFileSummary {
  sources: SourceSummary[];
  total: SourceSummary;
  md5: string;
}

/**
 * Per-source counts and option-count histograms. The option count matters for scoring: m1's
 * matcher only considers the first N letters of A-N, and a benchmark whose options run past D
 * (MMLU-Pro's ten, HLE's varying counts) is where a converter mistake would show.
 */
export function summarizeEvalFile(dataset: LoadedEvalDataset): EvalFileSummary {
  const dropped = new Map<string, number>();
  for (const { source } of dataset.dropped) dropped.set(source, (dropped.get(source) ?? 0) + 1);
  const histograms = new Map<string, Map<number, number>>();
  const overall = new Map<number, number>();
  for (const sample of dataset.samples) {
    const count = Object.keys(sample.options).length;
    let histogram = histograms.get(sample.source);
    if (!histogram) histograms.set(sample.source, (histogram = new Map()));
    histogram.set(count, (histogram.get(count) ?? 0) + 1);
    overall.set(count, (overall.get(count) ?? 0) + 1);
  }
  const sorted = (histogram: Map<number, number> | undefined): [number, number][] =>
    [...(histogram ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]);
  const sources = Object.entries(dataset.sourceSizes).map(([source, items]) => ({
    source,
    items,
    dropped: dropped.get(source) ?? 0,
    optionCounts: sorted(histograms.get(source)),
  }));
  return {
    sources,
    total: {
      source: "total",
      items: dataset.samples.length + dataset.dropped.length,
      dropped: dataset.dropped.length,
      optionCounts: sorted(overall),
    },
    md5: dataset.md5,
  };
}

/** The table `m1 data check` prints: `4: 1273, 5: 1` in the options column. */
export function formatEvalFileSummary(summary: EvalFileSummary): string {
  const rows = [...summary.sources, summary.total];
  const width = Math.max(6, ...rows.map((row) => row.source.length));
  const lines = [`${"source".padEnd(width)}  items  dropped  options (count: items)`];
  for (const row of rows) {
    const histogram = row.optionCounts.map(([count, items]) => `${count}: ${items}`).join(", ");
    lines.push(
      `${row.source.padEnd(width)}  ${String(row.items).padStart(5)}  ${String(row.dropped).padStart(7)}  ${histogram}`.trimEnd(),
    );
  }
  return `${lines.join("\n")}\n`;
}
