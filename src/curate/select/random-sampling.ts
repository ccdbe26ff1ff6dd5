import type { Row } from "../../io/rows.js";
import { defaultRng } from "../rng/generator.js";

/** m1's guess of the teacher's accuracy on random questions (random_select.ipynb). */
export const M1_ESTIMATED_ACCURACY = 0.8;

/**
 * How many rows a random selection takes: `int(size / estimated_acc)` as m1 computed it, so that
 * after distilling and dropping the teacher's wrong answers about `size` remain (random_1k: 1250
 * rows for 1,000; random_23k: 29,366 for 23,493). Python's `int()` truncates the float quotient.
 */
export function oversampledCount(size: number, estimatedAccuracy: number): number {
  return Math.trunc(size / estimatedAccuracy);
}

/**
 * m1's random subsets (src/ablate_data/random_select.ipynb): `dataset.shuffle(seed=42)` then
 * `.select(range(n))`. Hugging Face datasets shuffles with
 * `np.random.default_rng(seed).permutation(len(dataset))`, replayed here draw for draw, so the same
 * rows in the same order give m1's subset (random_1k and random_23k drew from m196k, hard_random_1k
 * from the hard 23K set with n = 1000).
 */
export function sampleRandomly(rows: readonly Row[], count: number, seed: number): Row[] {
  const order = defaultRng(seed).permutation(rows.length);
  return order.slice(0, Math.min(count, rows.length)).map((index) => rows[index]!);
}
