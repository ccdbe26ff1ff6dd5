import type { Command } from "commander";
import {
  datasetStats,
  STATS_DEFAULTS,
  type DatasetStats,
  type LengthSummary,
} from "../../../curate/stats/dataset-stats.js";
import { writeFileAtomically } from "../../../io/atomic.js";
import { checkOutputPaths } from "../../../io/output-paths.js";
import { readRows } from "../../../io/rows.js";
import { loadLocalTokenCounter } from "../../../tokenizers/index.js";
import { interruptSignal } from "../../interrupt.js";
import { printNote } from "../../output.js";
import { terminalProgress } from "../../progress.js";

interface StatsFlags {
  in: string;
  tokenizer?: string;
  reasoningColumn: string;
  answerColumn: string;
  plot?: string;
  json?: string;
  quiet?: boolean;
}

/** `m1 curate stats`: m1's dataset statistics (sources, domains, token lengths) with plots. */
export function registerCurateStats(curate: Command): void {
  curate
    .command("stats")
    .description("Rows per source and domain, token lengths of reasoning and answer, with plots")
    .requiredOption("--in <file>", "rows (.jsonl/.json/.parquet), e.g. a distilled or m1k set")
    .option("--tokenizer <path>", "tokenizer.json (or its folder, or a .gguf) to count tokens")
    .option("--reasoning-column <name>", "the reasoning text", STATS_DEFAULTS.reasoning_column)
    .option("--answer-column <name>", "the answer text", STATS_DEFAULTS.answer_column)
    .option("--plot <dir>", "write token-lengths.png/.svg/.vl.json here (needs --tokenizer)")
    .option("--json <file>", "write every number (and every length) as JSON")
    .option("-q, --quiet", "no progress bar")
    .addHelpText(
      "after",
      "\nm1's analysis notebooks (stats_data_source_domain, stats_token_length): counts as\n" +
        "Counter(source), Counter(domain_name); lengths as pandas' describe(), 50-bin histograms.",
    )
    .action(async (flags: StatsFlags) => {
      checkOutputPaths(
        { path: flags.json, kind: "file", key: "--json", example: "--json stats.json" },
        { path: flags.plot, kind: "folder", key: "--plot", example: "--plot plots" },
      );
      const rows = await readRows(flags.in);
      const counter = flags.tokenizer ? await loadLocalTokenCounter(flags.tokenizer) : undefined;
      const bar = counter
        ? terminalProgress({ quiet: flags.quiet }).bar({
            label: "count tokens",
            total: rows.length,
            unit: "rows",
          })
        : undefined;
      let stats: DatasetStats;
      try {
        stats = await datasetStats(rows, flags.in, {
          counter,
          reasoningColumn: flags.reasoningColumn,
          answerColumn: flags.answerColumn,
          progress: bar,
          signal: interruptSignal,
        });
      } finally {
        bar?.stop();
        await counter?.close();
      }
      process.stdout.write(formatStats(stats));
      if (flags.json) {
        writeFileAtomically(flags.json, `${JSON.stringify(stats, null, 2)}\n`);
        printNote(`wrote ${flags.json}`);
      }
      if (flags.plot !== undefined) {
        if (!stats.tokens) {
          printNote("no plot: token lengths need --tokenizer");
          return;
        }
        const { tokenLengthPlot } = await import("../../../curate/stats/token-plot.js");
        const { renderPlots, writePlots } = await import("../../../report/plots/build.js");
        const plot = tokenLengthPlot(stats, `Tokens per sample: ${flags.in.split("/").at(-1)}`)!;
        for (const path of writePlots(flags.plot, [plot], await renderPlots([plot])))
          printNote(`wrote ${path}`);
      }
    });
}

function formatStats(stats: DatasetStats): string {
  const lines = [`${stats.file}: ${stats.rows} rows`];
  const counts = (title: string, table: Record<string, number>) => {
    lines.push(title);
    const width = Math.max(...Object.keys(table).map((name) => name.length));
    for (const [name, count] of Object.entries(table).sort((a, b) => b[1] - a[1])) {
      const share = stats.rows > 0 ? ((100 * count) / stats.rows).toFixed(1) : "0.0";
      lines.push(`  ${name.padEnd(width)}  ${String(count).padStart(6)}  ${share.padStart(5)}%`);
    }
  };
  counts("per source:", stats.perSource);
  if (stats.perDomain) counts("per domain:", stats.perDomain);
  if (stats.tokens) {
    lines.push(`token lengths (${stats.tokens.tokenizer}):`);
    lines.push(`  ${"".padEnd(24)}  count      mean       std   min   25%   50%   75%   max`);
    for (const lengths of [stats.tokens.reasoning, stats.tokens.answer])
      lines.push(`  ${lengths.column.padEnd(24)}  ${describeRow(lengths.summary)}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeRow(summary: LengthSummary): string {
  const number = (value: number, digits = 0) => value.toFixed(digits).padStart(5);
  return [
    String(summary.count).padStart(5),
    summary.mean.toFixed(1).padStart(9),
    summary.std.toFixed(1).padStart(9),
    number(summary.min),
    number(summary.q25),
    number(summary.q50),
    number(summary.q75),
    number(summary.max),
  ].join(" ");
}
