import { accessSync, constants } from "node:fs";
import { extname } from "node:path";
import { parse as parseCsv, type Options as CsvOptions } from "csv-parse/sync";
import { InputError } from "../../errors.js";
import { parseJsonText } from "../../eval/datasets/json-text.js";
import { readRows, type Row } from "../../io/rows.js";
import { applyFieldMap } from "./fields.js";
import type { TableRow } from "./types.js";
import { readTextFile } from "../../io/text-file.js";

export type { TableRow };

export interface ReadTableOptions {
  /** CSV files have a header row (default true; MMLU's original CSVs have none). */
  csvHeader?: boolean;
}

const TABLE_TYPES = ".jsonl, .ndjson, .json, .parquet, .csv or .tsv";

/**
 * Rows of a JSONL, JSON (a list of objects, or JSON Lines under a .json name as MedMCQA's release
 * ships), Parquet, CSV or TSV file. Rows of a headerless CSV come as `{"0": ..., "1": ...}`.
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<TableRow[]> {
  const extension = extname(path).toLowerCase();
  if (extension === ".parquet") {
    // A clear "cannot read" before the Parquet reader's own message.
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw cannotRead(path);
    }
    return (await readRows(path)).map((values, item) => ({ values, where: { file: path, item } }));
  }
  if (extension === ".csv" || extension === ".tsv") {
    return readDelimited(path, extension === ".tsv" ? "\t" : ",", options.csvHeader ?? true);
  }
  if (extension === ".jsonl" || extension === ".ndjson") return readJsonLines(path);
  if (extension === ".json") {
    const text = readText(path);
    if (text.trimStart().startsWith("[")) {
      const value = readJsonDocument(path, text);
      return (value as unknown[]).map((values, item) => {
        if (!isRow(values)) {
          throw new InputError("expected a JSON object", { file: path, item }, "each row is an object");
        }
        return { values, where: { file: path, item } };
      });
    }
    const whole = parseJsonText(text.replace(/^\uFEFF/, ""));
    if (whole.ok && isRow(whole.value) && text.trim().includes("\n")) {
      throw new InputError(
        "expected rows (a JSON list of objects, or one object per line), got a single JSON object",
        { file: path, field: "--in" },
        "check that this is the file this --from kind converts",
      );
    }
    return readJsonLines(path, text);
  }
  throw new InputError(
    `unsupported file type '${extension || "(none)"}'`,
    { file: path, field: "--in" },
    `use a ${TABLE_TYPES} file`,
  );
}

/** Rows of every `--in` file in order, with `--map` renames applied. */
export async function readTables(
  inputs: readonly string[],
  fieldMap: Readonly<Record<string, string>>,
  options: ReadTableOptions = {},
): Promise<TableRow[]> {
  const rows: TableRow[] = [];
  for (const input of inputs) rows.push(...(await readTable(input, options)));
  applyFieldMap(rows, fieldMap);
  return rows;
}

/** A whole JSON document (PubMedQA's and HEAD-QA's nested files); errors carry the line. */
export function readJsonDocument(path: string, text = readText(path)): unknown {
  if (text.trim() === "") {
    throw new InputError("the file is empty", { file: path }, "check that it was fully downloaded");
  }
  const parsed = parseJsonText(text.replace(/^\uFEFF/, ""));
  if (!parsed.ok) {
    throw new InputError(
      `not valid JSON: ${parsed.message}`,
      { file: path, line: parsed.line },
      "check that it was fully downloaded",
    );
  }
  return parsed.value;
}

export function readText(path: string): string {
  return readTextFile(path, () => cannotRead(path));
}

function cannotRead(path: string): InputError {
  return new InputError("cannot read file", { file: path, field: "--in" }, "check the path");
}

function readJsonLines(path: string, text = readText(path)): TableRow[] {
  const rows: TableRow[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const parsed = parseJsonText(line);
    if (!parsed.ok) {
      throw new InputError(
        `not valid JSON: ${parsed.message}`,
        { file: path, line: index + 1 },
        "each line holds one JSON object",
      );
    }
    if (!isRow(parsed.value)) {
      throw new InputError(
        "expected a JSON object",
        { file: path, line: index + 1 },
        "each line holds one JSON object",
      );
    }
    rows.push({ values: parsed.value, where: { file: path, line: index + 1 } });
  });
  return rows;
}

function readDelimited(path: string, delimiter: string, header: boolean): TableRow[] {
  const text = readText(path);
  // With `info: true` csv-parse returns {record, info} pairs; its types do not model that.
  type CsvRecord = { record: string[] | Record<string, string>; info: { lines: number } };
  const options: CsvOptions = {
    bom: true,
    delimiter,
    columns: header,
    info: true,
    skip_empty_lines: true,
    relax_column_count: !header,
  };
  let records: CsvRecord[];
  try {
    records = parseCsv(text, options) as unknown as CsvRecord[];
  } catch (error) {
    const { message, lines } = error as Error & { lines?: number };
    throw new InputError(
      `not valid ${delimiter === "," ? "CSV" : "TSV"}: ${message.replace(/ on line \d+$/, "")}`,
      { file: path, line: lines },
      "check the quoting and that every row has the header's columns",
    );
  }
  return records.map(({ record, info }) => ({
    values: Array.isArray(record) ? Object.fromEntries(record.map((cell, i) => [String(i), cell])) : record,
    where: { file: path, line: info.lines },
  }));
}

function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
