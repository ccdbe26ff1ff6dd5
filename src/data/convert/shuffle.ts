import { Xoshiro128StarStar, shuffled } from "../../random/index.js";

/**
 * Seeded option shuffling. Each item gets its own generator, seeded from `(seed, key)` through
 * SHA-256, so an item's order depends only on the seed and the item (its id or question), never on
 * which other items were converted alongside it or in which order. The generator is xoshiro128**
 * and the shuffle Fisher-Yates (src/random), stated here so another implementation can reproduce
 * them:
 *   state = the first 16 bytes of sha256("m1-shuffle\0{seed}\0{key}") as 4 little-endian uint32;
 *   for i = n-1 down to 1: j = floor(next() * (i + 1) / 2^32); swap(values[i], values[j]).
 */
export function shuffleForItem<T>(values: readonly T[], seed: number, key: string): T[] {
  return shuffled(values, Xoshiro128StarStar.fromText(`m1-shuffle\0${seed}\0${key}`));
}
