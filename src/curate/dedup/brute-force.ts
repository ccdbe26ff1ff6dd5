import { buildCorpus, textLength } from "./corpus.js";
import { BandedLcsKernel } from "./lcs-kernel.js";
import type { SimilarPair } from "./similarity-join.js";
import { DEFAULT_SIMILARITY_THRESHOLD, similarityScore, SimilarityThreshold } from "./threshold.js";

/**
 * The baseline the benchmark compares with: every one of the n(n-1)/2 pairs goes through the same
 * LCS kernel (in its threshold-deciding mode: banded, with early exit), with no length window, no
 * count bounds and no grouping of identical texts. Single-threaded; the pairs come out sorted.
 */
export function bruteForceSimilarPairs(
  texts: readonly string[],
  thresholdValue: number | string = DEFAULT_SIMILARITY_THRESHOLD,
): SimilarPair[] {
  const threshold = new SimilarityThreshold(thresholdValue);
  const corpus = buildCorpus(texts);
  const kernel = new BandedLcsKernel(corpus.symbolCount);
  const { symbols, starts } = corpus;
  const pairs: SimilarPair[] = [];
  for (let a = 0; a < texts.length; a++) {
    const lengthA = textLength(corpus, a);
    kernel.setPattern(symbols, starts[a]!, lengthA);
    for (let b = a + 1; b < texts.length; b++) {
      const lengthB = textLength(corpus, b);
      const total = lengthA + lengthB;
      const required = threshold.minLcs(total);
      const lcs = kernel.lcsAtLeast(symbols, starts[b]!, lengthB, required);
      if (lcs >= required) pairs.push({ a, b, score: similarityScore(lcs, total) });
    }
  }
  return pairs;
}
