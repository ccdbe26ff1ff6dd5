import { pythonFloatRepr } from "../python/float.js";
import type { ReportExperiment, SweepParameter } from "./experiments.js";
import { AVERAGE_SOURCE, experimentRows, type AccuracyRow } from "./accuracy.js";
import { formatPaperTable } from "./paper-table.js";
import type { ExperimentGroup } from "./table.js";
import { groupExperiments, sourceNames } from "./table.js";

/** What `m1 report --format` prints to stdout (not a thinking format nor a training-text format). */
export type ReportOutputFormat = "md" | "csv" | "tsv" | "json" | "paper";
export const REPORT_OUTPUT_FORMATS: readonly ReportOutputFormat[] = [
  "md",
  "csv",
  "tsv",
  "json",
  "paper",
];

export const ACCURACY_ROW_KEYS = [
  "experiment",
  "source",
  "correct_count",
  "total_count",
  "accuracy",
  "ci95_low",
  "ci95_high",
] as const satisfies readonly (keyof AccuracyRow)[];

/** Experiments in the order a format lists them: natural label order, or grouped with `--by`. */
export function orderedExperiments(
  experiments: readonly ReportExperiment[],
  by: SweepParameter | undefined,
): ReportExperiment[] {
  if (!by) return [...experiments];
  return groupExperiments(experiments, by).flatMap((group) =>
    group.members.map((m) => m.experiment),
  );
}

export function formatJson(experiments: readonly ReportExperiment[], by?: SweepParameter): string {
  const rows = orderedExperiments(experiments, by).flatMap(experimentRows);
  return `${JSON.stringify(rows, null, 2)}\n`;
}

export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatCsv(experiments: readonly ReportExperiment[], by?: SweepParameter): string {
  const rows = orderedExperiments(experiments, by).flatMap(experimentRows);
  const lines = [ACCURACY_ROW_KEYS.join(",")];
  for (const row of rows) lines.push(ACCURACY_ROW_KEYS.map((key) => csvField(row[key])).join(","));
  return `${lines.join("\n")}\n`;
}

/**
 * m1's gather_results TSV: `path` (to metrics.json), `exp_name` (the directory above version_N),
 * `clean_exp_name` (equal to exp_name, as its command line writes it), then one accuracy column
 * per source, rows sorted by clean_exp_name. No average column: m1's file has none.
 */
export function formatTsv(experiments: readonly ReportExperiment[], by?: SweepParameter): string {
  const sources = sourceNames(experiments);
  const ordered = by
    ? orderedExperiments(experiments, by)
    : [...experiments].sort((a, b) => (a.expName < b.expName ? -1 : a.expName > b.expName ? 1 : 0));
  const lines = [["path", "exp_name", "clean_exp_name", ...sources].join("\t")];
  for (const experiment of ordered) {
    const accuracy = new Map(
      experiment.sources.map((s) => [
        s.source,
        s.total_count > 0 ? s.correct_count / s.total_count : NaN,
      ]),
    );
    const cells = sources.map((source) => {
      const value = accuracy.get(source);
      return value === undefined || Number.isNaN(value) ? "" : pythonFloatRepr(value);
    });
    lines.push(
      [experiment.metricsPath, experiment.expName, experiment.expName, ...cells].join("\t"),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `61.2%`. */
export function percent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)}%`;
}

/** `58.1–64.2%`. */
export function percentRange(low: number, high: number): string {
  return `${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)}%`;
}

function markdownCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

export function markdownTable(header: string[], align: Array<"l" | "r">, rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(" | ")} |`;
  const rule = `|${align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function displayLabel(experiment: ReportExperiment): string {
  return experiment.status && experiment.status !== "finished"
    ? `${experiment.label} (${experiment.status})`
    : experiment.label;
}

/** Long table: experiment, source, correct, total, accuracy, Wilson interval. */
export function formatMarkdownTable(experiments: readonly ReportExperiment[]): string {
  const rows: string[][] = [];
  for (const experiment of experiments) {
    experimentRows(experiment).forEach((row, index) => {
      rows.push([
        index === 0 ? displayLabel(experiment) : "",
        row.source,
        String(row.correct_count),
        String(row.total_count),
        percent(row.accuracy),
        percentRange(row.ci95_low, row.ci95_high),
      ]);
    });
  }
  return markdownTable(
    ["experiment", "source", "correct", "total", "accuracy", "95% CI"],
    ["l", "l", "r", "r", "r", "r"],
    rows,
  );
}

/** `61.2 [58.1, 64.2]` (percentage points). */
export function accuracyCell(row: AccuracyRow | undefined): string {
  if (!row) return "";
  const pct = (value: number) => (value * 100).toFixed(1);
  return `${pct(row.accuracy)} [${pct(row.ci95_low)}, ${pct(row.ci95_high)}]`;
}

/** One pivot table per group: the swept value down, sources and the average across. */
export function formatMarkdownGroups(groups: readonly ExperimentGroup[]): string {
  const sections: string[] = [];
  for (const group of groups) {
    const experiments = group.members.map((member) => member.experiment);
    const sources = [...sourceNames(experiments), AVERAGE_SOURCE];
    const rows = group.members.map(({ value, experiment }) => {
      const bySource = new Map(experimentRows(experiment).map((row) => [row.source, row]));
      return [
        String(value ?? "-"),
        ...sources.map((source) => accuracyCell(bySource.get(source))),
        displayLabel(experiment),
      ];
    });
    sections.push(
      `### ${group.title}\n\nAccuracy % [95% CI] by ${group.parameter}\n\n` +
        markdownTable(
          [group.parameter, ...sources, "experiment"],
          ["r", ...sources.map((): "r" => "r"), "l"],
          rows,
        ),
    );
  }
  return sections.join("\n\n");
}

export function formatMarkdown(
  experiments: readonly ReportExperiment[],
  by?: SweepParameter,
): string {
  const body = by
    ? formatMarkdownGroups(groupExperiments(experiments, by))
    : formatMarkdownTable(experiments);
  return `${body}\n`;
}

export function formatReport(
  format: ReportOutputFormat,
  experiments: readonly ReportExperiment[],
  by?: SweepParameter,
): string {
  switch (format) {
    case "json":
      return formatJson(experiments, by);
    case "csv":
      return formatCsv(experiments, by);
    case "tsv":
      return formatTsv(experiments, by);
    case "md":
      return formatMarkdown(experiments, by);
    case "paper":
      return formatPaperTable(orderedExperiments(experiments, by));
  }
}
