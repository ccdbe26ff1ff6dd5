import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { averageAccuracy, sourceAccuracy } from "./accuracy.js";
import type { StudyResult } from "../eval/study/study.js";
import { M1_LAYOUT_FILES } from "../eval/m1-layout/paths.js";
import { EvalStore } from "../eval/store/index.js";
import { groupFailures } from "../eval/study/failures.js";
import { clip } from "../net/failures.js";

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
  let failures: string[] = [];
  try {
    if (store) failures = failureLines(result, store);
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
  if (failures.length > 0) lines.push("", ...failures);
  lines.push(
    "",
    `results: ${where}/<experiment>/ (m1 layout: ${M1_LAYOUT_FILES.join(", ")})`,
    `store:   ${displayPath(result.storePath)}  (m1 report ${where} · m1 view ${where})`,
  );
  return `\n${lines.join("\n")}\n`;
}

/** Longest message shown per kind of failure (the first one is also shown whole). */
const GROUP_MESSAGE_LENGTH = 200;

/**
 * The failed samples of the experiments this run touched, by kind (messages that differ only in
 * numbers are one kind), then the first failure's message whole: the server's own words, which
 * otherwise only the store would hold.
 */
function failureLines(result: StudyResult, store: EvalStore): string[] {
  const failed = result.experiments.flatMap((item) =>
    item.outcome === "skipped" || !item.experiment
      ? []
      : [{ name: item.experiment.name, errors: store.sampleErrors(item.experiment.id) }],
  );
  const withErrors = failed.filter((experiment) => experiment.errors.length > 0);
  if (withErrors.length === 0) return [];
  const errors = withErrors.flatMap((experiment) => experiment.errors);
  const groups = groupFailures(errors);
  const countWidth = String(groups[0]!.count).length;
  const experiments = withErrors.length === 1 ? "1 experiment" : `${withErrors.length} experiments`;
  return [
    `failed samples: ${errors.length} in ${experiments}, ${groups.length === 1 ? "1 kind of failure" : `${groups.length} kinds of failure`}:`,
    ...groups.map(
      (group) =>
        `  ${String(group.count).padStart(countWidth)} x ${clip(group.message, GROUP_MESSAGE_LENGTH - 3)}`,
    ),
    `first failure (${withErrors[0]!.name}), in full:`,
    `  ${withErrors[0]!.errors[0]!}`,
  ];
}
