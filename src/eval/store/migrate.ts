import type Database from "better-sqlite3";
import { InputError } from "../../errors.js";
import {
  columnNames,
  createTableSql,
  GENERATION_CACHE_TABLE,
  SESSIONS_TABLE,
  STORE_SCHEMA,
  STORE_SCHEMA_VERSION,
  STORE_TABLE_LIST,
  STORE_TABLES,
  VERSION_3_COLUMNS,
  type StoreColumn,
  type StoreTableName,
} from "./schema.js";

/**
 * The store's schema version, read on every open: an older store is upgraded in place (one
 * transaction), a newer one or a file that is not a store is refused with a one-line error.
 */

/** What upgrades a store from version N-1 to N; the schema's own IF NOT EXISTS runs after them. */
const MIGRATIONS: Record<number, string> = {
  // Stores from before the pointer table kept generations only in response_cache.
  2: GENERATION_CACHE_TABLE,
  // Adaptive compute: new columns at the end (sample_draws comes with the schema itself).
  3: Object.entries(VERSION_3_COLUMNS)
    .flatMap(([table, columns]) =>
      (columns as readonly StoreColumn[]).map(
        (column) => `ALTER TABLE ${table} ADD COLUMN ${column.name} ${column.type};`,
      ),
    )
    .join("\n"),
  // Sessions are recorded from now on; experiments run before have none (reports fall back to
  // their log.txt).
  4: SESSIONS_TABLE,
};

/** The tables readers query (the store's own, or compatible stand-ins for an older store). */
export interface StoreTables {
  experiments: string;
  questions: string;
  samples: string;
  sample_draws: string;
}

/** The store's own tables. */
export const STORE_TABLE_NAMES: StoreTables = {
  experiments: "experiments",
  questions: "questions",
  samples: "samples",
  sample_draws: "sample_draws",
};

/** The store's version; null for an empty database (a new store). */
export function readSchemaVersion(db: Database.Database, path: string): number | null {
  const tables = new Set(
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
  );
  if (tables.size === 0) return null;
  if (!tables.has("experiments")) {
    throw new InputError(
      "not an m1 evaluation store (no experiments table)",
      { file: path },
      "move the file away, or give another output directory",
    );
  }
  const stored = tables.has("store_meta")
    ? (db.prepare("SELECT value FROM store_meta WHERE key = 'schema_version'").pluck().get() as
        string | undefined)
    : undefined;
  // A first open cut short before the version was written: the first layout.
  const version = stored === undefined ? 1 : Number(stored);
  if (!Number.isInteger(version) || version < 1) {
    throw new InputError(
      `unreadable store schema version '${stored}'`,
      { file: path },
      "restore the file from a backup, or give another output directory",
    );
  }
  return version;
}

function refuseNewer(version: number, path: string): never {
  throw new InputError(
    `store schema version ${version} was written by a newer m1 (this one reads up to ${STORE_SCHEMA_VERSION})`,
    { file: path },
    "upgrade m1, or give another output directory",
  );
}

/** For a writer: creates a new store, upgrades an older one, refuses a newer one. */
export function prepareStoreForWriting(db: Database.Database, path: string): void {
  const version = readSchemaVersion(db, path);
  if (version !== null && version > STORE_SCHEMA_VERSION) refuseNewer(version, path);
  db.transaction(() => {
    for (let step = (version ?? STORE_SCHEMA_VERSION) + 1; step <= STORE_SCHEMA_VERSION; step++) {
      const migration = MIGRATIONS[step];
      if (migration) db.exec(migration);
    }
    db.exec(STORE_SCHEMA);
    db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('schema_version', ?)").run(
      String(STORE_SCHEMA_VERSION),
    );
  })();
}

/**
 * The tables a reader of this (read-only) store queries. An older store is read as it is, through
 * temporary stand-ins: a view per table that adds the columns later versions introduced (NULL, or
 * their default), and an empty temporary table for a table it does not have. Migrations only add
 * columns and tables, so every older version reads this way.
 */
export function readableTables(db: Database.Database): StoreTables {
  const tables = { ...STORE_TABLE_NAMES };
  for (const table of STORE_TABLE_LIST) {
    const present = new Set(
      (db.prepare(`PRAGMA main.table_info(${table})`).all() as Array<{ name: string }>).map(
        (column) => column.name,
      ),
    );
    const missing = (STORE_TABLES[table].columns as readonly StoreColumn[]).filter(
      (column) => !present.has(column.name),
    );
    if (missing.length === 0) continue;
    const name = `compat_${table}`;
    db.exec(`DROP VIEW IF EXISTS temp.${name}; DROP TABLE IF EXISTS temp.${name};`);
    if (present.size === 0) {
      db.exec(createTableSql(table, { as: `temp.${name}`, constraints: false }));
    } else {
      const columns = columnNames(table).map((column) =>
        present.has(column) ? column : `${defaultOf(table, column)} AS ${column}`,
      );
      db.exec(`CREATE TEMP VIEW ${name} AS SELECT ${columns.join(", ")} FROM main.${table}`);
    }
    tables[table] = name;
  }
  return tables;
}

/** A missing column's value in an older store: its DEFAULT, else NULL. */
function defaultOf(table: StoreTableName, column: string): string {
  const type = (STORE_TABLES[table].columns as readonly StoreColumn[]).find(
    (candidate) => candidate.name === column,
  )?.type;
  return /DEFAULT (\S+)/.exec(type ?? "")?.[1] ?? "NULL";
}

/**
 * For a reader (opened read-only, so nothing is upgraded): refuses what it cannot read. Readers
 * read every older version as it is, through `readableTables` (a migration that changes or
 * removes a column must say here which versions readers refuse). A table outside
 * STORE_TABLES (`experiment_sessions`, version 4) reads as empty where it is missing.
 */
export function checkStoreForReading(db: Database.Database, path: string): void {
  const version = readSchemaVersion(db, path);
  if (version === null) {
    throw new InputError(
      "not an m1 evaluation store (an empty database)",
      { file: path },
      "run `m1 eval` to fill it, or give another directory",
    );
  }
  if (version > STORE_SCHEMA_VERSION) refuseNewer(version, path);
}
