import type { Row } from "../../io/rows.js";
import type { RowLocator } from "../../io/row-location.js";
import { readTextColumn } from "./text-column.js";
import {
  similarPairsAcross,
  type CrossPair,
  type JoinStats,
  type SimilarityOptions,
} from "./similarity-join.js";

export interface DecontaminationResult {
  /** Every (row, against) pair with ratio >= threshold, sorted by (row, against). */
  pairs: CrossPair[];
  /** keep[i] is false when row i scores >= threshold against any reference text. */
  keep: boolean[];
  stats: JoinStats;
}

/**
 * Drop texts too similar to any reference (evaluation) text: m1 removes a training row when some
 * eval question has rapidfuzz ratio >= threshold with it. All matching pairs are found, exactly.
 */
export async function decontaminate(
  texts: readonly string[],
  against: readonly string[],
  options: SimilarityOptions = {},
): Promise<DecontaminationResult> {
  const { pairs, stats } = await similarPairsAcross(texts, against, options);
  const keep = new Array<boolean>(texts.length).fill(true);
  for (const pair of pairs) keep[pair.row] = false;
  return { pairs, keep, stats };
}

/** `decontaminate` on one string column of a table; `kept` are the kept rows in input order. */
export async function decontaminateRows(
  rows: readonly Row[],
  column: string,
  against: readonly string[],
  options: SimilarityOptions & { locate?: RowLocator } = {},
): Promise<DecontaminationResult & { kept: Row[] }> {
  const texts = readTextColumn(rows, column, options.locate);
  const result = await decontaminate(texts, against, options);
  return { ...result, kept: rows.filter((_, index) => result.keep[index]) };
}
