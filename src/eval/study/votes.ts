import { createHash } from "node:crypto";

/**
 * Self-consistency: a question's n samples each run with their own seed, and the experiment's
 * answer is the majority vote of the options they name.
 */

/**
 * The seed of a question's sample `draw`: the experiment's seed for draw 0 (so draw 0 is the
 * single-sample run), a hash of (seed, draw) for the others: different seeds for every draw, and
 * none that a neighbouring experiment seed would also give (as seed + draw would).
 */
export function drawSeed(seed: number, draw: number): number {
  if (draw === 0) return seed;
  const digest = createHash("sha256").update(`m1-draw\u0000${seed}\u0000${draw}`).digest();
  // 31 bits: a positive seed every server and llama.cpp accept.
  return digest.readUInt32BE(0) >>> 1;
}

export interface VoteResult {
  /** Index (in draw order) of the first draw that named the winning option. */
  winner: number;
  /** Share of all n draws that named it (0 when no draw named any option). */
  share: number;
}

/**
 * The majority over the options the draws name; null is a draw that named none (it votes for
 * nothing but counts in n). Ties go to the option named first (the earliest draw).
 */
export function majorityVote(choices: readonly (string | null)[]): VoteResult {
  const counts = new Map<string, { count: number; first: number }>();
  choices.forEach((choice, index) => {
    if (choice === null) return;
    const entry = counts.get(choice);
    if (entry) entry.count++;
    else counts.set(choice, { count: 1, first: index });
  });
  let best: { count: number; first: number } | undefined;
  for (const entry of counts.values()) {
    if (
      !best ||
      entry.count > best.count ||
      (entry.count === best.count && entry.first < best.first)
    ) {
      best = entry;
    }
  }
  if (!best) return { winner: 0, share: 0 };
  return { winner: best.first, share: best.count / choices.length };
}
