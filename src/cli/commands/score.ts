import type { Command } from "commander";
import { readAdaptiveFields, stopReasonOf } from "../../eval/m1-layout/adaptive-fields.js";
import { scoreResultsFile, type Metrics } from "../../eval/scoring/index.js";
import { formatStopsPlain, stopsRow } from "../../report/stops.js";
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
      // How the answers came about, as `m1 report` shows it (Wait flips need a second run).
      const outcomes = result.rows.map((row, index) => {
        const fields = readAdaptiveFields({ ...row, decided_by: result.scored.decisions[index] });
        return {
          correct: result.scored.records[index]!.correct,
          stoppedBy: stopReasonOf(row),
          decidedBy: result.scored.decisions[index]!,
          voteShare: fields.vote_share,
          probeTokens: fields.probe_tokens_total,
          computeTokens: fields.compute_tokens,
        };
      });
      const samplesPerQuestion = Math.max(
        1,
        ...result.rows.map((row) => (Array.isArray(row.votes) ? row.votes.length : 1)),
      );
      process.stdout.write(
        `\nhow answers came about (${result.sampleCount} samples):\n` +
          formatStopsPlain([stopsRow(resultsPath, outcomes, { samplesPerQuestion })]),
      );
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
