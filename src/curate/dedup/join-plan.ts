import { allocateInt32, buildCorpus, textLength, type Corpus } from "./corpus.js";
import { GROUP_COUNT, GROUP_WORDS, packGroupCounts, symbolGroups } from "./histogram-bounds.js";
import type { SimilarityThreshold } from "./threshold.js";

/**
 * Everything a similarity join needs, as flat typed arrays that worker threads can share.
 *
 * The "index" side is sorted by (length, position). A probe of length a can only pair with texts
 * whose length lies in partnerLow[a] .. partnerHigh[a] (see SimilarityThreshold.partnerLengthRange:
 * the LCS is at most the shorter length), and those texts form one contiguous run of ranks. In a
 * self-join the probes are the index itself and rank r is compared with ranks below r only, so
 * each unordered pair is examined once.
 */
export interface JoinPlan extends Corpus {
  readonly mode: "self" | "cross";
  /** Histogram group of each symbol (histogram-bounds.ts). */
  readonly groups: Uint8Array;
  /** Index side: text ids sorted by (length, id). */
  readonly indexTexts: Int32Array;
  readonly indexLengths: Int32Array;
  /** GROUP_WORDS packed group counts per index rank. */
  readonly indexGroupCounts: Uint32Array;
  /** firstIndexRank[len]: the first rank whose length is >= len (len up to max length + 1). */
  readonly firstIndexRank: Int32Array;
  /** Probe text ids. In a self-join, equal to indexTexts. */
  readonly probeTexts: Int32Array;
  /** minLcs[L] for every total length L that can occur. */
  readonly minLcs: Int32Array;
  /** Partner length range per probe length. */
  readonly partnerLow: Int32Array;
  readonly partnerHigh: Int32Array;
}

/**
 * Build a plan. Texts `0 .. probeCount - 1` are the probes; in a cross join the remaining texts are
 * the index side; when probeCount is texts.length it is a self-join and the probes are the index.
 */
export function buildJoinPlan(
  texts: readonly string[],
  probeCount: number,
  threshold: SimilarityThreshold,
  shared: boolean,
): JoinPlan {
  const mode = probeCount === texts.length ? "self" : "cross";
  const corpus = buildCorpus(texts, shared);
  const lengthOf = (text: number) => textLength(corpus, text);
  const indexIds: number[] = [];
  for (let text = mode === "self" ? 0 : probeCount; text < texts.length; text++) {
    indexIds.push(text);
  }
  indexIds.sort((a, b) => lengthOf(a) - lengthOf(b) || a - b);
  const indexTexts = allocateInt32(indexIds.length, shared);
  indexTexts.set(indexIds);
  const indexLengths = allocateInt32(indexIds.length, shared);
  for (let rank = 0; rank < indexIds.length; rank++) indexLengths[rank] = lengthOf(indexIds[rank]!);

  const maxIndexLength = indexIds.length > 0 ? indexLengths[indexIds.length - 1]! : 0;
  const firstIndexRank = allocateInt32(maxIndexLength + 2, shared);
  let rank = 0;
  for (let length = 0; length <= maxIndexLength + 1; length++) {
    while (rank < indexIds.length && indexLengths[rank]! < length) rank++;
    firstIndexRank[length] = rank;
  }

  let probeTexts: Int32Array;
  if (mode === "self") probeTexts = indexTexts;
  else {
    probeTexts = allocateInt32(probeCount, shared);
    for (let text = 0; text < probeCount; text++) probeTexts[text] = text;
  }
  let maxProbeLength = 0;
  for (const text of probeTexts) maxProbeLength = Math.max(maxProbeLength, lengthOf(text));

  const minLcs = allocateInt32(maxProbeLength + maxIndexLength + 1, shared);
  for (let total = 0; total < minLcs.length; total++) minLcs[total] = threshold.minLcs(total);
  const partnerLow = allocateInt32(maxProbeLength + 1, shared);
  const partnerHigh = allocateInt32(maxProbeLength + 1, shared);
  const needed = new Uint8Array(maxProbeLength + 1);
  for (const text of probeTexts) needed[lengthOf(text)] = 1;
  for (let length = 0; length <= maxProbeLength; length++) {
    if (!needed[length]) continue;
    const range = threshold.partnerLengthRange(length, Math.max(length, maxIndexLength));
    partnerLow[length] = range.low;
    partnerHigh[length] = range.high;
  }

  const groups = symbolGroups(corpus);
  const indexGroupCounts = shared
    ? new Uint32Array(new SharedArrayBuffer(Math.max(1, indexIds.length * GROUP_WORDS) * 4))
    : new Uint32Array(indexIds.length * GROUP_WORDS);
  const scratch = new Int32Array(GROUP_COUNT);
  for (let rank = 0; rank < indexIds.length; rank++) {
    const text = indexIds[rank]!;
    packGroupCounts(
      corpus.symbols,
      corpus.starts[text]!,
      lengthOf(text),
      groups,
      indexGroupCounts,
      rank * GROUP_WORDS,
      scratch,
    );
  }

  return {
    mode,
    symbols: corpus.symbols,
    starts: corpus.starts,
    symbolCount: corpus.symbolCount,
    groups,
    indexTexts,
    indexLengths,
    indexGroupCounts,
    firstIndexRank,
    probeTexts,
    minLcs,
    partnerLow,
    partnerHigh,
  };
}

/** The index ranks [start, end) that probe number `probe` is compared with. */
export function probeRange(plan: JoinPlan, probe: number): { start: number; end: number } {
  const text = plan.probeTexts[probe]!;
  const length = textLength(plan, text);
  const lastLength = plan.firstIndexRank.length - 1;
  const start = plan.firstIndexRank[Math.min(plan.partnerLow[length]!, lastLength)]!;
  const end =
    plan.mode === "self"
      ? probe
      : plan.firstIndexRank[Math.min(plan.partnerHigh[length]! + 1, lastLength)]!;
  return { start, end: Math.max(start, end) };
}

/** Total number of (probe, index) pairs the plan examines: the work, for progress bars. */
export function countCandidatePairs(plan: JoinPlan): number {
  let total = 0;
  for (let probe = 0; probe < plan.probeTexts.length; probe++) {
    const { start, end } = probeRange(plan, probe);
    total += end - start;
  }
  return total;
}
