import { extname } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { InputError } from "../errors.js";
import { writeFileAtomically } from "./atomic.js";
import { readTextFile } from "./text-file.js";

/** A table row as read from JSONL, JSON or Parquet. */
export type Row = Record<string, unknown>;

export type RowFileFormat = "jsonl" | "json" | "parquet";

/** The format a path names by its extension (`.jsonl`/`.ndjson`, `.json`, `.parquet`). */
export function rowFileFormat(path: string): RowFileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".json") return "json";
  if (extension === ".parquet") return "parquet";
  throw new InputError(
    `unsupported file type '${extension || "(none)"}'`,
    { file: path },
    "use a .jsonl, .json or .parquet file",
  );
}

/** Read every row of a JSONL, JSON (array of objects) or Parquet file. Errors name file and line. */
export async function readRows(path: string): Promise<Row[]> {
  const format = rowFileFormat(path);
  if (format === "parquet") {
    let file;
    try {
      file = await asyncBufferFromFile(path);
    } catch {
      throw new InputError("cannot read file", { file: path }, "check the path");
    }
    try {
      const metadata = await parquetMetadataAsync(file);
      const jsonColumns = new Set(
        metadata.schema
          .filter((element) => element.converted_type === "JSON")
          .map((element) => element.name),
      );
      const rows = (await parquetReadObjects({ file, metadata })) as Row[];
      return rows.map((row) => fromParquetValues(row, jsonColumns));
    } catch (error) {
      throw new InputError(`not a readable Parquet file: ${(error as Error).message}`, {
        file: path,
      });
    }
  }
  const text = readText(path);
  if (format === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(`not valid JSON: ${(error as Error).message}`, { file: path });
    }
    if (!Array.isArray(value)) {
      throw new InputError(
        "expected a JSON array of objects",
        { file: path },
        "or use a .jsonl file",
      );
    }
    value.forEach((row, index) => {
      if (!isRow(row)) throw new InputError("expected an object", { file: path, item: index });
    });
    return value as Row[];
  }
  return parseJsonLines(text, path);
}

/** Parquet gives INT64 as bigint and JSON columns as text; hand back plain JSON values. */
function fromParquetValues(row: Row, jsonColumns: ReadonlySet<string>): Row {
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === "bigint") row[key] = Number(value);
    else if (typeof value === "string" && jsonColumns.has(key)) row[key] = JSON.parse(value);
  }
  return row;
}

/** Parse JSONL text; blank lines are skipped; each error names the 1-based line. */
export function parseJsonLines(text: string, path: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InputError(`not valid JSON: ${(error as Error).message}`, {
        file: path,
        line: index + 1,
      });
    }
    if (!isRow(value))
      throw new InputError("expected a JSON object", { file: path, line: index + 1 });
    rows.push(value);
  }
  return rows;
}

function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readText(path: string): string {
  return readTextFile(
    path,
    () => new InputError("cannot read file", { file: path }, "check the path"),
  );
}

/**
 * Write rows to JSONL, JSON or Parquet, atomically: a temporary file is renamed into place, so a
 * crash never leaves a half-written output that a rerun would mistake for a finished one.
 */
export function writeRows(path: string, rows: readonly Row[]): void {
  const format = rowFileFormat(path);
  if (format === "parquet") {
    writeFileAtomically(path, new Uint8Array(parquetWriteBuffer({ columnData: toColumns(rows) })));
  } else if (format === "json") {
    writeFileAtomically(path, `${JSON.stringify(rows, null, 2)}\n`);
  } else {
    writeFileAtomically(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  }
}

/** Columns for Parquet: strings, numbers and booleans natively; anything else as JSON text. */
function toColumns(rows: readonly Row[]) {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const name of Object.keys(row)) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  return names.map((name) => {
    const values = rows.map((row) => row[name] ?? null);
    const present = values.filter((value) => value !== null);
    if (present.every((value) => typeof value === "string")) {
      return { name, data: values, type: "STRING" as const };
    }
    if (present.every((value) => typeof value === "boolean")) {
      return { name, data: values, type: "BOOLEAN" as const };
    }
    if (present.every((value) => typeof value === "number")) {
      const int32 = present.every(
        (value) => Number.isInteger(value) && Math.abs(value as number) < 2 ** 31,
      );
      return { name, data: values, type: int32 ? ("INT32" as const) : ("DOUBLE" as const) };
    }
    return {
      name,
      data: values.map((value) => (value === null ? null : JSON.stringify(value))),
      type: "JSON" as const,
    };
  });
}
