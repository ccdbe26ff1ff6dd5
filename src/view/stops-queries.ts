import type Database from "better-sqlite3";
import type { ReportExperiment, SampleOutcome } from "../report/experiments.js";
import { storedStopFacts } from "../report/samples.js";
import { stopsRows, type StopsRow } from "../report/stops.js";

/**
 * How each experiment's answers came about, for the viewer's experiment list: the report's own
 * rows (report/stops.ts), computed from the viewer's small `outcomes` index (no texts read).
 */
interface OutcomeRow {
  experiment_id: number;
  sample_index: number;
  question_key: string;
  source: string;
  correct: number;
  stopped_by: string | null;
  decided_by: string | null;
  vote_share: number | null;
  probe_tokens_total: number | null;
  compute_tokens: number | null;
  thinking_finish_reason: string | null;
  num_gen_tokens: number | null;
}

export function experimentStops(
  db: Database.Database,
  experiments: ReadonlyArray<{ id: number; report: ReportExperiment }>,
): Map<number, StopsRow> {
  const rows = db
    .prepare(
      `SELECT experiment_id, sample_index, question_key, source, correct, stopped_by, decided_by,
         vote_share, probe_tokens_total, compute_tokens, thinking_finish_reason, num_gen_tokens
       FROM temp.outcomes WHERE failed = 0 AND correct IS NOT NULL ORDER BY experiment_id, sample_index`,
    )
    .all() as OutcomeRow[];
  const byExperiment = new Map<number, SampleOutcome[]>();
  for (const row of rows) {
    const list = byExperiment.get(row.experiment_id) ?? [];
    list.push({
      sampleIndex: row.sample_index,
      questionKey: row.question_key,
      source: row.source,
      question: "",
      correct: row.correct === 1,
      thinkingFinishReason: row.thinking_finish_reason,
      numGenTokens: row.num_gen_tokens,
      thinkingTokens: null,
      ...storedStopFacts(row),
      choice: null,
      probeTokens: row.probe_tokens_total,
      voteShare: row.vote_share,
      probes: null,
    });
    byExperiment.set(row.experiment_id, list);
  }
  const idOf = new Map(experiments.map(({ id, report }) => [report, id]));
  const stops = stopsRows(
    experiments.map(({ report }) => report),
    (report) => byExperiment.get(idOf.get(report)!) ?? null,
  );
  const byLabel = new Map(stops.map((row) => [row.experiment, row]));
  return new Map(
    experiments.flatMap(({ id, report }) => {
      const row = byLabel.get(report.label);
      return row ? [[id, row] as const] : [];
    }),
  );
}
