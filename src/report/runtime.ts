import { dirname, join } from "node:path";
import { InputError, M1Error } from "../errors.js";
import { LOG_FILE_NAME } from "../eval/m1-layout/paths.js";
import { readSamples, readVersionDirectory } from "../eval/m1-layout/read.js";
import { formatRuntime, readRunLog, runLogSeconds } from "../eval/m1-layout/run-log.js";
import { sessionTotals } from "../eval/store/index.js";
import type { ReportExperiment, SweepParameter } from "./experiments.js";
import type { ReportOutputFormat } from "./output-formats.js";
import { csvField, markdownTable, orderedExperiments } from "./output-formats.js";
import type { SampleLoader } from "./samples.js";

/**
 * `m1 report --runtime`, m1's gather_time: wall time per experiment, and the samples and tokens
 * per second it ran at. Experiments in a store take their time from the store's sessions, summed
 * over every process that worked on them (a killed one up to its last committed sample); m1's
 * own trees, and experiments run before the store recorded sessions, take it from log.txt.
 */
export interface RuntimeRow {
  experiment: string;
  /** m1's exp_name: the directory above version_N. */
  exp_name: string;
  /** log.txt as gather_time prints it: the directory given joined with the relative path. */
  path: string;
  /** `HH:MM:SS` (hours past 24 kept); empty when unknown. */
  runtime: string;
  runtime_seconds: number | null;
  /** Processes that ran the experiment (1 for a log.txt without resumes). */
  processes: number | null;
  /** Samples answered (from the response cache included). */
  samples: number | null;
  /** Tokens generated (m1's num_gen_tokens; cache hits excluded). */
  generated_tokens: number | null;
  samples_per_second: number | null;
  tokens_per_second: number | null;
  /** Where the time comes from: the store's sessions or log.txt. */
  from: "store" | "log.txt" | null;
  /** What to know about the numbers (resumes in a log, killed processes, cache hits). */
  note: string;
}

export const RUNTIME_ROW_KEYS = [
  "experiment",
  "exp_name",
  "path",
  "runtime",
  "runtime_seconds",
  "processes",
  "samples",
  "generated_tokens",
  "samples_per_second",
  "tokens_per_second",
  "from",
  "note",
] as const satisfies readonly (keyof RuntimeRow)[];

function rate(count: number | null, seconds: number | null): number | null {
  return count === null || seconds === null || seconds <= 0 ? null : count / seconds;
}

/** Samples and generated tokens from the per-sample records (for times read from log.txt). */
function recordTotals(
  experiment: ReportExperiment,
  loader: SampleLoader,
): { samples: number; tokens: number | null } | null {
  try {
    if (experiment.origin.kind === "store") {
      const outcomes = loader.outcomes(experiment);
      return { samples: outcomes.length, tokens: sumTokens(outcomes.map((o) => o.numGenTokens)) };
    }
    const samples = readSamples(readVersionDirectory(experiment.origin.versionDir));
    return {
      samples: samples.length,
      tokens: sumTokens(samples.map(({ record }) => record.num_gen_tokens)),
    };
  } catch (error) {
    if (error instanceof M1Error) return null; // no per-sample records: time only
    throw error;
  }
}

function sumTokens(values: readonly unknown[]): number | null {
  let sum = 0;
  for (const value of values) {
    if (typeof value !== "number" || !Number.isFinite(value)) return null;
    sum += value;
  }
  return sum;
}

function row(
  experiment: ReportExperiment,
  fields: Pick<RuntimeRow, "runtime_seconds" | "processes" | "samples" | "generated_tokens"> &
    Pick<RuntimeRow, "from" | "note">,
): RuntimeRow {
  const seconds = fields.runtime_seconds;
  return {
    experiment: experiment.label,
    exp_name: experiment.expName,
    path: join(dirname(experiment.metricsPath), LOG_FILE_NAME),
    runtime: seconds === null ? "" : formatRuntime(seconds),
    ...fields,
    samples_per_second: rate(fields.samples, seconds),
    tokens_per_second: rate(fields.generated_tokens, seconds),
  };
}

export function experimentRuntime(experiment: ReportExperiment, loader: SampleLoader): RuntimeRow {
  if (experiment.origin.kind === "store") {
    const store = loader.store(experiment.origin.storePath);
    const totals = sessionTotals(store.read.experimentSessions(experiment.origin.experimentId));
    if (totals.sessions > 0) {
      const notes: string[] = [];
      if (totals.cached > 0) notes.push(`${totals.cached} from the response cache`);
      if (totals.failed > 0) notes.push(`${totals.failed} failed attempts`);
      if (totals.unended > 0) {
        notes.push(
          `${totals.unended} process(es) stopped without finishing: counted to their last committed sample`,
        );
      }
      return row(experiment, {
        runtime_seconds: totals.activeMs / 1000,
        processes: totals.sessions,
        samples: totals.answered,
        generated_tokens: totals.generatedTokens,
        from: "store",
        note: notes.join("; "),
      });
    }
  }
  const log = readRunLog(join(experiment.versionDir, LOG_FILE_NAME));
  const seconds = log ? runLogSeconds(log) : null;
  const totals = recordTotals(experiment, loader);
  const notes: string[] = [];
  if (!log) notes.push("no log.txt");
  else if (seconds === null) notes.push("log.txt has no end (still running, or stopped)");
  if (log && log.resumedAt.length > 0) {
    notes.push(`resumed ${log.resumedAt.length} time(s): log.txt's Script runtime`);
  }
  if (experiment.origin.kind === "store" && log) notes.push("run before the store kept sessions");
  return row(experiment, {
    runtime_seconds: seconds,
    processes: log ? 1 + log.resumedAt.length : null,
    samples: totals?.samples ?? null,
    generated_tokens: totals?.tokens ?? null,
    from: seconds === null ? null : "log.txt",
    note: notes.join("; "),
  });
}

export function runtimeRows(
  experiments: readonly ReportExperiment[],
  loader: SampleLoader,
): RuntimeRow[] {
  return experiments.map((experiment) => experimentRuntime(experiment, loader));
}

// ---- output -------------------------------------------------------------------------------

/** Three significant digits below 100 (0.0412, 3.17, 41.2), whole numbers above. */
function rateText(value: number | null): string {
  if (value === null) return "";
  return value >= 100 || value === 0 ? value.toFixed(0) : value.toPrecision(3);
}

function cell(value: string | number | null): string {
  return value === null ? "" : String(value);
}

/** Every row, then the total: time, samples and tokens summed over the rows that know them. */
function formatRuntimeMarkdown(rows: readonly RuntimeRow[]): string {
  const known = rows.filter((r) => r.runtime_seconds !== null);
  const seconds = known.reduce((sum, r) => sum + r.runtime_seconds!, 0);
  const total = (key: "samples" | "generated_tokens") =>
    known.every((r) => r[key] !== null) ? known.reduce((sum, r) => sum + r[key]!, 0) : null;
  const lines = rows.map((r) => [
    r.experiment,
    cell(r.processes),
    r.runtime || "?",
    cell(r.samples),
    rateText(r.samples_per_second),
    cell(r.generated_tokens),
    rateText(r.tokens_per_second),
    r.from ?? "",
    r.note,
  ]);
  if (rows.length > 1) {
    lines.push([
      `total (${known.length} of ${rows.length} with a time)`,
      "",
      formatRuntime(seconds),
      cell(total("samples")),
      rateText(rate(total("samples"), seconds)),
      cell(total("generated_tokens")),
      rateText(rate(total("generated_tokens"), seconds)),
      "",
      "",
    ]);
  }
  return `${markdownTable(
    [
      "experiment",
      "processes",
      "runtime",
      "samples",
      "samples/s",
      "tokens",
      "tokens/s",
      "from",
      "note",
    ],
    ["l", "r", "r", "r", "r", "r", "r", "l", "l"],
    lines,
  )}\n`;
}

/**
 * m1's gather_time TSV first (`path` to log.txt, `exp_name`, `runtime`, rows sorted by exp_name),
 * then our columns.
 */
function formatRuntimeDelimited(rows: readonly RuntimeRow[], delimiter: "," | "\t"): string {
  const keys = [
    "path",
    "exp_name",
    "runtime",
    ...RUNTIME_ROW_KEYS.filter((key) => !["path", "exp_name", "runtime"].includes(key)),
  ] as (keyof RuntimeRow)[];
  const lines = [keys.join(delimiter)];
  for (const r of rows) {
    const values = keys.map((key) => {
      const value = r[key];
      const text =
        typeof value === "number" && !Number.isInteger(value) ? value.toFixed(3) : cell(value);
      return delimiter === "," ? csvField(text) : text.replaceAll(/[\t\n]/g, " ");
    });
    lines.push(values.join(delimiter));
  }
  return `${lines.join("\n")}\n`;
}

export function formatRuntimeReport(
  format: ReportOutputFormat,
  experiments: readonly ReportExperiment[],
  loader: SampleLoader,
  by?: SweepParameter,
): string {
  const ordered =
    format === "tsv" && !by
      ? [...experiments].sort((a, b) =>
          a.expName < b.expName ? -1 : a.expName > b.expName ? 1 : 0,
        )
      : orderedExperiments(experiments, by);
  if (format === "paper") {
    throw new InputError(
      "--format paper is the paper's accuracy table; --runtime prints md, csv, tsv or json",
      { field: "--format" },
      "drop --format paper, or run the two reports one at a time",
    );
  }
  const rows = runtimeRows(ordered, loader);
  switch (format) {
    case "json":
      return `${JSON.stringify(rows, null, 2)}\n`;
    case "csv":
      return formatRuntimeDelimited(rows, ",");
    case "tsv":
      return formatRuntimeDelimited(rows, "\t");
    case "md":
      return formatRuntimeMarkdown(rows);
  }
}
