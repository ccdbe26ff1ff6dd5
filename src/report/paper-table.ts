import type { ReportExperiment } from "./experiments.js";
import { shortModelName } from "./experiments.js";
import { AVERAGE_SOURCE, averageAccuracy } from "./accuracy.js";
import { sourceNames } from "./table.js";

/**
 * The paper's table: one row per experiment (model), one column per source, accuracy in percent
 * with two decimals, and the unweighted mean over the sources shown, which is how m1 reports its
 * headline numbers (m1-7B-23K: 60.32). `--sources` picks and orders the columns.
 */
export function formatPaperTable(experiments: readonly ReportExperiment[]): string {
  const sources = sourceNames(experiments);
  const header = ["model", ...sources, AVERAGE_SOURCE, "experiment"];
  const rule = ["---", ...sources.map(() => "---:"), "---:", "---"];
  const lines = [`| ${header.join(" | ")} |`, `|${rule.join("|")}|`];
  for (const experiment of experiments) {
    const bySource = new Map(experiment.sources.map((counts) => [counts.source, counts]));
    const cells = sources.map((source) => {
      const counts = bySource.get(source);
      return counts && counts.total_count > 0
        ? ((100 * counts.correct_count) / counts.total_count).toFixed(2)
        : "";
    });
    const average = (100 * averageAccuracy(experiment.sources).accuracy).toFixed(2);
    lines.push(
      `| ${[shortModelName(experiment.model), ...cells, average, experiment.label].join(" | ")} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
