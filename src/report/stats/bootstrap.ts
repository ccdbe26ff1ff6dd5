import { Xoshiro128StarStar } from "../../random/index.js";

/**
 * Paired bootstrap for the difference in accuracy between two experiments on the same questions.
 *
 * Resampling questions keeps each question's pair of outcomes together, so the interval reflects
 * that both experiments saw the same (easy or hard) questions. A question contributes
 * +1 (B right, A wrong), -1 (A right, B wrong) or 0 to B's lead, so a resample only needs to know
 * how many of each it drew: each draw is one uniform number compared with two thresholds, with no
 * per-question array. Resampling is stratified by source (every source keeps its size), which
 * also gives the per-source intervals, the pooled one and the one for m1's unweighted average
 * from the same draws.
 */
export interface PairedStratum {
  name: string;
  /** Questions answered by both experiments. */
  total: number;
  /** Right in A, wrong in B. */
  aOnly: number;
  /** Wrong in A, right in B. */
  bOnly: number;
}

export interface DifferenceInterval {
  /** accuracy(B) - accuracy(A) on the paired questions. */
  difference: number;
  low: number;
  high: number;
}

export interface BootstrapResult {
  resamples: number;
  seed: number;
  /** Per stratum, in the order given. */
  strata: DifferenceInterval[];
  /** All paired questions together (micro average). */
  pooled: DifferenceInterval;
  /** The unweighted mean of per-stratum differences (m1's headline average). */
  average: DifferenceInterval;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage, default 0.95. */
  confidence?: number;
}

export const DEFAULT_BOOTSTRAP_RESAMPLES = 10_000;
export const DEFAULT_BOOTSTRAP_SEED = 42;

/** numpy's default ("linear") percentile of an ascending array, q in [0, 1]. */
export function percentileOfSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

function intervalOf(draws: Float64Array, estimate: number, confidence: number): DifferenceInterval {
  const sorted = Float64Array.from(draws).sort();
  const tail = (1 - confidence) / 2;
  return {
    difference: estimate,
    low: percentileOfSorted(sorted, tail),
    high: percentileOfSorted(sorted, 1 - tail),
  };
}

export function pairedBootstrap(
  strata: readonly PairedStratum[],
  options: BootstrapOptions = {},
): BootstrapResult {
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`resamples must be a whole number >= 1, got ${resamples}`);
  }
  const used = strata.filter((stratum) => stratum.total > 0);
  const random = Xoshiro128StarStar.fromSeed(seed);
  const perStratum = used.map(() => new Float64Array(resamples));
  const pooledDraws = new Float64Array(resamples);
  const averageDraws = new Float64Array(resamples);
  const pooledTotal = used.reduce((sum, stratum) => sum + stratum.total, 0);
  // Draw r (uniform 32-bit): r < plusBelow -> +1, r < minusBelow -> -1, else 0.
  const thresholds = used.map((stratum) => {
    const plusBelow = (stratum.bOnly / stratum.total) * 4294967296;
    return { plusBelow, minusBelow: plusBelow + (stratum.aOnly / stratum.total) * 4294967296 };
  });

  const draws = new Uint32Array(Math.max(0, ...used.map((stratum) => stratum.total)));
  for (let r = 0; r < resamples; r++) {
    let pooledLead = 0;
    let differenceSum = 0;
    for (let s = 0; s < used.length; s++) {
      const { total } = used[s]!;
      const { plusBelow, minusBelow } = thresholds[s]!;
      random.fillUint32(draws, total);
      let lead = 0;
      for (let i = 0; i < total; i++) {
        const draw = draws[i]!;
        if (draw < plusBelow) lead++;
        else if (draw < minusBelow) lead--;
      }
      perStratum[s]![r] = lead / total;
      pooledLead += lead;
      differenceSum += lead / total;
    }
    pooledDraws[r] = pooledTotal > 0 ? pooledLead / pooledTotal : 0;
    averageDraws[r] = used.length > 0 ? differenceSum / used.length : 0;
  }

  const estimates = used.map((stratum) => (stratum.bOnly - stratum.aOnly) / stratum.total);
  const stratumIntervals = new Map(
    used.map((stratum, s) => [stratum, intervalOf(perStratum[s]!, estimates[s]!, confidence)]),
  );
  const empty: DifferenceInterval = { difference: 0, low: 0, high: 0 };
  const pooledEstimate =
    pooledTotal > 0
      ? used.reduce((sum, stratum) => sum + stratum.bOnly - stratum.aOnly, 0) / pooledTotal
      : 0;
  const averageEstimate =
    used.length > 0 ? estimates.reduce((sum, value) => sum + value, 0) / used.length : 0;
  return {
    resamples,
    seed,
    strata: strata.map((stratum) => stratumIntervals.get(stratum) ?? empty),
    pooled: used.length > 0 ? intervalOf(pooledDraws, pooledEstimate, confidence) : empty,
    average: used.length > 0 ? intervalOf(averageDraws, averageEstimate, confidence) : empty,
  };
}
