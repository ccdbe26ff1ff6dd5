import { InputError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { rowLocator } from "../../io/row-location.js";

/** Reads typed fields of one source row; every failure names the file, the row and the field. */
export class RowReader {
  constructor(
    readonly file: string,
    readonly index: number,
    readonly row: Row,
    /** The source's shape in words, for the fix hint (e.g. "a MedQA-USMLE-4-options row"). */
    readonly shape: string,
  ) {}

  fail(field: string, problem: string, fix?: string): never {
    throw new InputError(
      problem,
      rowLocator(this.file)(this.index, field),
      fix ?? `check that the file holds ${this.shape} rows`,
    );
  }

  string(field: string, from: Row = this.row): string {
    const value = from[field];
    if (typeof value !== "string") {
      this.fail(field, value === undefined ? "missing" : `expected text, got ${describe(value)}`);
    }
    return value;
  }

  object(field: string, from: Row = this.row): Row {
    const value = from[field];
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(
        field,
        value === undefined ? "missing" : `expected an object, got ${describe(value)}`,
      );
    }
    return value as Row;
  }

  stringList(field: string, from: Row = this.row): string[] {
    const value = from[field];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      this.fail(
        field,
        value === undefined ? "missing" : `expected a list of texts, got ${describe(value)}`,
      );
    }
    return value as string[];
  }

  integer(field: string, from: Row = this.row): number {
    const value = from[field];
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.fail(
        field,
        value === undefined ? "missing" : `expected a whole number, got ${describe(value)}`,
      );
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string")
    return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return typeof value === "object" ? "an object" : String(value);
}
