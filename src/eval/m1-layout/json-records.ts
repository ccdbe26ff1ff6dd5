import { InputError } from "../../errors.js";

/**
 * Reads a file of JSON records in any of the shapes m1's outputs take:
 * - a JSON array (`json.dump(results, f, indent=2)`, m1's `<stem>.json`);
 * - JSON Lines, one object per line;
 * - objects pretty-printed one after another, which is what HF datasets' `Dataset.to_json(path,
 *   indent=2)` writes for m1's `<stem>.scored.json` (pandas JSON Lines with indentation, one chunk
 *   per 1,000 rows).
 */
export function parseJsonRecords(text: string, file: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new InputError(
        `not valid JSON: ${(error as Error).message}`,
        { file },
        "re-run the experiment or restore the file",
      );
    }
    if (!Array.isArray(parsed)) throw new InputError("expected a JSON array of objects", { file });
    return parsed.map((item, index) => asRecord(item, file, index));
  }
  return splitConcatenatedValues(text, file).map(({ json, line }, index) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new InputError(
        `record ${index} is not valid JSON: ${(error as Error).message}`,
        { file, line },
        "re-run the experiment or restore the file",
      );
    }
    return asRecord(parsed, file, index);
  });
}

function asRecord(value: unknown, file: string, index: number): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError("expected a JSON object", { file, item: index });
  }
  return value as Record<string, unknown>;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * Cuts a text into its top-level JSON objects by tracking brace depth outside strings; each piece
 * is then parsed by JSON.parse, so the scan only has to find boundaries.
 */
function splitConcatenatedValues(
  text: string,
  file: string,
): Array<{ json: string; line: number }> {
  const values: Array<{ json: string; line: number }> = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === NEWLINE) line++;
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
      continue;
    }
    if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE) {
      if (depth === 0) {
        start = i;
        startLine = line;
      }
      depth++;
    } else if (code === CLOSE_BRACE) {
      depth--;
      if (depth === 0) values.push({ json: text.slice(start, i + 1), line: startLine });
      if (depth < 0) throw new InputError("unbalanced '}'", { file, line });
    } else if (depth === 0 && code > 0x20) {
      throw new InputError(
        `unexpected '${text[i]}' between records`,
        { file, line },
        "expected a JSON array, JSON Lines or concatenated JSON objects",
      );
    }
  }
  if (depth !== 0 || inString) {
    throw new InputError(
      "the last record is cut off",
      { file, line: startLine },
      "re-run the experiment",
    );
  }
  return values;
}
