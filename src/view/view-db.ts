import { existsSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import Database from "better-sqlite3";
import { InputError } from "../errors.js";
import {
  columnNames,
  createTableSql,
  openStoreDatabase,
  readableTables,
  STORE_FILE_NAME,
  STORE_TABLE_LIST,
  StoreQueries,
  type StoreTables,
} from "../eval/store/index.js";
import { findLocations } from "../report/discover.js";
import { buildOutcomeIndex, buildQuestionIndex, INDEX_SCHEMA } from "./indexes.js";
import { loadM1Directories } from "./load-m1-files.js";

/**
 * The viewer's SQLite connection. Everything the viewer reads goes through three temp views,
 * `v_experiments`, `v_questions` and `v_samples`, with the store's columns:
 * - an evaluation store (`m1.sqlite`) is opened read-only and read in place, so a live eval shows
 *   new samples and nothing is copied, however large it is;
 * - m1-layout experiments that are not in the store (m1's own outputs) are loaded at start-up
 *   into temp tables `f_*` (on disk in SQLite's temp directory, not in memory);
 * - the viewer's own indexes (indexes.ts) are built at start-up in the temp schema.
 * With only one of the two, a view is a plain alias and SQLite uses the indexes directly.
 */
export interface ViewDatabase extends Disposable {
  db: Database.Database;
  /** The store's queries over the views (store and files together). */
  queries: StoreQueries;
  /** The directory given to `m1 view`. */
  directory: string;
  storePath: string | null;
  /** Experiments loaded from m1-layout files (ids from FILE_EXPERIMENT_ID_BASE). */
  fileExperimentCount: number;
  /** Notes for the console (stores left out, experiments skipped). */
  notes: string[];
  /** Rebuilds the viewer's indexes when the store changed (an eval still writing to it). */
  refresh(): void;
  close(): void;
}

export { FILE_EXPERIMENT_ID_BASE } from "./load-m1-files.js";

/** The viewer's copies of the store's tables (same columns and keys), for m1-layout files. */
const TEMP_SCHEMA = STORE_TABLE_LIST.map((table) =>
  createTableSql(table, { as: `temp.f_${table}`, constraints: false }),
).join("\n");

/** What the viewer reads: the views joining the store and the files. */
const VIEW_TABLES: StoreTables = {
  experiments: "v_experiments",
  questions: "v_questions",
  samples: "v_samples",
  sample_draws: "v_sample_draws",
};

/**
 * Columns by name, not `*`, so a store with extra (newer) columns still unions with f_*; an older
 * store is read through `storeTables`, its stand-ins with the newer columns.
 */
function createViews(
  db: Database.Database,
  storeTables: StoreTables | null,
  withFiles: boolean,
): void {
  for (const table of STORE_TABLE_LIST) {
    const columns = columnNames(table).join(", ");
    const parts: string[] = [];
    if (storeTables) parts.push(`SELECT ${columns} FROM ${storeTables[table]}`);
    if (withFiles || !storeTables) parts.push(`SELECT ${columns} FROM temp.f_${table}`);
    db.exec(`CREATE TEMP VIEW v_${table} AS ${parts.join(" UNION ALL ")}`);
  }
}

/** The store to read: the given file, `<dir>/m1.sqlite`, or the shallowest store below. */
function chooseStore(directory: string, stores: string[], notes: string[]): string | null {
  if (stores.length === 0) return null;
  const depth = (path: string) => path.split(sep).length;
  const sorted = [...stores].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  if (sorted.length > 1) {
    notes.push(
      `${sorted.length - 1} more store(s) below ${directory} are not shown ` +
        `(${sorted
          .slice(1)
          .map((path) => relative(directory, path))
          .join(", ")}); run \`m1 view\` on them`,
    );
  }
  return sorted[0]!;
}

export function openViewDatabase(directory: string): ViewDatabase {
  if (!existsSync(directory)) {
    throw new InputError(
      "no such file or directory",
      { file: directory },
      "give an output directory of `m1 eval`",
    );
  }
  const root = statSync(directory).isFile() ? dirname(resolve(directory)) : resolve(directory);
  const notes: string[] = [];
  const { stores, versionDirs } = findLocations(directory);
  const storePath = chooseStore(root, stores, notes);
  const db = storePath ? openStoreDatabase(storePath, { readonly: true }) : new Database(""); // SQLite's private temporary on-disk database, deleted on close
  try {
    db.pragma("busy_timeout = 5000");
    db.exec(TEMP_SCHEMA);
    const storeTables = storePath ? readableTables(db) : null;
    const storeOnly = storeTables ? new StoreQueries(db, storeTables) : null;
    const storeVersionDirs = new Set(
      (storeOnly?.experimentNames() ?? []).map((name) => resolve(dirname(storePath!), name)),
    );
    const fileDirs = versionDirs.filter((versionDir) => !storeVersionDirs.has(versionDir));
    const loaded = loadM1Directories(db, root, fileDirs, storeOnly);
    notes.push(...loaded.notes);
    createViews(db, storeTables, loaded.experiments > 0);
    if (!storePath && loaded.experiments === 0) {
      throw new InputError(
        `no experiments found (no ${STORE_FILE_NAME} and no version_N/metrics.json below it)`,
        { file: directory },
        "point at the output directory of `m1 eval` or of m1's inference script",
      );
    }
    const queries = new StoreQueries(db, VIEW_TABLES);
    db.exec(INDEX_SCHEMA);
    buildQuestionIndex(queries);
    buildOutcomeIndex(queries);
    let fingerprint = queries.changeFingerprint();
    return {
      db,
      queries,
      directory: root,
      storePath,
      fileExperimentCount: loaded.experiments,
      notes,
      refresh() {
        const now = queries.changeFingerprint();
        if (now === fingerprint) return;
        buildQuestionIndex(queries);
        buildOutcomeIndex(queries);
        fingerprint = now;
      },
      close() {
        if (db.open) db.close();
      },
      [Symbol.dispose]() {
        if (db.open) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
