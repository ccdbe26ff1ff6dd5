import { pythonStrip } from "../../python/text.js";
import { requireText, rowError } from "./fields.js";
import { finishRows, type ItemParts } from "./items.js";
import { readLetter, readOptions } from "./options.js";
import { readTables, type TableRow } from "./table.js";
import type { ConvertSettings, ConvertedSource, Converter } from "./types.js";

/**
 * The medical subset of Humanity's Last Exam as m1 took it: ReasoningEval/Benchmark_LastHumanity's
 * `midium.jsonl` (the selection is ReasoningEval's; m1 keeps every row), with the answers repaired
 * by m1's `load_humanity_last_exam` (src/collect_eval_data/collect_eval_data.py):
 *
 * 1. the answer is written `"C. Text\n"`: m1 keeps `answer.strip().split(". ")[1]`, i.e. the piece
 *    between the first and the second `". "` (a text that itself holds `". "` is cut there);
 * 2. question and options share one string upstream, so a cut answer can be a prefix of its
 *    option: when `options[answer_idx] != answer` and the option starts with it, the answer
 *    becomes the option text (compared before any stripping, as m1 does).
 *
 * The common finishing then strips every text and drops items whose answer still differs from
 * their option (m1's `check_answer_options_match`).
 */
export const hle: Converter = {
  description:
    "Humanity's Last Exam, medical subset (jsonl/json/parquet): question, options, answer 'C. Text', answer_idx (ReasoningEval/Benchmark_LastHumanity midium.jsonl)",
  defaultSource: "HumanityLastExam",
  async convert(settings: ConvertSettings): Promise<ConvertedSource> {
    const rows = await readTables(settings.inputs, settings.fieldMap);
    let repaired = 0;
    const { items, dropped } = finishRows(rows, (row) => {
      const parts = readHleRow(row);
      if (parts.repaired) repaired++;
      return parts;
    });
    const notes = [`answers cut from 'C. Text' form; ${repaired} completed from their option text`];
    return { items, dropped, notes };
  },
};

function readHleRow(row: TableRow): ItemParts & { repaired: boolean } {
  const question = requireText(row, "question");
  const options = readOptions(row);
  const answerIdx = readLetter(row, "answer_idx");
  if (answerIdx === undefined) {
    throw rowError(row, "answer_idx", "is missing", "every item needs the letter of its answer");
  }
  let answer = cutLetterPrefix(row, requireText(row, "answer"));
  // m1 indexes the options with the raw letter and compares raw texts.
  const option = options.find(([letter]) => letter === answerIdx)?.[1];
  let repaired = false;
  if (option !== undefined && option !== answer && option.startsWith(answer)) {
    answer = option;
    repaired = true;
  }
  const extra: Record<string, unknown> = {};
  for (const field of ["id", "idx"]) {
    const value = row.values[field];
    if (typeof value === "string" || typeof value === "number") extra[field] = value;
  }
  return { question, options, answerIdx, answer, extra, repaired };
}

/** `answer.strip().split(". ")[1]`; Python would stop with an IndexError where there is none. */
function cutLetterPrefix(row: TableRow, answer: string): string {
  const pieces = pythonStrip(answer).split(". ");
  if (pieces.length < 2) {
    throw rowError(
      row,
      "answer",
      `${JSON.stringify(answer)} is not in the 'C. Text' form m1 expects for this benchmark`,
      "convert it with --from lancet if the answers are plain option texts",
    );
  }
  return pieces[1]!;
}
