import type { Command } from "commander";
import { scoreResultsFile, type Metrics } from "../../eval/scoring/index.js";
import { printNote } from "../output.js";
import { dirname } from "node:path";
import { checkOutputPaths } from "../../io/output-paths.js";

interface ScoreFlags {
  out?: string;
}

/** `m1 score <results.json> [--out DIR]`: rescore an m1-format results file exactly as m1 does. */
export function registerScore(program: Command): void {
  program
    .command("score")
    .description("Rescore an m1-format results file exactly as m1 does")
    .argument(
      "<results.json>",
      "m1 results: a JSON list of samples with question, options, answer, answer_idx, source, response_text",
    )
    .option(
      "-o, --out <dir>",
      "where to write <stem>.scored.json and metrics.json (default: beside the results file)",
    )
    .addHelpText(
      "after",
      "\nExtraction (last \\boxed{}) is recomputed from response_text, option_str from options when" +
        "\nabsent; metrics.json is byte-identical to m1's. Bad input writes nothing (exit 2).",
    )
    .action(async (resultsPath: string, flags: ScoreFlags) => {
      checkOutputPaths({
        path: flags.out ?? dirname(resultsPath),
        kind: "folder",
        key: "--out",
        example: "--out rescored",
      });
      const result = await scoreResultsFile(resultsPath, { outDir: flags.out });
      process.stdout.write(formatMetricsTable(result.metrics, result.sources, result.average));
      printNote(
        `wrote ${result.scoredPath} (${result.sampleCount} samples) and ${result.metricsPath}`,
      );
    });
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

/** Per-source table and the unweighted average over sources (the paper's headline). */
export function formatMetricsTable(
  metrics: Metrics,
  sources: readonly string[],
  average: number | null,
): string {
  const rows = sources.map((source) => [
    source,
    String(metrics[source]!.correct_count),
    String(metrics[source]!.total_count),
    percent(metrics[source]!.accuracy),
  ]);
  const sourceCount = rows.length;
  rows.unshift(["source", "correct", "total", "accuracy"]);
  if (average !== null) {
    rows.push([
      `average (unweighted, ${sourceCount} source${sourceCount === 1 ? "" : "s"})`,
      "",
      "",
      percent(average),
    ]);
  }
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      [
        row[0]!.padEnd(widths[0]!),
        row[1]!.padStart(widths[1]!),
        row[2]!.padStart(widths[2]!),
        row[3]!.padStart(widths[3]!),
      ]
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}
