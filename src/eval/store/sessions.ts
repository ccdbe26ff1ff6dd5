import type { ExperimentSession } from "./schema.js";

/** What an experiment's sessions add up to: the numbers `m1 report --runtime` prints. */
export interface SessionTotals {
  /** Processes that worked on the experiment. */
  sessions: number;
  /** Active time summed over them: the experiment's wall time without the gaps between runs. */
  activeMs: number;
  answered: number;
  cached: number;
  failed: number;
  generatedTokens: number;
  /** Sessions whose process ended without an outcome (killed, or crashed). */
  unended: number;
}

export function sessionTotals(sessions: readonly ExperimentSession[]): SessionTotals {
  const totals: SessionTotals = {
    sessions: sessions.length,
    activeMs: 0,
    answered: 0,
    cached: 0,
    failed: 0,
    generatedTokens: 0,
    unended: 0,
  };
  for (const session of sessions) {
    totals.activeMs += session.active_ms;
    totals.answered += session.answered;
    totals.cached += session.cached;
    totals.failed += session.failed;
    totals.generatedTokens += session.generated_tokens;
    if (session.outcome === null) totals.unended++;
  }
  return totals;
}
