import { InputError } from "../../errors.js";
import { describe } from "../../eval/datasets/schema.js";
import type { TableRow } from "./types.js";

/** An error about one field of one input row: file, line (or row) and field, plus the fix. */
export function rowError(row: TableRow, field: string, message: string, fix?: string): InputError {
  return new InputError(message, { ...row.where, field }, fix);
}

/**
 * A text field. Numbers are accepted as text because JSON exports of these benchmarks sometimes
 * store an option such as `0.01` as a number.
 */
export function requireText(row: TableRow, field: string, fix?: string): string {
  const value = row.values[field];
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw rowError(
    row,
    field,
    value === undefined || value === null ? "is missing" : `must be text, got ${describe(value)}`,
    fix ?? `give '${field}' as a string (or map another column to it with --map ${field}=COLUMN)`,
  );
}

/** A text field that may be absent (null, undefined or an empty string count as absent). */
export function optionalText(row: TableRow, field: string): string | undefined {
  const value = row.values[field];
  if (value === undefined || value === null || value === "") return undefined;
  return requireText(row, field);
}

/** A whole number, given as a number or as digits in a string (CSV cells are text). */
export function requireInteger(row: TableRow, field: string, fix?: string): number {
  const value = row.values[field];
  const number =
    typeof value === "number" ? value : typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(number)) return number;
  throw rowError(
    row,
    field,
    value === undefined || value === null ? "is missing" : `must be a whole number, got ${describe(value)}`,
    fix ?? `give '${field}' as a whole number`,
  );
}

/**
 * Apply `--map field=column` renames: the converter reads `field`, the file calls it `column`.
 * A mapped column missing from a row is an error naming that row.
 */
export function applyFieldMap(rows: TableRow[], fieldMap: Readonly<Record<string, string>>): void {
  const entries = Object.entries(fieldMap);
  if (entries.length === 0) return;
  for (const row of rows) {
    for (const [field, column] of entries) {
      if (!Object.hasOwn(row.values, column)) {
        throw rowError(row, column, `has no column '${column}'`, `check --map ${field}=${column}`);
      }
    }
    const renamed = { ...row.values };
    for (const [, column] of entries) delete renamed[column];
    for (const [field, column] of entries) renamed[field] = row.values[column];
    row.values = renamed;
  }
}

/** Parse `field=column` pairs given to `--map`. */
export function parseFieldMap(pairs: readonly string[]): Record<string, string> {
  const fieldMap: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([^=]+)=(.+)$/.exec(pair);
    if (!match) {
      throw new InputError(
        `'${pair}' is not field=column`,
        { field: "--map" },
        "write e.g. --map question=Question",
      );
    }
    fieldMap[match[1]!.trim()] = match[2]!.trim();
  }
  return fieldMap;
}
