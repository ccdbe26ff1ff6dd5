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
  if (!log) {
    notes.push(
      experiment.origin.kind === "store"
        ? "no runtime record: no sessions in the store (run before it kept them) and no log.txt"
        : "no runtime record: no log.txt (m1 writes the time there only)",
    );
  } else if (seconds === null) notes.push("log.txt has no end (still running, or stopped)");
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

/**
 * Every row, then the total: time, samples and tokens summed over the rows that know a time (no
 * total when none does: the report warns instead).
 */
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
  if (rows.length > 1 && known.length > 0) {
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

/**
 * `--format paper`: m1's gather_time as it printed it: one row per log.txt (`path`, `exp_name`,
 * `runtime` as the log's first `Script runtime:` line says it, `NA` without one: a run that
 * never ended), sorted by exp_name. gather_time finds experiments by their log.txt, so one without
 * is left out (a warning names it), and a tree with none is refused, as gather_time refuses it.
 */
function formatGatherTime(experiments: readonly ReportExperiment[], warnings: string[]): string {
  const lines = ["path\texp_name\truntime"];
  const missing: string[] = [];
  for (const experiment of experiments) {
    const path = join(experiment.versionDir, LOG_FILE_NAME);
    const log = readRunLog(path);
    if (!log) {
      missing.push(experiment.label);
      continue;
    }
    const runtime =
      log.scriptRuntimeSeconds === null ? "NA" : formatRuntime(log.scriptRuntimeSeconds);
    lines.push(
      [join(dirname(experiment.metricsPath), LOG_FILE_NAME), experiment.expName, runtime].join(
        "\t",
      ),
    );
  }
  if (lines.length === 1) {
    throw new InputError(
      `no log.txt in any of the ${experiments.length} experiment(s): m1's gather_time has nothing to list`,
      { field: "--format" },
      "drop --format paper: the other formats also read the time our store records per process",
    );
  }
  if (missing.length > 0) {
    warnings.push(
      `left out of gather_time's table (no log.txt, as gather_time leaves them out): ${missing.join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Experiments sorted by m1's exp_name (stable: discovery order among equal names). */
function byExpName(experiments: readonly ReportExperiment[]): ReportExperiment[] {
  return [...experiments].sort((a, b) =>
    a.expName < b.expName ? -1 : a.expName > b.expName ? 1 : 0,
  );
}

export interface RuntimeReport {
  stdout: string;
  /** One line each: experiments without a runtime record, or left out. */
  warnings: string[];
}

export function runtimeReport(
  format: ReportOutputFormat,
  experiments: readonly ReportExperiment[],
  loader: SampleLoader,
  by?: SweepParameter,
): RuntimeReport {
  const warnings: string[] = [];
  if (format === "paper") {
    return { stdout: formatGatherTime(byExpName(experiments), warnings), warnings };
  }
  const ordered =
    format === "tsv" && !by ? byExpName(experiments) : orderedExperiments(experiments, by);
  const rows = runtimeRows(ordered, loader);
  if (rows.length > 0 && rows.every((r) => r.runtime_seconds === null)) {
    warnings.push(
      `no runtime records: none of the ${rows.length} experiment(s) has sessions in a store or a log.txt with an end (the note column says why, per experiment)`,
    );
  }
  return { stdout: formatRuntimeRows(format, rows), warnings };
}

function formatRuntimeRows(format: Exclude<ReportOutputFormat, "paper">, rows: RuntimeRow[]) {
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
