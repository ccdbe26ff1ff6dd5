import { ConfigError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { sampleByDomain, type EmptiedGroup } from "./domain-sampling.js";
import { M1_ESTIMATED_ACCURACY, oversampledCount, sampleRandomly } from "./random-sampling.js";

/**
 * m1's ways to pick a training subset (the paper's data ablation, src/ablate_data/):
 * - `domain-source` (m1K): balanced over MeSH domains, then over sources within a domain;
 * - `domain` (domain_1k): balanced over domains only, every source in one pool;
 * - `random` (random_1k, random_23k): a seeded shuffle of all collected rows, oversampled by
 *   `1 / estimated_accuracy` because the teacher's wrong answers are dropped afterwards;
 * - `hard-random` (hard_random_1k): a seeded shuffle of the hard (filtered, distilled) rows.
 */
export const SELECT_STRATEGIES = ["domain-source", "domain", "random", "hard-random"] as const;
export type SelectStrategy = (typeof SELECT_STRATEGIES)[number];

/** m1K: 1000 rows by domain and source, numpy's default_rng(42) as in m1's notebooks. */
export const SELECT_DEFAULTS = {
  size: 1000,
  seed: 42,
  strategy: "domain-source" as SelectStrategy,
  estimated_accuracy: M1_ESTIMATED_ACCURACY,
} as const;

export interface SelectSettings {
  /** How many rows to end with (m1K: 1000; random_23k: 23,493). */
  size: number;
  /** Seed of numpy's `default_rng` (m1: 42). */
  seed: number;
  /** Default `domain-source`, m1K's. */
  strategy?: SelectStrategy;
  /** `random` only: the share of rows expected to survive distillation (m1: 0.8). */
  estimatedAccuracy?: number;
  /** Domain strategies: told when a source or domain runs out (m1's notebooks print these). */
  onEmptied?: (group: EmptiedGroup) => void;
}

export interface SelectResult {
  strategy: SelectStrategy;
  /** Picked rows in the order they were picked. */
  rows: Row[];
  /** Rows asked for: `size`, or `int(size / estimated_accuracy)` for `random`. */
  target: number;
  /** Rows left out because classification found no domain code for them (domain strategies). */
  withoutDomain: number;
  /** Picks per domain code, in the order domains first appear (domain strategies). */
  perDomain: Record<string, number>;
  /** Picks per source, in the order sources first appear among the picks. */
  perSource: Record<string, number>;
}

export function selectRows(
  rows: readonly Row[],
  file: string,
  settings: SelectSettings,
): SelectResult {
  const strategy = settings.strategy ?? SELECT_DEFAULTS.strategy;
  const estimatedAccuracy = settings.estimatedAccuracy ?? M1_ESTIMATED_ACCURACY;
  if (strategy === "random" && !(estimatedAccuracy > 0 && estimatedAccuracy <= 1)) {
    throw new ConfigError(`must be in (0, 1], got ${estimatedAccuracy}`, {
      key: "estimated_accuracy",
      fix: "m1 used 0.8",
    });
  }
  let picked: { rows: Row[]; withoutDomain: number; perDomain: Record<string, number> };
  let target = settings.size;
  if (strategy === "random" || strategy === "hard-random") {
    if (strategy === "random") target = oversampledCount(settings.size, estimatedAccuracy);
    picked = { rows: sampleRandomly(rows, target, settings.seed), withoutDomain: 0, perDomain: {} };
  } else {
    picked = sampleByDomain(rows, file, {
      size: settings.size,
      seed: settings.seed,
      balanceSources: strategy === "domain-source",
      onEmptied: settings.onEmptied,
    });
  }
  const perSource: Record<string, number> = {};
  for (const row of picked.rows) {
    const source = typeof row.source === "string" ? row.source : "";
    perSource[source] = (perSource[source] ?? 0) + 1;
  }
  return { strategy, target, ...picked, perSource };
}
