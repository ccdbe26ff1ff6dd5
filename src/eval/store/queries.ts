import type Database from "better-sqlite3";
import type { ProbeAnswer, StopReason } from "../../engine/adaptive.js";
import type { GenerationRecord } from "../../engine/record.js";
import { STORE_TABLE_NAMES, type StoreTables } from "./migrate.js";
import {
  columnNames,
  type Experiment,
  type ExperimentSession,
  type StoredDraw,
  type StoredQuestion,
  type StoredSample,
} from "./schema.js";

/**
 * Every read of the store, for eval (resume, cache, m1 files), reports and the viewer. Queries
 * name the tables through `StoreTables`, so the viewer runs the same SQL over its views that
 * join a store with m1-layout files loaded beside it. Lists that may be long select only small
 * columns: thinking and answer texts are read only for the samples that show them.
 */
export { STORE_TABLE_NAMES, type StoreTables } from "./migrate.js";

export interface SourceCounts {
  source: string;
  correct_count: number;
  total_count: number;
}

/** What a question's identity is made of (source, text, options) and its key. */
export interface QuestionIdentity {
  question_key: string;
  source: string;
  question: string;
  options_json: string;
}

/** One scored sample as comparisons and plots need it (no texts). */
export interface ScoredOutcome {
  sample_index: number;
  question_key: string;
  source: string;
  question: string;
  correct: boolean;
  thinking_finish_reason: string | null;
  num_gen_tokens: number | null;
  thinking_tokens: number | null;
  stopped_by: string | null;
  decided_by: string | null;
  choice: string | null;
  probe_tokens_total: number | null;
  vote_share: number | null;
  compute_tokens: number | null;
  /** JSON of the probes (parsed by the caller that needs them). */
  probe_answers_json: string | null;
}

/** A sample as one question's page shows it: all but its keys, start time and evaluated tokens. */
const NOT_IN_DETAIL = ["question_key", "source", "evaluated_tokens", "started_at"] as const;
export type SampleDetail = Omit<StoredSample, (typeof NOT_IN_DETAIL)[number]>;
const DETAIL_COLUMNS = columnNames("samples").filter(
  (column) => !(NOT_IN_DETAIL as readonly string[]).includes(column),
);

/** One of a question's n samples as the viewer lists its votes (no texts). */
export interface DrawVote {
  draw_index: number;
  seed: number;
  choice: string | null;
  correct: boolean | null;
  decided_by: string | null;
  stopped_by: string | null;
  num_gen_tokens: number | null;
  probe_tokens_total: number | null;
  error: string | null;
}

type SqlRow = Record<string, unknown>;

function toExperiment(row: SqlRow): Experiment {
  const { config_json, ...rest } = row;
  return { ...(rest as Omit<Experiment, "config">), config: JSON.parse(config_json as string) };
}

function toQuestion(row: SqlRow): StoredQuestion {
  const { options_json, ...rest } = row;
  return {
    ...(rest as Omit<StoredQuestion, "options">),
    options: JSON.parse(options_json as string),
  };
}

/** SQLite's 0/1 back to booleans, and JSON columns back to values (`x_json` -> `x`). */
function withBooleans<Row extends SqlRow>(row: Row): Row {
  const { probe_answers_json, ...rest } = row;
  return {
    ...rest,
    ...("correct" in row ? { correct: row.correct === null ? null : row.correct === 1 } : {}),
    ...("cached" in row ? { cached: row.cached === 1 } : {}),
    ...("probe_answers_json" in row ? { probe_answers: parseJsonColumn(probe_answers_json) } : {}),
  } as unknown as Row;
}

/** A JSON column as written by the store; unreadable JSON reads as absent rather than failing. */
function parseJsonColumn(value: unknown): unknown {
  if (typeof value !== "string") return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

/**
 * A stored generation as the engine's record. Generations stored before version 3 have no stop
 * reason nor probes: a cut by the budget shows as `length`, anything else was the model's stop.
 */
function recordOfRow(row: SqlRow): GenerationRecord {
  const { evaluated_tokens, stopped_by, probe_answers_json, probe_answers, probe_tokens_total } =
    row;
  const record = { ...row } as Record<string, unknown>;
  delete record.evaluated_tokens;
  delete record.probe_answers_json;
  const probes = (probe_answers ?? parseJsonColumn(probe_answers_json) ?? []) as ProbeAnswer[];
  const lastCall = (row.thinking_text === null ? row.finish_reason : row.thinking_finish_reason) as
    string | null;
  return {
    ...(record as unknown as GenerationRecord),
    stopped_by:
      (stopped_by as StopReason | null | undefined) ?? (lastCall === "length" ? "budget" : "model"),
    // The engine's probes, without the correctness scoring added to them.
    probe_answers: probes.map(({ thinking_tokens, thinking_chars, answer, response_text }) => ({
      thinking_tokens,
      thinking_chars,
      answer,
      response_text,
    })),
    probe_tokens_total: (probe_tokens_total as number | null | undefined) ?? 0,
    ...(evaluated_tokens === null || evaluated_tokens === undefined
      ? {}
      : { evaluated_tokens: evaluated_tokens as number }),
  };
}

export class StoreQueries {
  private readonly statements = new Map<string, Database.Statement>();
  /** Whether the store has `experiment_sessions` (version 4 on), asked once. */
  private hasSessions: boolean | undefined;

  constructor(
    readonly db: Database.Database,
    readonly tables: StoreTables = STORE_TABLE_NAMES,
  ) {}

  /** Prepared once per connection: eval asks some of these once per sample. */
  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // ---- experiments -------------------------------------------------------------------------

  experiments(): Experiment[] {
    const { experiments } = this.tables;
    return (this.prepare(`SELECT * FROM ${experiments} ORDER BY id`).all() as SqlRow[]).map(
      toExperiment,
    );
  }

  experiment(idOrName: number | string): Experiment | undefined {
    const column = typeof idOrName === "number" ? "id" : "name";
    const row = this.prepare(`SELECT * FROM ${this.tables.experiments} WHERE ${column} = ?`).get(
      idOrName,
    ) as SqlRow | undefined;
    return row ? toExperiment(row) : undefined;
  }

  /** Every version of one experiment directory, oldest first. */
  experimentVersions(expDir: string): Experiment[] {
    return (
      this.prepare(
        `SELECT * FROM ${this.tables.experiments} WHERE exp_dir = ? ORDER BY version`,
      ).all(expDir) as SqlRow[]
    ).map(toExperiment);
  }

  experimentNames(): string[] {
    return this.prepare(`SELECT name FROM ${this.tables.experiments}`).pluck().all() as string[];
  }

  // ---- questions ---------------------------------------------------------------------------

  /** One question to show; options that are not valid JSON show as none rather than failing. */
  question(questionKey: string): StoredQuestion | undefined {
    const row = this.prepare(
      `SELECT question_key, source, question, options_json, answer, answer_idx
       FROM ${this.tables.questions} WHERE question_key = ?`,
    ).get(questionKey) as SqlRow | undefined;
    if (!row) return undefined;
    try {
      return toQuestion(row);
    } catch {
      return toQuestion({ ...row, options_json: "{}" });
    }
  }

  /**
   * Every question's key and identity (the viewer indexes them and matches files to them). A
   * list, not an iterator: better-sqlite3 refuses writes while a read iterates the connection.
   */
  questionIdentities(): QuestionIdentity[] {
    return this.prepare(
      `SELECT question_key, source, question, options_json FROM ${this.tables.questions}`,
    ).all() as QuestionIdentity[];
  }

  /** The first `length` characters of each question. */
  questionStarts(questionKeys: readonly string[], length: number): Map<string, string> {
    if (questionKeys.length === 0) return new Map();
    const rows = this.db
      .prepare(
        `SELECT question_key, substr(question, 1, ?) AS start FROM ${this.tables.questions}
         WHERE question_key IN (${questionKeys.map(() => "?").join(", ")})`,
      )
      .all(length, ...questionKeys) as Array<{ question_key: string; start: string }>;
    return new Map(rows.map((row) => [row.question_key, row.start]));
  }

  // ---- samples -----------------------------------------------------------------------------

  /** Sample indices already answered without error (a resumed run skips them). */
  completedSampleIndices(experimentId: number): Set<number> {
    const rows = this.prepare(
      `SELECT sample_index FROM ${this.tables.samples} WHERE experiment_id = ? AND error IS NULL`,
    )
      .pluck()
      .all(experimentId) as number[];
    return new Set(rows);
  }

  failedSampleCount(experimentId: number): number {
    return this.prepare(
      `SELECT COUNT(*) FROM ${this.tables.samples} WHERE experiment_id = ? AND error IS NOT NULL`,
    )
      .pluck()
      .get(experimentId) as number;
  }

  /** The error of each failed sample, in sample order. */
  sampleErrors(experimentId: number): string[] {
    return this.prepare(
      `SELECT error FROM ${this.tables.samples} WHERE experiment_id = ? AND error IS NOT NULL
       ORDER BY sample_index`,
    )
      .pluck()
      .all(experimentId) as string[];
  }

  /** Correct and total counts per source (failed samples excluded), sources in m1's order. */
  sourceCounts(experimentId: number): SourceCounts[] {
    return (
      this.prepare(
        `SELECT source, SUM(correct) AS correct_count, COUNT(*) AS total_count, MIN(sample_index) AS first
         FROM ${this.tables.samples} WHERE experiment_id = ? AND error IS NULL
         GROUP BY source ORDER BY first`,
      ).all(experimentId) as SqlRow[]
    ).map((row) => ({
      source: row.source as string,
      correct_count: Number(row.correct_count),
      total_count: Number(row.total_count),
    }));
  }

  /** All samples of an experiment in m1's order (sample_index), with their questions. */
  samplesWithQuestions(experimentId: number): Array<StoredSample & { question: StoredQuestion }> {
    const rows = this.prepare(
      `SELECT s.*, q.question AS q_question, q.options_json AS q_options_json, q.answer AS q_answer,
         q.answer_idx AS q_answer_idx
       FROM ${this.tables.samples} s JOIN ${this.tables.questions} q ON q.question_key = s.question_key
       WHERE s.experiment_id = ? ORDER BY s.sample_index`,
    ).all(experimentId) as SqlRow[];
    return rows.map((row) => {
      const { q_question, q_options_json, q_answer, q_answer_idx, ...sample } = row;
      return {
        ...(withBooleans(sample) as unknown as StoredSample),
        question: toQuestion({
          question_key: sample.question_key,
          source: sample.source,
          question: q_question,
          options_json: q_options_json,
          answer: q_answer,
          answer_idx: q_answer_idx,
        }),
      };
    });
  }

  /** Every scored sample of an experiment (failed samples excluded), in m1's order. */
  scoredOutcomes(experimentId: number): ScoredOutcome[] {
    return (
      this.prepare(
        `SELECT s.sample_index, s.question_key, s.source, q.question, s.correct,
           s.thinking_finish_reason, s.num_gen_tokens, s.thinking_tokens, s.stopped_by,
           s.decided_by, s.choice, s.probe_tokens_total, s.vote_share, s.compute_tokens,
           s.probe_answers_json
         FROM ${this.tables.samples} s JOIN ${this.tables.questions} q ON q.question_key = s.question_key
         WHERE s.experiment_id = ? AND s.error IS NULL AND s.correct IS NOT NULL
         ORDER BY s.sample_index`,
      ).all(experimentId) as SqlRow[]
    ).map((row) => ({
      ...(row as unknown as ScoredOutcome),
      correct: row.correct === 1,
    }));
  }

  /** The n samples of one question of an experiment, in draw order (small columns only). */
  drawVotes(experimentId: number, sampleIndex: number): DrawVote[] {
    return (
      this.prepare(
        `SELECT draw_index, seed, choice, correct, decided_by, stopped_by, num_gen_tokens,
           probe_tokens_total, error
         FROM ${this.tables.sample_draws} WHERE experiment_id = ? AND sample_index = ?
         ORDER BY draw_index`,
      ).all(experimentId, sampleIndex) as SqlRow[]
    ).map((row) => withBooleans(row) as unknown as DrawVote);
  }

  /** Draw indices already answered without error, by sample index (a resumed run skips them). */
  completedDraws(experimentId: number): Map<number, StoredDraw[]> {
    const rows = this.prepare(
      `SELECT * FROM ${this.tables.sample_draws} WHERE experiment_id = ? AND error IS NULL
       ORDER BY sample_index, draw_index`,
    ).all(experimentId) as SqlRow[];
    const bySample = new Map<number, StoredDraw[]>();
    for (const row of rows) {
      const draw = withBooleans(row) as unknown as StoredDraw;
      const list = bySample.get(draw.sample_index) ?? [];
      list.push(draw);
      bySample.set(draw.sample_index, list);
    }
    return bySample;
  }

  /** The first sample of an experiment for one question, in full; undefined when it has none. */
  sampleDetail(questionKey: string, experimentId: number): SampleDetail | undefined {
    const row = this.prepare(
      `SELECT ${DETAIL_COLUMNS.join(", ")} FROM ${this.tables.samples} WHERE question_key = ? AND experiment_id = ?
       ORDER BY sample_index LIMIT 1`,
    ).get(questionKey, experimentId) as SqlRow | undefined;
    return row ? (withBooleans(row) as unknown as SampleDetail) : undefined;
  }

  /**
   * The SELECT of every sample's short columns (keys, source, correctness, failed, extracted
   * letter, tokens, how it stopped and was read), for the viewer to copy into its own index in
   * one INSERT ... SELECT.
   */
  sampleOutcomesSelect(): string {
    return `SELECT experiment_id, sample_index, question_key, source, correct, error IS NOT NULL,
         extracted_answer, num_gen_tokens, stopped_by, decided_by, vote_share, probe_tokens_total,
         compute_tokens, thinking_finish_reason
       FROM ${this.tables.samples}`;
  }

  /**
   * A condition on a question key (`alias.question_key`): some sample of these experiments has
   * the text in its thinking or answer (LIKE, so `%` and `_` in the text are escaped).
   */
  responseSearchCondition(
    alias: string,
    experimentIds: readonly number[],
    text: string,
  ): { sql: string; parameters: unknown[] } {
    const pattern = `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    return {
      sql: `EXISTS (SELECT 1 FROM ${this.tables.samples} t WHERE t.question_key = ${alias}.question_key
          AND t.experiment_id IN (${experimentIds.map(() => "?").join(", ")})
          AND (t.response_text LIKE ? ESCAPE '\\' OR t.thinking_text LIKE ? ESCAPE '\\'))`,
      parameters: [...experimentIds, pattern, pattern],
    };
  }

  /**
   * What changes when an eval writes: sample and question counts, and correctness (a retried
   * sample replaces its row). Read from covering indexes only: milliseconds at 50K samples.
   */
  changeFingerprint(): string {
    const samples = this.prepare(
      `SELECT COUNT(*) AS n, COUNT(correct) AS scored, TOTAL(correct) AS right FROM ${this.tables.samples}`,
    ).get() as { n: number; scored: number; right: number };
    const questions = this.prepare(`SELECT COUNT(*) FROM ${this.tables.questions}`)
      .pluck()
      .get() as number;
    return `${samples.n}/${samples.scored}/${samples.right}/${questions}`;
  }

  // ---- sessions (the store's own table) ----------------------------------------------------

  /**
   * The processes that worked on an experiment, oldest first. Empty for experiments run before
   * version 4 (a store opened read-only is not upgraded, so the table may be missing).
   */
  experimentSessions(experimentId: number): ExperimentSession[] {
    this.hasSessions ??=
      this.db
        .prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'experiment_sessions'",
        )
        .get() !== undefined;
    if (!this.hasSessions) return [];
    return this.prepare(
      "SELECT * FROM experiment_sessions WHERE experiment_id = ? ORDER BY session_index",
    ).all(experimentId) as ExperimentSession[];
  }

  // ---- response cache (the store's own tables) ---------------------------------------------

  /**
   * The generation recorded under `key` (EvalStore.recordSample's cacheKey), read back from the
   * sample it points at; stores written before the pointer table are read from `response_cache`.
   */
  cachedGeneration(key: string): GenerationRecord | undefined {
    const row = this.prepare(
      `SELECT s.thinking_text, s.thinking_finish_reason, s.response_text, s.finish_reason,
         s.num_gen_tokens, s.num_keep_think_below_budget, s.num_min_thinking_waits,
         s.thinking_tokens, s.answer_tokens, s.prompt_tokens, s.evaluated_tokens, s.stopped_by,
         s.probe_answers_json, s.probe_tokens_total
       FROM generation_cache c JOIN samples s
         ON s.experiment_id = c.experiment_id AND s.sample_index = c.sample_index
       WHERE c.key = ? AND s.error IS NULL`,
    ).get(key) as SqlRow | undefined;
    if (row) return recordOfRow(row);
    const json = this.prepare("SELECT record_json FROM response_cache WHERE key = ?")
      .pluck()
      .get(key) as string | undefined;
    return json === undefined ? undefined : recordOfRow(JSON.parse(json) as SqlRow);
  }
}
