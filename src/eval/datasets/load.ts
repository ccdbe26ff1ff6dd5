import { readFile } from "node:fs/promises";
import { InputError } from "../../errors.js";
import { buildOptionStr } from "../prompt.js";
import { findDuplicateKey, parseJsonText } from "./json-text.js";
import { checkMd5, md5Hex } from "./md5.js";
import { pythonStrip } from "../../python/text.js";
import { checkEvalItem, describe } from "./schema.js";
import {
  BARE_LIST_SOURCE,
  itemName,
  type DroppedItem,
  type EvalFileContent,
  type EvalItem,
  type EvalSample,
  type LoadedEvalDataset,
} from "./types.js";
import { decodeUtf8 } from "../../io/text-file.js";

export interface LoadEvalOptions {
  /** Expected md5 of the file bytes (m1's `eval_data_md5sum`); unchecked when absent. */
  md5?: string;
  /** Keep the first N samples after flattening, as m1 does; absent, 0 or negative keeps all. */
  limit?: number;
  /**
   * Items whose `answer` differs from `options[answer_idx]` (compared after Python's strip).
   * `drop` (default): left out and reported, as m1's eval-data collection removed them.
   * `keep`: kept, which is what m1's loader does with whatever the file holds.
   */
  answerMismatch?: "drop" | "keep";
}

const FETCH_HINT = "check the path (`m1 data fetch m1-eval` downloads m1's eval file)";

/**
 * Load an m1-format eval file: validate every item (errors name the file, the item `medqa[12]` and
 * the field), check the md5 when asked, flatten the sources in file order, drop answer/option
 * mismatches, then apply `limit`.
 */
export async function loadEvalDataset(
  path: string,
  options: LoadEvalOptions = {},
): Promise<LoadedEvalDataset> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new InputError("cannot read the eval file", { file: path }, FETCH_HINT);
  }
  const md5 = md5Hex(bytes);
  if (options.md5 !== undefined) checkMd5(path, md5, options.md5);
  const content = parseEvalFile(decodeUtf8(bytes, path), path);
  return { path, md5, ...flattenEvalFile(content, options) };
}

/** Parse and validate the text of an eval file into its object form (a bare list becomes `normal`). */
export function parseEvalFile(text: string, path: string): EvalFileContent {
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") {
    throw new InputError(
      "the eval file is empty",
      { file: path },
      'write a JSON object of sources, e.g. {"medqa": [ ... ]}',
    );
  }
  const parsed = parseJsonText(body);
  if (!parsed.ok) {
    throw new InputError(
      `not valid JSON: ${parsed.message}`,
      { file: path, line: parsed.line },
      "fix the JSON syntax",
    );
  }
  const value = parsed.value;
  if (!Array.isArray(value) && !isPlainObject(value)) {
    throw new InputError(
      `expected a JSON object of sources or a list of items, got ${describe(value)}`,
      { file: path },
      'write {"source name": [items]} or [items]',
    );
  }
  const duplicate = findDuplicateKey(body);
  if (duplicate) {
    const at = Array.isArray(value) ? [BARE_LIST_SOURCE, ...duplicate.path] : duplicate.path;
    throw duplicateKeyError(path, at, duplicate.key);
  }
  const sources: Record<string, unknown> = Array.isArray(value)
    ? { [BARE_LIST_SOURCE]: value }
    : value;
  if (Object.keys(sources).length === 0) {
    throw new InputError("the eval file has no sources", { file: path }, "add at least one source");
  }
  const content: EvalFileContent = {};
  for (const [source, items] of Object.entries(sources)) {
    if (!Array.isArray(items)) {
      throw new InputError(
        `expected a list of items, got ${describe(items)}`,
        { file: path, item: source },
        'each source maps to a list: {"medqa": [ ... ]}',
      );
    }
    if (items.length === 0) {
      throw new InputError(
        "the source has no items",
        { file: path, item: source },
        "remove the empty source or add its items",
      );
    }
    content[source] = items.map((item, index) => {
      const checked = checkEvalItem(item);
      if (checked.ok) return checked.item;
      const { field, message, fix } = checked.problem;
      throw new InputError(
        message,
        { file: path, item: itemName(source, index), field: field || undefined },
        fix,
      );
    });
  }
  return content;
}

/** Flatten validated content into samples (see `LoadEvalOptions` for dropping and `limit`). */
export function flattenEvalFile(
  content: EvalFileContent,
  options: Pick<LoadEvalOptions, "limit" | "answerMismatch"> = {},
): Pick<LoadedEvalDataset, "samples" | "dropped" | "sourceSizes"> {
  const samples: EvalSample[] = [];
  const dropped: DroppedItem[] = [];
  const sourceSizes: Record<string, number> = {};
  for (const [source, items] of Object.entries(content)) {
    sourceSizes[source] = items.length;
    items.forEach((item, index) => {
      const mismatch = answerMismatch(item);
      if (mismatch && options.answerMismatch !== "keep") {
        dropped.push({ source, index, item: itemName(source, index), reason: mismatch });
        return;
      }
      samples.push(toSample(item, source, index));
    });
  }
  const limit = options.limit ?? 0;
  return { samples: limit > 0 ? samples.slice(0, limit) : samples, dropped, sourceSizes };
}

/** Why the item's answer text disagrees with its answer letter, or undefined when it agrees. */
export function answerMismatch(item: EvalItem): string | undefined {
  const optionText = item.options[item.answer_idx]!;
  if (pythonStrip(item.answer) === pythonStrip(optionText)) return undefined;
  return `answer ${JSON.stringify(item.answer)} differs from options.${item.answer_idx} ${JSON.stringify(optionText)}`;
}

function toSample(item: EvalItem, source: string, index: number): EvalSample {
  const { question, options, answer, answer_idx, ...extra } = item;
  return {
    source,
    index,
    question,
    options,
    answer,
    answer_idx,
    option_str: buildOptionStr(options),
    extra,
    fieldOrder: Object.keys(item),
  };
}

function duplicateKeyError(path: string, at: (string | number)[], key: string): InputError {
  const fix = "JSON keeps only the last of repeated keys; rename or merge them";
  if (at.length === 0) {
    return new InputError(`source '${key}' appears twice`, { file: path, item: key }, fix);
  }
  const [source, index, ...fields] = at;
  const item = typeof index === "number" ? itemName(String(source), index) : String(source);
  const field = [...(typeof index === "number" ? [] : [index]), ...fields, key]
    .filter((part) => part !== undefined)
    .join(".");
  return new InputError(`key '${key}' appears twice`, { file: path, item, field }, fix);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
