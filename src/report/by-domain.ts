import { existsSync } from "node:fs";
import { InputError } from "../errors.js";
import { parseEvalFile } from "../eval/datasets/load.js";
import type { ReportExperiment, SampleOutcome } from "./experiments.js";
import type { ReportOutputFormat } from "./output-formats.js";
import { readRecords, readVersionDirectory } from "../eval/m1-layout/read.js";
import { sourceAccuracy } from "./accuracy.js";
import { readTextFile } from "../io/text-file.js";

/** Questions the classification left without a domain (or eval files without one). */
export const UNCLASSIFIED_DOMAIN = "(unclassified)";

/** One row of `m1 report --by domain`. */
export interface DomainAccuracyRow {
  experiment: string;
  domain: string;
  correct_count: number;
  total_count: number;
  accuracy: number;
  ci95_low: number;
  ci95_high: number;
}

/**
 * Where a question's MeSH domain comes from: a classified eval file (`m1 curate classify` on the
 * eval file writes `domain_code`/`domain_name` into every item), matched by source and question
 * text; otherwise each experiment's own results file, whose records keep every item field (m1's
 * and ours), matched by position.
 */
export class DomainLookup {
  private readonly fromFile: Map<string, string> | undefined;
  private readonly fromRecords = new Map<string, (string | null)[]>();

  constructor(evalFile?: string) {
    this.fromFile = evalFile === undefined ? undefined : domainsOfEvalFile(evalFile);
  }

  domainOf(experiment: ReportExperiment, outcome: SampleOutcome): string {
    if (this.fromFile) {
      return this.fromFile.get(key(outcome.source, outcome.question)) || UNCLASSIFIED_DOMAIN;
    }
    return this.recordDomains(experiment)[outcome.sampleIndex] || UNCLASSIFIED_DOMAIN;
  }

  private recordDomains(experiment: ReportExperiment): (string | null)[] {
    let domains = this.fromRecords.get(experiment.versionDir);
    if (!domains) {
      const directory = existsSync(experiment.versionDir)
        ? readVersionDirectory(experiment.versionDir)
        : undefined;
      domains = directory?.resultsPath
        ? readRecords(directory.resultsPath).map((record) => domainName(record))
        : [];
      this.fromRecords.set(experiment.versionDir, domains);
    }
    return domains;
  }
}

function key(source: string, question: string): string {
  return `${source}\u0000${question}`;
}

function domainName(record: Record<string, unknown>): string | null {
  return typeof record.domain_name === "string" && record.domain_name !== ""
    ? record.domain_name
    : null;
}

function domainsOfEvalFile(path: string): Map<string, string> {
  if (!existsSync(path)) {
    throw new InputError("no such file", { file: path, field: "--domains" }, "check the path");
  }
  const content = parseEvalFile(
    readTextFile(
      path,
      () =>
        new InputError("cannot read file", { file: path, field: "--domains" }, "check the path"),
    ),
    path,
  );
  const domains = new Map<string, string>();
  let classified = 0;
  for (const [source, items] of Object.entries(content)) {
    for (const item of items) {
      const name = domainName(item);
      if (name === null) continue;
      classified++;
      if (!domains.has(key(source, item.question))) domains.set(key(source, item.question), name);
    }
  }
  if (classified === 0) {
    throw new InputError(
      "no item has a domain_name",
      { file: path, field: "--domains" },
      "classify the eval file first: m1 curate classify --in EVAL.json --out EVAL.domains.json ...",
    );
  }
  return domains;
}

/** Accuracy per MeSH domain for every experiment, domains by how many questions they hold. */
export function domainAccuracy(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[],
  lookup: DomainLookup,
): DomainAccuracyRow[] {
  const rows: DomainAccuracyRow[] = [];
  for (const experiment of experiments) {
    const counts = new Map<string, { correct: number; total: number }>();
    for (const outcome of outcomesOf(experiment)) {
      const domain = lookup.domainOf(experiment, outcome);
      const count = counts.get(domain) ?? { correct: 0, total: 0 };
      count.total++;
      if (outcome.correct) count.correct++;
      counts.set(domain, count);
    }
    const ordered = [...counts].sort(
      ([a, x], [b, y]) =>
        Number(a === UNCLASSIFIED_DOMAIN) - Number(b === UNCLASSIFIED_DOMAIN) ||
        y.total - x.total ||
        a.localeCompare(b),
    );
    for (const [domain, { correct, total }] of ordered) {
      const { source: _source, ...accuracy } = sourceAccuracy({
        source: domain,
        correct_count: correct,
        total_count: total,
      });
      rows.push({ experiment: experiment.label, domain, ...accuracy });
    }
  }
  return rows;
}

const COLUMNS = [
  "experiment",
  "domain",
  "correct_count",
  "total_count",
  "accuracy",
  "ci95_low",
  "ci95_high",
] as const;

export function formatDomainAccuracy(
  rows: readonly DomainAccuracyRow[],
  format: ReportOutputFormat,
): string {
  if (format === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === "csv" || format === "tsv") {
    const separator = format === "csv" ? "," : "\t";
    const cell = (value: string | number) => {
      const text = String(value);
      return format === "csv" && /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    };
    const lines = [COLUMNS.join(separator)];
    for (const row of rows) lines.push(COLUMNS.map((column) => cell(row[column])).join(separator));
    return `${lines.join("\n")}\n`;
  }
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  const lines = [
    "| experiment | domain | correct | total | accuracy | 95% CI |",
    "|---|---|---:|---:|---:|---:|",
  ];
  let previous = "";
  for (const row of rows) {
    lines.push(
      `| ${row.experiment === previous ? "" : row.experiment} | ${row.domain.replaceAll("|", "\\|")} | ${row.correct_count} | ${row.total_count} | ${pct(row.accuracy)} | ${(row.ci95_low * 100).toFixed(1)}–${pct(row.ci95_high)} |`,
    );
    previous = row.experiment;
  }
  return `${lines.join("\n")}\n`;
}
