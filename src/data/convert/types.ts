import type { InputLocation } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import type { EvalItem } from "../../eval/datasets/types.js";

/** Everything `m1 data convert` passes to a converter, validated at the CLI edge. */
export interface ConvertSettings {
  /** The `--in` files, in the order given. */
  inputs: readonly string[];
  /** Seed for converters that shuffle options (GPQA). */
  seed: number;
  /** Which part of the benchmark: MMLU subjects, MMLU-Pro categories, GPQA domains, HEAD-QA categories. */
  subset?: readonly string[];
  /** PubMedQA: `test` (the official 500) or `all` (the 1,000 labeled). */
  split?: string;
  /** MedMCQA: whether `cop` counts from 0 or 1 (detected when absent). */
  copBase?: 0 | 1;
  /** PubMedQA: how contexts and question are joined. */
  contextStyle?: PubMedQaContextStyle;
  /** `--map field=column`: the converter's field name -> the file's column name. */
  fieldMap: Readonly<Record<string, string>>;
}

export type PubMedQaContextStyle = "huatuo" | "newline";

/** An item that did not make it into the output, and why. */
export interface DroppedRow {
  /** `file:line` or `file item N`. */
  where: string;
  reason: string;
}

/** One converted source. */
export interface ConvertedSource {
  items: EvalItem[];
  dropped: DroppedRow[];
  /** Lines worth telling the user (skipped files, detected conventions). */
  notes: string[];
  /** A source name that fits the data better than the default (MedBullets_op4 / _op5). */
  suggestedSource?: string;
}

export interface Converter {
  /** One line for `--help` and the docs: what files it takes. */
  description: string;
  /** Source name used when `--source` is not given (HuatuoGPT-o1's and m1's names). */
  defaultSource: string;
  convert(settings: ConvertSettings): Promise<ConvertedSource>;
}

/** One row of a benchmark file with where it came from, so every error can name file and line. */
export interface TableRow {
  values: Row;
  /** `{file, line}` for JSONL and CSV, `{file, item}` (0-based row) for JSON arrays and Parquet. */
  where: InputLocation;
}
