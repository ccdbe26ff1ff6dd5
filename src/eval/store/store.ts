import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type { GenerationRecord } from "../../engine/record.js";
import { InputError } from "../../errors.js";
import {
  checkStoreForReading,
  prepareStoreForWriting,
  readableTables,
  STORE_TABLE_NAMES,
} from "./migrate.js";
import { StoreQueries, type SourceCounts } from "./queries.js";
import {
  columnNames,
  insertSql,
  STORE_FILE_NAME,
  type Experiment,
  type ExperimentSession,
  type ExperimentStatus,
  type NewExperiment,
  type SessionOutcome,
  type StoredDraw,
  type StoredQuestion,
  type StoredSample,
} from "./schema.js";

type SqlRow = Record<string, unknown>;

interface SessionCounts {
  answered: number;
  cached: number;
  failed: number;
  tokens: number;
}

const ZERO_COUNTS: Readonly<SessionCounts> = { answered: 0, cached: 0, failed: 0, tokens: 0 };

interface PendingSample {
  table: "samples" | "sample_draws";
  row: SqlRow;
  cacheKey: string | undefined;
}

/** A sample or draw as a row: booleans as 0/1, probes as JSON. */
function toRow(sample: StoredSample | StoredDraw): SqlRow {
  const { probe_answers, ...rest } = sample;
  return {
    ...rest,
    correct: sample.correct === null ? null : sample.correct ? 1 : 0,
    cached: sample.cached ? 1 : 0,
    probe_answers_json: probe_answers === null ? null : JSON.stringify(probe_answers),
  };
}

/** This process's session on one experiment: its row and its clock. */
interface OpenSession {
  sessionIndex: number;
  /** performance.now() at the start: active time is measured on the monotonic clock. */
  startedClock: number;
}

/**
 * What one committed row adds to its session: a question's row counts as answered (cached) or
 * failed; generated tokens come from the rows that generated them: a question's own row, or with
 * n samples per question each draw's (the question's row, a vote, repeats its winner's).
 */
function countForSession(counts: SessionCounts, table: PendingSample["table"], row: SqlRow): void {
  const generated = row.error === null && row.cached !== 1;
  if (table === "sample_draws") {
    if (generated) counts.tokens += (row.num_gen_tokens as number | null) ?? 0;
    return;
  }
  if (row.error !== null) {
    counts.failed++;
    return;
  }
  counts.answered++;
  if (row.cached === 1) counts.cached++;
  else if (row.vote_share === null) counts.tokens += (row.num_gen_tokens as number | null) ?? 0;
}

/**
 * Opens a store file: read-only for readers (report, viewer), who see an eval still writing it;
 * writable for eval, in WAL mode. Either way the schema version is read first: a writer upgrades
 * an older store, a newer store or a file that is not a store is refused (InputError, exit 2).
 */
export function openStoreDatabase(
  path: string,
  options: { readonly?: boolean } = {},
): Database.Database {
  const readonly = options.readonly ?? false;
  let db: Database.Database;
  try {
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new InputError(`cannot open the evaluation store: ${(error as Error).message}`, {
      file: path,
    });
  }
  try {
    db.pragma("busy_timeout = 5000");
    if (readonly) {
      checkStoreForReading(db, path);
    } else {
      db.pragma("journal_mode = WAL");
      // WAL + NORMAL: a committed transaction survives a killed process (not a power cut).
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      prepareStoreForWriting(db, path);
    }
  } catch (error) {
    db.close();
    if (error instanceof Database.SqliteError) {
      throw new InputError(`not a readable evaluation store: ${error.message}`, { file: path });
    }
    throw error;
  }
  return db;
}

/**
 * The evaluation store (SQLite in WAL mode). Writes are small transactions, one per sample, so a
 * killed process loses only the samples in flight and readers (report, viewer) never block it.
 */
export class EvalStore implements Disposable {
  readonly path: string;
  readonly db: Database.Database;
  /** The store's reads; EvalStore's own read methods commit pending samples first. */
  private readonly queries: StoreQueries;

  private constructor(path: string, db: Database.Database, readonly: boolean) {
    this.path = path;
    this.db = db;
    // A reader reads an older store as it is, through stand-ins with the newer columns.
    this.queries = new StoreQueries(db, readonly ? readableTables(db) : STORE_TABLE_NAMES);
  }

  /** Open (creating if needed) the store of an output directory. */
  static openInDirectory(outputDir: string, options: { readonly?: boolean } = {}): EvalStore {
    return EvalStore.open(join(outputDir, STORE_FILE_NAME), options);
  }

  static open(path: string, options: { readonly?: boolean } = {}): EvalStore {
    return new EvalStore(path, openStoreDatabase(path, options), options.readonly ?? false);
  }

  /** Every read (reports use these directly; they never have samples pending). */
  get read(): StoreQueries {
    this.flush();
    return this.queries;
  }

  // ---- experiments -------------------------------------------------------------------------

  createExperiment(experiment: NewExperiment): Experiment {
    const { config, ...columns } = experiment;
    const result = this.db
      .prepare(
        insertSql(
          "experiments",
          columnNames("experiments").filter((column) => column !== "id"),
        ),
      )
      .run({
        ...columns,
        samples_per_question: columns.samples_per_question ?? 1,
        status: "running",
        config_json: JSON.stringify(config),
        created_at: new Date().toISOString(),
        finished_at: null,
      });
    return this.getExperiment(Number(result.lastInsertRowid))!;
  }

  getExperiment(idOrName: number | string): Experiment | undefined {
    return this.read.experiment(idOrName);
  }

  /** Every version of one experiment directory, oldest first. */
  experimentVersions(expDir: string): Experiment[] {
    return this.read.experimentVersions(expDir);
  }

  listExperiments(): Experiment[] {
    return this.read.experiments();
  }

  setExperimentStatus(id: number, status: ExperimentStatus): void {
    this.flush();
    this.db
      .prepare("UPDATE experiments SET status = ?, finished_at = ? WHERE id = ?")
      .run(status, status === "running" ? null : new Date().toISOString(), id);
  }

  // ---- sessions ----------------------------------------------------------------------------

  private readonly openSessions = new Map<number, OpenSession>();
  private sessionUpdate?: Database.Statement;

  /**
   * Start this process's session on an experiment. Every commit of its samples then updates the
   * session's counts and active time in the same transaction, so a killed process's time counts
   * up to its last committed sample; `endSession` closes it with its outcome.
   */
  beginSession(experimentId: number): void {
    this.flush();
    const sessionIndex = this.db
      .prepare(
        "SELECT COALESCE(MAX(session_index) + 1, 0) FROM experiment_sessions WHERE experiment_id = ?",
      )
      .pluck()
      .get(experimentId) as number;
    const now = new Date().toISOString();
    const session: ExperimentSession = {
      experiment_id: experimentId,
      session_index: sessionIndex,
      pid: process.pid,
      started_at: now,
      last_active_at: now,
      active_ms: 0,
      answered: 0,
      cached: 0,
      failed: 0,
      generated_tokens: 0,
      outcome: null,
    };
    this.db.prepare(insertSql("experiment_sessions", Object.keys(session))).run(session);
    this.openSessions.set(experimentId, { sessionIndex, startedClock: performance.now() });
  }

  /** Close this process's session on an experiment (after committing what is pending). */
  endSession(experimentId: number, outcome: SessionOutcome | null): void {
    this.flush();
    const session = this.openSessions.get(experimentId);
    if (!session || !this.db.open) return;
    this.openSessions.delete(experimentId);
    this.touchSession(experimentId, session, ZERO_COUNTS);
    this.db
      .prepare(
        "UPDATE experiment_sessions SET outcome = ? WHERE experiment_id = ? AND session_index = ?",
      )
      .run(outcome, experimentId, session.sessionIndex);
  }

  /** Every session of an experiment, oldest first (this process's open one included). */
  experimentSessions(experimentId: number): ExperimentSession[] {
    return this.read.experimentSessions(experimentId);
  }

  /** Add counts to an open session and move its active time to now. */
  private touchSession(experimentId: number, session: OpenSession, counts: SessionCounts): void {
    this.sessionUpdate ??= this.db.prepare(
      `UPDATE experiment_sessions SET last_active_at = @now, active_ms = @active,
           answered = answered + @answered, cached = cached + @cached, failed = failed + @failed,
           generated_tokens = generated_tokens + @tokens
         WHERE experiment_id = @experimentId AND session_index = @sessionIndex`,
    );
    this.sessionUpdate.run({
      ...counts,
      now: new Date().toISOString(),
      active: performance.now() - session.startedClock,
      experimentId,
      sessionIndex: session.sessionIndex,
    });
  }

  // ---- questions and samples ---------------------------------------------------------------

  upsertQuestions(questions: readonly StoredQuestion[]): void {
    const insert = this.db.prepare(insertSql("questions", columnNames("questions"), "OR IGNORE"));
    this.db.transaction(() => {
      for (const { options, ...question } of questions) {
        insert.run({ ...question, options_json: JSON.stringify(options) });
      }
    })();
  }

  /** Sample indices already answered without error (a resumed run skips them). */
  completedSampleIndices(experimentId: number): Set<number> {
    return this.read.completedSampleIndices(experimentId);
  }

  private recordTransaction?: (batch: readonly PendingSample[]) => void;
  private pendingSamples: PendingSample[] = [];
  private flushScheduled = false;

  /**
   * Commit one sample (replacing an earlier failed attempt at the same question); with `cacheKey`,
   * the response cache points at it in the same transaction. The commit happens at the end of
   * the current event-loop turn, together with any other sample that completed in that same turn
   * (group commit): a killed process loses only samples still in flight, and a benchmark's
   * thousands of instant samples do not pay one transaction each. Reads flush first.
   */
  recordSample(sample: StoredSample, options: { cacheKey?: string } = {}): void {
    this.pendingSamples.push({ table: "samples", row: toRow(sample), cacheKey: options.cacheKey });
    this.scheduleFlush();
  }

  /** Commit one of a question's n samples (replacing an earlier failed attempt), as recordSample. */
  recordDraw(draw: StoredDraw): void {
    this.pendingSamples.push({ table: "sample_draws", row: toRow(draw), cacheKey: undefined });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commit every sample recorded so far (called by reads and close; scheduled by recordSample). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingSamples.length === 0 || !this.db.open) return;
    const batch = this.pendingSamples;
    this.pendingSamples = [];
    this.recordTransaction ??= this.prepareRecordTransaction();
    this.recordTransaction(batch);
  }

  private prepareRecordTransaction(): (batch: readonly PendingSample[]) => void {
    const insert = {
      samples: this.db.prepare(insertSql("samples", columnNames("samples"), "OR REPLACE")),
      sample_draws: this.db.prepare(
        insertSql("sample_draws", columnNames("sample_draws"), "OR REPLACE"),
      ),
    };
    const insertCache = this.db.prepare(
      `INSERT OR REPLACE INTO generation_cache (key, experiment_id, sample_index)
       VALUES (?, ?, ?)`,
    );
    return this.db.transaction((batch: readonly PendingSample[]) => {
      const sessionCounts = new Map<number, SessionCounts>();
      for (const { table, row, cacheKey } of batch) {
        insert[table].run(row);
        if (cacheKey !== undefined) insertCache.run(cacheKey, row.experiment_id, row.sample_index);
        const experimentId = row.experiment_id as number;
        if (!this.openSessions.has(experimentId)) continue;
        const counts = sessionCounts.get(experimentId) ?? { ...ZERO_COUNTS };
        countForSession(counts, table, row);
        sessionCounts.set(experimentId, counts);
      }
      for (const [experimentId, counts] of sessionCounts) {
        this.touchSession(experimentId, this.openSessions.get(experimentId)!, counts);
      }
    });
  }

  /** All samples of an experiment in m1's order (sample_index), with their questions. */
  samplesWithQuestions(experimentId: number): Array<StoredSample & { question: StoredQuestion }> {
    return this.read.samplesWithQuestions(experimentId);
  }

  /** Correct and total counts per source (failed samples excluded), sources in m1's order. */
  sourceCounts(experimentId: number): SourceCounts[] {
    return this.read.sourceCounts(experimentId);
  }

  failedSampleCount(experimentId: number): number {
    return this.read.failedSampleCount(experimentId);
  }

  /** The error of each failed sample, in sample order. */
  sampleErrors(experimentId: number): string[] {
    return this.read.sampleErrors(experimentId);
  }

  /** The draws already answered without error, by sample index (n samples per question). */
  completedDraws(experimentId: number): Map<number, StoredDraw[]> {
    return this.read.completedDraws(experimentId);
  }

  /** The generation recorded under `key` by `recordSample(..., { cacheKey })`. */
  cachedGeneration(key: string): GenerationRecord | undefined {
    return this.read.cachedGeneration(key);
  }

  /** Commits what is pending; sessions still open keep their time up to now (no outcome). */
  close(): void {
    this.flush();
    for (const experimentId of [...this.openSessions.keys()]) this.endSession(experimentId, null);
    if (this.db.open) this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
