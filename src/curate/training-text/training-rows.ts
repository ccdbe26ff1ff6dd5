/**
 * Curation step 8, `format`: every row becomes m1's chat-templated training text (reference
 * section 2), with token-length statistics when a tokenizer is at hand.
 */
import type { ChatTemplate } from "../../backends/chat-template.js";
import type { ProgressBar } from "../../progress.js";
import type { Row } from "../../io/rows.js";
import type { TokenCounter } from "../../tokenizers/types.js";
import { m1Columns } from "./m1-columns.js";
import { rowLabel, type RowLocator } from "../../io/row-location.js";
import { countTokensOfTexts } from "./token-counting.js";
import { tokenLengthStats, type TokenLengthStats } from "./token-stats.js";
import { m1TrainingText } from "./render.js";

/** m1's block size (TRL `max_length`): what `curate format` measures against and training uses. */
export const M1_BLOCK_SIZE = 32768;

export interface TrainingTextOptions {
  /** The model's chat template (from its tokenizer_config.json or a .jinja file). */
  chatTemplate: ChatTemplate;
  /** Counts tokens for the statistics; without it no statistics are made. */
  tokenCounter?: TokenCounter;
  blockSize?: number;
  /** Where a row sits in its file, for error messages (default: its index). */
  locate?: RowLocator;
  progress?: ProgressBar;
  signal?: AbortSignal;
}

export interface TrainingTextResult {
  /** The input rows with `text` (and `num_tokens` when counted) added; other columns kept. */
  rows: Row[];
  stats?: TokenLengthStats;
  /** Rows longer than the block size, by id (or line). */
  aboveBlockSize: string[];
}

/**
 * Render every row's `prompt`, `reasoning` and `distilled_answer_string` into `text`. Every row is
 * checked before any is rendered, so bad input fails at once, naming the row and the column.
 */
export async function renderTrainingRows(
  rows: readonly Row[],
  options: TrainingTextOptions,
): Promise<TrainingTextResult> {
  const locate: RowLocator = options.locate ?? ((index, field) => ({ item: index, field }));
  const columns = rows.map((row, index) => m1Columns(row, locate(index)));
  const texts = columns.map((row) => m1TrainingText(row, options.chatTemplate));
  // A num_tokens left by an earlier run would describe another text; it is counted again or dropped.
  const formatted: Row[] = rows.map((row, index) => {
    const { num_tokens: _earlierCount, ...columns } = row;
    return { ...columns, text: texts[index] };
  });
  if (!options.tokenCounter) return { rows: formatted, aboveBlockSize: [] };

  const blockSize = options.blockSize ?? M1_BLOCK_SIZE;
  const counts = await countTokensOfTexts(texts, options.tokenCounter, options);
  formatted.forEach((row, index) => (row.num_tokens = counts[index]));
  const aboveBlockSize = formatted
    .map((row, index) => ({ row, index }))
    .filter(({ index }) => counts[index]! > blockSize)
    .map(({ row, index }) => rowLabel(row, locate(index)));
  return {
    rows: formatted,
    stats: tokenLengthStats(counts, blockSize, options.tokenCounter.description),
    aboveBlockSize,
  };
}
