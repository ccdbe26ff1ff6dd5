import { CancelledError } from "../../errors.js";
import { textLength } from "./corpus.js";
import { forEachMember, groupIdenticalTexts, type IdenticalGroups } from "./identical-texts.js";
import { buildJoinPlan, countCandidatePairs, type JoinPlan } from "./join-plan.js";
import { defaultWorkerCount, runJoin } from "./join-runner.js";
import { DEFAULT_SIMILARITY_THRESHOLD, similarityScore, SimilarityThreshold } from "./threshold.js";

/** Options shared by dedup and decontaminate. */
export interface SimilarityOptions {
  /** rapidfuzz `fuzz.ratio` cut-off, 0-100 (default 95); pairs scoring >= it are reported. */
  threshold?: number | string;
  /**
   * Worker threads. Default: none for small inputs (under ~2,000 distinct texts, where starting
   * threads costs more than it saves), otherwise one per available core. 0 forces the calling thread.
   */
  workers?: number;
  signal?: AbortSignal;
  /** Progress in pairs examined (of `total`, the pairs inside the length windows). */
  onProgress?: (examined: number, total: number) => void;
}

/** How much work the join did; the pair counts after each filter show what the filters saved. */
export interface JoinStats {
  /** Distinct texts on each side (identical texts are compared once). */
  distinctTexts: number;
  distinctAgainst: number;
  /** Distinct-text pairs inside the length windows: the pairs not excluded by length alone. */
  examined: number;
  passedGroupHistogram: number;
  passedFullHistogram: number;
  /** Distinct-text pairs at or above the threshold (before expanding identical copies). */
  similarDistinctPairs: number;
  workers: number;
  seconds: number;
}

/** A pair of positions (a < b) in one list, with its rapidfuzz ratio. */
export interface SimilarPair {
  a: number;
  b: number;
  score: number;
}

/** A position in the checked list and a position in the reference list, with the ratio. */
export interface CrossPair {
  row: number;
  against: number;
  score: number;
}

const INLINE_LIMIT = 2_000;

/** Every pair of positions i < j with ratio(texts[i], texts[j]) >= threshold, sorted by (i, j). */
export async function similarPairsWithin(
  texts: readonly string[],
  options: SimilarityOptions = {},
): Promise<{ pairs: SimilarPair[]; stats: JoinStats }> {
  const threshold = new SimilarityThreshold(options.threshold ?? DEFAULT_SIMILARITY_THRESHOLD);
  const groups = groupIdenticalTexts(texts);
  const { plan, result, stats } = await planAndRun(groups.distinct, undefined, threshold, options);
  const pairs: SimilarPair[] = [];
  // Copies of one text pair with each other at 100, which every threshold (<= 100) accepts.
  for (let group = 0; group < groups.distinct.length; group++) {
    const first = groups.memberStarts[group]!;
    const last = groups.memberStarts[group + 1]!;
    for (let i = first; i < last; i++) {
      for (let j = i + 1; j < last; j++) {
        pairs.push({ a: groups.members[i]!, b: groups.members[j]!, score: 100 });
      }
    }
  }
  forEachFound(plan, result, (probeText, indexText, score) => {
    forEachMember(groups, probeText, (i) =>
      forEachMember(groups, indexText, (j) =>
        pairs.push(i < j ? { a: i, b: j, score } : { a: j, b: i, score }),
      ),
    );
  });
  pairs.sort((x, y) => x.a - y.a || x.b - y.b);
  return { pairs, stats };
}

/** Every (row, against) with ratio(texts[row], against[against]) >= threshold, sorted. */
export async function similarPairsAcross(
  texts: readonly string[],
  against: readonly string[],
  options: SimilarityOptions = {},
): Promise<{ pairs: CrossPair[]; stats: JoinStats }> {
  const threshold = new SimilarityThreshold(options.threshold ?? DEFAULT_SIMILARITY_THRESHOLD);
  const rows = groupIdenticalTexts(texts);
  const references = groupIdenticalTexts(against);
  const { plan, result, stats } = await planAndRun(rows.distinct, references, threshold, options);
  const offset = rows.distinct.length;
  const pairs: CrossPair[] = [];
  forEachFound(plan, result, (probeText, indexText, score) => {
    forEachMember(rows, probeText, (row) =>
      forEachMember(references, indexText - offset, (reference) =>
        pairs.push({ row, against: reference, score }),
      ),
    );
  });
  pairs.sort((x, y) => x.row - y.row || x.against - y.against);
  return { pairs, stats };
}

async function planAndRun(
  probes: readonly string[],
  references: IdenticalGroups | undefined,
  threshold: SimilarityThreshold,
  options: SimilarityOptions,
) {
  const started = performance.now();
  if (options.signal?.aborted) throw new CancelledError();
  const indexCount = references ? references.distinct.length : probes.length;
  const workers =
    options.workers ??
    (Math.max(probes.length, indexCount) < INLINE_LIMIT ? 0 : defaultWorkerCount());
  const texts = references ? [...probes, ...references.distinct] : probes;
  const plan = buildJoinPlan(texts, probes.length, threshold, workers > 0);
  const total = countCandidatePairs(plan);
  options.onProgress?.(0, total);
  const result = await runJoin(plan, {
    workers,
    signal: options.signal,
    onProgress: (examined) => options.onProgress?.(examined, total),
  });
  const stats: JoinStats = {
    distinctTexts: probes.length,
    distinctAgainst: references ? references.distinct.length : probes.length,
    examined: result.counts.examined,
    passedGroupHistogram: result.counts.passedGroups,
    passedFullHistogram: result.counts.passedHistogram,
    similarDistinctPairs: result.counts.found,
    workers,
    seconds: (performance.now() - started) / 1000,
  };
  return { plan, result, stats };
}

function forEachFound(
  plan: JoinPlan,
  result: { pairs: Int32Array },
  visit: (probeText: number, indexText: number, score: number) => void,
): void {
  for (let k = 0; k < result.pairs.length; k += 3) {
    const probeText = result.pairs[k]!;
    const indexText = result.pairs[k + 1]!;
    const lcs = result.pairs[k + 2]!;
    visit(
      probeText,
      indexText,
      similarityScore(lcs, textLength(plan, probeText) + textLength(plan, indexText)),
    );
  }
}
