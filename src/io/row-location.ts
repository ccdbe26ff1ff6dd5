import { readFileSync } from "node:fs";
import type { InputLocation } from "../errors.js";
import { rowFileFormat } from "./rows.js";

/** Where row `index` (0-based, as `readRows` returned it) sits in its file, for error messages. */
export type RowLocator = (index: number, field?: string) => InputLocation;

/**
 * JSONL rows are located by their 1-based line (`readRows` skips blank lines, so the index alone
 * is not the line); JSON and Parquet rows by their item index. The file is read again only when
 * an error needs a location, and then once per locator, so a good run pays nothing.
 */
export function rowLocator(file: string): RowLocator {
  let lineNumbers: number[] | undefined;
  return (index, field) => {
    if (!isJsonl(file)) return { file, item: index, field };
    lineNumbers ??= nonBlankLineNumbers(file);
    const line = lineNumbers[index];
    return line === undefined ? { file, item: index, field } : { file, line, field };
  };
}

function isJsonl(file: string): boolean {
  try {
    return rowFileFormat(file) === "jsonl";
  } catch {
    return false;
  }
}

function nonBlankLineNumbers(file: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const numbers: number[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim().length > 0) numbers.push(index + 1);
  });
  return numbers;
}

/** A short name for a row in reports: its `id` column when it has one, else where it sits. */
export function rowLabel(row: Record<string, unknown>, location: InputLocation): string {
  const id = row.id;
  if (typeof id === "string" || typeof id === "number") return String(id);
  if (location.line !== undefined) return `line ${location.line}`;
  return `item ${location.item ?? "?"}`;
}
