import { extname } from "node:path";
import { resolveHubDatasets } from "../../data/hub/catalog.js";
import { hubConnection, type HubConnection } from "../../data/hub/connection.js";
import { fetchHubDataset } from "../../data/hub/fetch.js";
import { InputError, type InputLocation } from "../../errors.js";
import { readRows } from "../../io/rows.js";
import { m1CacheDir } from "../../paths.js";
import { rowLocator } from "../../io/row-location.js";
import { readTextFile } from "../../io/text-file.js";

/** Reference (evaluation) texts from one or more sources, each with where it came from. */
export interface ReferenceTexts {
  texts: string[];
  /** For texts[k]: its file and item (`source[index]` for m1 eval files, else the row index). */
  origins: Array<{ file: string; item: string | number }>;
  /** Per reference given: its label and how many texts it gave, in order. */
  counts: Array<{ label: string; texts: number }>;
}

/** m1's decontaminate_eval.py compares each eval item's `question`. */
export const DEFAULT_REFERENCE_FIELD = "question";

/**
 * One thing to decontaminate against: a file with the field to compare (each file its own, as
 * m1's EVALUATION_DATASETS give each benchmark its column), or a benchmark of `m1 data fetch`
 * (`gpqa-diamond`, ..., `m1-references` for all six), whose field is the one m1 used.
 */
export type ReferenceSpec = { file: string; field?: string } | { dataset: string };

export interface ReadReferenceOptions {
  /** Field for files that name none (m1's decontaminate_eval.py: `question`). */
  defaultField: string;
  /** Where built-in references are fetched from and cached (HF_ENDPOINT, HF_TOKEN by default). */
  connection?: HubConnection;
  cacheDir?: string;
  signal?: AbortSignal;
  /** Told once per built-in reference fetched or found in the cache. */
  onNote?: (line: string) => void;
}

/**
 * `FILE` or `FILE=FIELD` (the path wins when a file of that full name exists, so a path holding
 * `=` still works).
 */
export function parseReferenceFlag(
  value: string,
  exists: (path: string) => boolean,
): ReferenceSpec {
  const at = value.lastIndexOf("=");
  if (at <= 0 || exists(value)) return { file: value };
  return { file: value.slice(0, at), field: value.slice(at + 1) };
}

/**
 * Read the texts to decontaminate against, in the order given.
 * - `.json` in m1's eval format: an object mapping each source name to a list of items, or a bare
 *   list of items (one source); the field (default `question`) of every item. m1's
 *   decontaminate_eval.py compares the training `prompt` with each item's `question` only.
 * - `.jsonl`, `.parquet` (or `.json` arrays): one text per row, from the field.
 * - built-in benchmarks: fetched (once, then from the cache) from the hub's Parquet conversion of
 *   the split m1 loaded, compared on m1's column.
 * As in m1, a null value is skipped; a missing field or another non-string stops with the file,
 * line or item and the field.
 */
export async function readReferences(
  specs: readonly ReferenceSpec[],
  options: ReadReferenceOptions,
): Promise<ReferenceTexts> {
  const result: ReferenceTexts = { texts: [], origins: [], counts: [] };
  const add = (label: string, found: Array<[string | number, string]>, file: string) => {
    for (const [item, text] of found) {
      result.texts.push(text);
      result.origins.push({ file, item });
    }
    result.counts.push({ label, texts: found.length });
  };
  for (const spec of specs) {
    if ("file" in spec) {
      const field = spec.field ?? options.defaultField;
      add(`${spec.file} (${field})`, await readFileTexts(spec.file, field), spec.file);
      continue;
    }
    for (const dataset of resolveHubDatasets(spec.dataset, "--against-dataset")) {
      if (!dataset.field) {
        throw new InputError(
          `'${dataset.name}' is not a decontamination reference`,
          { field: "--against-dataset" },
          "use m1-references or one of gpqa-diamond, medmcqa-validation, medqa-test, pubmedqa-test, mmlu-medical, mmlu-pro (or pass a file)",
        );
      }
      const fetched = await fetchHubDataset(dataset, {
        connection: options.connection ?? hubConnection(),
        cacheDir: options.cacheDir ?? m1CacheDir(),
        signal: options.signal,
      });
      options.onNote?.(
        `${dataset.name}: ${fetched.files.length} file(s) of ${dataset.repo}${fetched.offline ? " (cached)" : " (fetched)"}`,
      );
      const found: Array<[string | number, string]> = [];
      for (const file of fetched.files) {
        for (const [item, text] of await readFileTexts(file.path, dataset.field)) {
          found.push([`${file.file}[${item}]`, text]);
        }
      }
      add(`${dataset.name} (${dataset.field})`, found, dataset.repo);
    }
  }
  return result;
}

/** The texts of `field` in one eval file or rows file. */
async function readFileTexts(
  file: string,
  field: string,
): Promise<Array<[string | number, string]>> {
  if (extname(file).toLowerCase() === ".json") {
    const parsed = readJson(file);
    if (!Array.isArray(parsed)) return evalFileTexts(parsed, field, file);
  }
  const rows = await readRows(file);
  const locate = rowLocator(file);
  return rows.flatMap((row, index) => {
    const text = fieldText(row, field, file, index, () => locate(index));
    return text === null ? [] : [[index, text] as [number, string]];
  });
}

function readJson(file: string): unknown {
  const text = readTextFile(
    file,
    () => new InputError("cannot read file", { file }, "check the --against path"),
  );
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { file });
  }
}

function evalFileTexts(parsed: unknown, field: string, file: string): Array<[string, string]> {
  const fix = "pass an m1 eval file (source -> list of items) or a list of items";
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

/** The item's text; null when the field is null (m1's decontamination skips those). */
function fieldText(
  item: unknown,
  field: string,
  file: string,
  label: string | number,
  locate: () => InputLocation = () => ({
    file,
    item: label,
  }),
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
    { ...locate(), field },
    "name the text field: --against FILE=FIELD (or --against-column for every file)",
  );
}
