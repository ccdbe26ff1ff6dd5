import { InputError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { rowLocator } from "../../io/row-location.js";
import { isCorrectResponse } from "./correctness.js";

export type KeepRule = "correct" | "incorrect";

export interface FilterSettings {
  /** Columns holding model responses (one per model asked). */
  responseColumns: readonly string[];
  /**
   * `incorrect`: m1's difficulty filter, keep a row only when no model got it right.
   * `correct`: m1's teacher check, keep a row when a model (R1) got it right.
   */
  keep: KeepRule;
  /** Add `<column>_extracted` and `<column>_correct` to the kept rows (m1's notebooks do). */
  annotate?: boolean;
}

export interface SourceFilterCounts {
  source: string;
  rows: number;
  kept: number;
  /** Rows each response column got right. */
  correctBy: Record<string, number>;
  /** Rows without a response in each column (failed or missing requests). */
  missingBy: Record<string, number>;
}

export interface FilterResult {
  rows: Row[];
  counts: SourceFilterCounts[];
}

/** Apply m1's correctness rule to every response column and keep rows by `keep`. */
export function filterRows(
  rows: readonly Row[],
  file: string,
  settings: FilterSettings,
): FilterResult {
  if (settings.responseColumns.length === 0) {
    throw new InputError(
      "no response column given",
      { field: "--response-column" },
      "name the column(s) holding model answers",
    );
  }
  const bySource = new Map<string, SourceFilterCounts>();
  const kept: Row[] = [];
  rows.forEach((row, index) => {
    const field = (name: string): string => {
      const value = row[name];
      if (typeof value !== "string") {
        throw new InputError(
          value === undefined ? "missing" : "expected text",
          rowLocator(file)(index, name),
          "filter needs collect's answer_string and answer_letter columns",
        );
      }
      return value;
    };
    const answerString = field("answer_string");
    const answerLetter = field("answer_letter");
    const source = typeof row.source === "string" ? row.source : "(no source)";
    let counts = bySource.get(source);
    if (!counts) {
      counts = { source, rows: 0, kept: 0, correctBy: {}, missingBy: {} };
      for (const column of settings.responseColumns) {
        counts.correctBy[column] = 0;
        counts.missingBy[column] = 0;
      }
      bySource.set(source, counts);
    }
    counts.rows++;
    const annotations: Row = {};
    let anyCorrect = false;
    for (const column of settings.responseColumns) {
      const response = row[column];
      if (response !== undefined && response !== null && typeof response !== "string") {
        throw new InputError("expected the model's answer text", rowLocator(file)(index, column));
      }
      if (response === undefined && index === 0 && !(column in row)) {
        throw new InputError(
          "no such column in the first row",
          rowLocator(file)(index, column),
          "pass the column `curate ask` wrote (its content_column)",
        );
      }
      if (response === undefined || response === null) counts.missingBy[column]!++;
      const verdict = isCorrectResponse(response, answerString, answerLetter);
      if (verdict.correct) {
        anyCorrect = true;
        counts.correctBy[column]!++;
      }
      annotations[`${column}_extracted`] = verdict.extracted;
      annotations[`${column}_correct`] = verdict.correct;
    }
    const keep = settings.keep === "correct" ? anyCorrect : !anyCorrect;
    if (!keep) return;
    counts.kept++;
    kept.push(settings.annotate ? { ...row, ...annotations } : row);
  });
  return { rows: kept, counts: [...bySource.values()] };
}

/** The per-source counts as aligned lines for the terminal. */
export function describeFilterCounts(
  counts: readonly SourceFilterCounts[],
  columns: readonly string[],
): string[] {
  const header = ["source", "rows", "kept", ...columns.map((column) => `${column} correct`)];
  const body = counts.map((count) => [
    count.source,
    String(count.rows),
    String(count.kept),
    ...columns.map((column) => {
      const missing = count.missingBy[column] ?? 0;
      return `${count.correctBy[column] ?? 0}${missing > 0 ? ` (${missing} missing)` : ""}`;
    }),
  ]);
  const total = [
    "total",
    ...[1, 2].map((position) =>
      String(body.reduce((sum, line) => sum + Number(line[position]), 0)),
    ),
  ];
  total.push(
    ...columns.map((column) =>
      String(counts.reduce((sum, count) => sum + (count.correctBy[column] ?? 0), 0)),
    ),
  );
  const table = [header, ...body, total];
  const widths = header.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  return table.map((line) =>
    line
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
}
