import type Database from "better-sqlite3";
import type { GenerationRecord } from "../../engine/record.js";
import { columnNames, type Experiment, type StoredQuestion, type StoredSample } from "./schema.js";

/**
 * Every read of the store, for eval (resume, cache, m1 files), reports and the viewer. Queries
 * name the tables through `StoreTables`, so the viewer runs the same SQL over its views that
 * join a store with m1-layout files loaded beside it. Lists that may be long select only small
 * columns: thinking and answer texts are read only for the samples that show them.
 */
export interface StoreTables {
  experiments: string;
  questions: string;
  samples: string;
}

/** The store's own tables. */
export const STORE_TABLE_NAMES: StoreTables = {
  experiments: "experiments",
  questions: "questions",
  samples: "samples",
};

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
}

/** A sample as one question's page shows it: all but its keys, start time and evaluated tokens. */
const NOT_IN_DETAIL = ["question_key", "source", "evaluated_tokens", "started_at"] as const;
export type SampleDetail = Omit<StoredSample, (typeof NOT_IN_DETAIL)[number]>;
const DETAIL_COLUMNS = columnNames("samples").filter(
  (column) => !(NOT_IN_DETAIL as readonly string[]).includes(column),
);

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

/** SQLite's 0/1 back to booleans. */
function withBooleans<Row extends SqlRow>(row: Row): Row {
  return {
    ...row,
    ...("correct" in row ? { correct: row.correct === null ? null : row.correct === 1 } : {}),
    ...("cached" in row ? { cached: row.cached === 1 } : {}),
  };
}

export class StoreQueries {
  private readonly statements = new Map<string, Database.Statement>();

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
           s.thinking_finish_reason, s.num_gen_tokens, s.thinking_tokens
         FROM ${this.tables.samples} s JOIN ${this.tables.questions} q ON q.question_key = s.question_key
         WHERE s.experiment_id = ? AND s.error IS NULL AND s.correct IS NOT NULL
         ORDER BY s.sample_index`,
      ).all(experimentId) as SqlRow[]
    ).map((row) => withBooleans(row) as unknown as ScoredOutcome);
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
   * letter, tokens), for the viewer to copy into its own index in one INSERT ... SELECT.
   */
  sampleOutcomesSelect(): string {
    return `SELECT experiment_id, sample_index, question_key, source, correct, error IS NOT NULL,
         extracted_answer, num_gen_tokens
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

  // ---- response cache (the store's own tables) ---------------------------------------------

  /**
   * The generation recorded under `key` (EvalStore.recordSample's cacheKey), read back from the
   * sample it points at; stores written before the pointer table are read from `response_cache`.
   */
  cachedGeneration(key: string): GenerationRecord | undefined {
    const row = this.prepare(
      `SELECT s.thinking_text, s.thinking_finish_reason, s.response_text, s.finish_reason,
         s.num_gen_tokens, s.num_keep_think_below_budget, s.num_min_thinking_waits,
         s.thinking_tokens, s.answer_tokens, s.prompt_tokens, s.evaluated_tokens
       FROM generation_cache c JOIN samples s
         ON s.experiment_id = c.experiment_id AND s.sample_index = c.sample_index
       WHERE c.key = ? AND s.error IS NULL`,
    ).get(key) as SqlRow | undefined;
    if (row) {
      const { evaluated_tokens, ...record } = row;
      return {
        ...(record as Omit<GenerationRecord, "evaluated_tokens">),
        ...(evaluated_tokens === null ? {} : { evaluated_tokens: evaluated_tokens as number }),
      };
    }
    const json = this.prepare("SELECT record_json FROM response_cache WHERE key = ?")
      .pluck()
      .get(key) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as GenerationRecord);
  }
}
