import { InputError } from "../../errors.js";
import type { RowLocator } from "../../io/row-location.js";
import type { Row } from "../../io/rows.js";

/**
 * The strings of one column. A missing field or a non-string value is bad input: we say which row
 * and stop, rather than skipping it as m1 does (m1 drops None values before comparing, which
 * shifts every later index and so removes the wrong rows).
 */
export function readTextColumn(
  rows: readonly Row[],
  column: string,
  locate: RowLocator = (index, field) => ({ item: index, field }),
): string[] {
  const texts = new Array<string>(rows.length);
  for (let index = 0; index < rows.length; index++) {
    const value = rows[index]![column];
    if (typeof value !== "string") {
      throw new InputError(
        value === undefined ? "field missing" : `expected a string, got ${describe(value)}`,
        locate(index, column),
        value === undefined
          ? "check --column, or give every row this field"
          : "the compared column must hold text",
      );
    }
    texts[index] = value;
  }
  return texts;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
