import type { Row } from "../../io/rows.js";
import type { RowLocator } from "../../io/row-location.js";
import { readTextColumn } from "./text-column.js";
import {
  similarPairsWithin,
  type JoinStats,
  type SimilarityOptions,
  type SimilarPair,
} from "./similarity-join.js";

export interface DedupResult {
  /** Every pair i < j with ratio >= threshold, sorted by (i, j). */
  pairs: SimilarPair[];
  /** keep[i] is false when row i has a near-duplicate at a lower position (m1's rule). */
  keep: boolean[];
  stats: JoinStats;
}

/**
 * Find all near-duplicate pairs and decide which texts to keep. m1 drops every row that has a
 * near-duplicate at a lower index, whatever the chain: if 0~1 and 1~2 but not 0~2, both 1 and 2 go
 * (2 has 1 below it, even though 1 itself is dropped). Unlike m1, which keeps only the 5 best
 * matches per row (rapidfuzz `process.extract`'s default limit), every pair is found.
 */
export async function deduplicate(
  texts: readonly string[],
  options: SimilarityOptions = {},
): Promise<DedupResult> {
  const { pairs, stats } = await similarPairsWithin(texts, options);
  const keep = new Array<boolean>(texts.length).fill(true);
  for (const pair of pairs) keep[pair.b] = false;
  return { pairs, keep, stats };
}

/** `deduplicate` on one string column of a table; `kept` are the kept rows in input order. */
export async function deduplicateRows(
  rows: readonly Row[],
  column: string,
  options: SimilarityOptions & { locate?: RowLocator } = {},
): Promise<DedupResult & { kept: Row[] }> {
  const texts = readTextColumn(rows, column, options.locate);
  const result = await deduplicate(texts, options);
  return { ...result, kept: rows.filter((_, index) => result.keep[index]) };
}
