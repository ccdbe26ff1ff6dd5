import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { averageAccuracy, sourceAccuracy } from "./accuracy.js";
import type { StudyResult } from "../eval/study/study.js";
import { M1_LAYOUT_FILES } from "../eval/m1-layout/paths.js";
import { EvalStore } from "../eval/store/index.js";

/** Relative to the working directory when inside it, else absolute. */
function displayPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath === "" ? "." : relativePath.startsWith("..") ? resolve(path) : relativePath;
}

const percent = (value: number) => `${(100 * value).toFixed(1)}%`;

const interval = (low: number, high: number) => `${percent(low)} - ${percent(high)}`;

/**
 * The end-of-run table: per experiment and source, correct/total, accuracy and its 95% Wilson
 * interval, then the unweighted average over sources (the paper's headline number) and its
 * interval, computed as `m1 report` computes them (accuracy.ts).
 */
export function formatStudySummary(result: StudyResult): string {
  const rows: string[][] = [
    ["experiment", "status", "source", "correct/total", "accuracy", "95% CI"],
  ];
  // Every experiment may have been skipped in a directory without a store (m1's own outputs).
  const store = existsSync(result.storePath)
    ? EvalStore.open(result.storePath, { readonly: true })
    : undefined;
  try {
    for (const item of result.experiments) {
      const experiment = item.experiment ?? store?.experimentVersions(item.point.expDir).at(-1);
      if (!experiment || !store) {
        rows.push([item.point.expDir, item.outcome, "", "", "", ""]);
        continue;
      }
      const counts = store.sourceCounts(experiment.id);
      // Every sample failed: the experiment still gets its line.
      if (counts.length === 0) rows.push([experiment.name, item.outcome, "", "0/0", "", ""]);
      counts.map(sourceAccuracy).forEach((row, index) => {
        rows.push([
          index === 0 ? experiment.name : "",
          index === 0 ? item.outcome : "",
          row.source,
          `${row.correct_count}/${row.total_count}`,
          percent(row.accuracy),
          interval(row.ci95_low, row.ci95_high),
        ]);
      });
      if (counts.length > 1) {
        const average = averageAccuracy(counts);
        rows.push([
          "",
          "",
          average.source,
          "",
          percent(average.accuracy),
          interval(average.ci95_low, average.ci95_high),
        ]);
      }
    }
  } finally {
    store?.close();
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => "-".repeat(width)).join("  "));
  const where = displayPath(result.outputDir);
  lines.push(
    "",
    `results: ${where}/<experiment>/ (m1 layout: ${M1_LAYOUT_FILES.join(", ")})`,
    `store:   ${displayPath(result.storePath)}  (m1 report ${where} · m1 view ${where})`,
  );
  return `\n${lines.join("\n")}\n`;
}
