import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { InputError } from "../../errors.js";
import { readRows } from "../../io/rows.js";
import { rowLocator } from "../../io/row-location.js";
import { readTextColumn } from "./text-column.js";

/** Reference (evaluation) texts from one or more files, each with where it came from. */
export interface ReferenceTexts {
  texts: string[];
  /** For texts[k]: its file and item (`source[index]` for m1 eval files, else the row index). */
  origins: Array<{ file: string; item: string | number }>;
}

/**
 * Read the texts to decontaminate against.
 * - `.json` in m1's eval format: an object mapping each source name to a list of items, or a bare
 *   list of items (one source). m1's decontaminate_eval.py compares the training `prompt` with each
 *   item's `question` only (no options), so `field` defaults to `question`.
 * - `.jsonl`, `.parquet` (or `.json` arrays): one text per row, from column `field`.
 * A missing field or a non-string value stops with the file, line or item, and the field.
 */
export async function readReferenceTexts(
  files: readonly string[],
  field: string,
): Promise<ReferenceTexts> {
  const result: ReferenceTexts = { texts: [], origins: [] };
  for (const file of files) {
    if (extname(file).toLowerCase() === ".json") {
      for (const [item, text] of readEvalJson(file, field)) {
        result.texts.push(text);
        result.origins.push({ file, item });
      }
      continue;
    }
    const rows = await readRows(file);
    const texts = readTextColumn(rows, field, rowLocator(file));
    texts.forEach((text, index) => {
      result.texts.push(text);
      result.origins.push({ file, item: index });
    });
  }
  return result;
}

function readEvalJson(file: string, field: string): Array<[string | number, string]> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new InputError("cannot read file", { file }, "check the --against path");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { file });
  }
  const fix = "pass an m1 eval file (source -> list of items) or a list of items";
  if (Array.isArray(parsed)) {
    return parsed.flatMap((item, index) => {
      const text = fieldText(item, field, file, index);
      return text === null ? [] : [[index, text] as [number, string]];
    });
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new InputError("expected a JSON object or list", { file }, fix);
  }
  const found: Array<[string, string]> = [];
  for (const [source, items] of Object.entries(parsed)) {
    if (!Array.isArray(items)) {
      throw new InputError(`source '${source}' is not a list of items`, { file }, fix);
    }
    items.forEach((item: unknown, index) => {
      const label = `${source}[${index}]`;
      const text = fieldText(item, field, file, label);
      if (text !== null) found.push([label, text]);
    });
  }
  return found;
}

/** The item's text; null when the field is null (m1's decontaminate_eval.py skips those). */
function fieldText(
  item: unknown,
  field: string,
  file: string,
  label: string | number,
): string | null {
  const value =
    typeof item === "object" && item !== null && !Array.isArray(item)
      ? (item as Record<string, unknown>)[field]
      : undefined;
  if (typeof value === "string") return value;
  if (value === null) return null;
  const problem =
    typeof item !== "object" || item === null || Array.isArray(item)
      ? "item is not an object"
      : value === undefined
        ? "field missing"
        : `expected a string, got ${typeof value}`;
  throw new InputError(
    problem,
    { file, item: label, field },
    "use --against-column to name the text field",
  );
}
