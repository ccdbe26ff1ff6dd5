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
  type ExperimentStatus,
  type NewExperiment,
  type StoredDraw,
  type StoredQuestion,
  type StoredSample,
} from "./schema.js";

type SqlRow = Record<string, unknown>;

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
      for (const { table, row, cacheKey } of batch) {
        insert[table].run(row);
        if (cacheKey !== undefined) insertCache.run(cacheKey, row.experiment_id, row.sample_index);
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

  close(): void {
    this.flush();
    if (this.db.open) this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
