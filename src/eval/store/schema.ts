import type { FinishReason } from "../../backends/types.js";
import type { ProbeAnswer, StopReason } from "../../engine/adaptive.js";
import type { AnswerDecision } from "../scoring/index.js";

/**
 * The evaluation store's layout: one SQLite file (`m1.sqlite`) in an output directory, shared by
 * every experiment written there. Reports and the viewer read only this (or m1-layout files).
 *
 * - `experiments`: one row per (model, thinking budget, Wait rounds, seed) point, i.e. per m1
 *   version directory. `name` is that directory relative to the output directory.
 * - `questions`: each distinct question once (text is large; experiments share it).
 * - `samples`: one row per (experiment, question): the engine record, the extraction, correctness,
 *   timings, or the error. Each is committed as it completes, so a crash loses only work in flight.
 * - `sample_draws` (since version 3): with `samples_per_question` n > 1, each of a question's n
 *   samples (a draw, with its index and seed); the `samples` row then holds the vote: the first
 *   draw with the majority answer, its vote share, and the compute of all n.
 * - `generation_cache`: generations keyed by everything that determines them, as a pointer to the
 *   sample that holds the generation (so its text is stored once). Stores written before it have
 *   `response_cache` (the record as JSON), still read as a fallback.
 * - `experiment_sessions` (since version 4): one row per process that worked on an experiment (a resumed
 *   experiment has several): its active time and what it did, updated with every commit, so that a killed
 *   process's time counts up to its last committed sample.
 *
 * The columns are listed once, here: the store's DDL, its inserts, its reads (queries.ts) and the
 * viewer's temporary copies of the tables (m1-layout files loaded beside a store) are built from
 * these lists.
 */
export const STORE_FILE_NAME = "m1.sqlite";

/**
 * Read on every open (migrate.ts). 1: the first stores (some without `generation_cache`);
 * 2: `generation_cache` always present; 3: adaptive compute (stop reasons, probes, how answers
 * were decided, votes: new columns at the end of `samples` and `experiments`, `sample_draws`);
 * 4: `experiment_sessions`.
 */
export const STORE_SCHEMA_VERSION = 4;

export type ExperimentStatus = "running" | "finished" | "incomplete";

export interface Experiment {
  id: number;
  /** The m1 version directory relative to the output directory, e.g. `study/budget_1024-wait_0-seed_42/version_0`. */
  name: string;
  /** The experiment directory without the version, e.g. `study/budget_1024-wait_0-seed_42`. */
  exp_dir: string;
  version: number;
  model: string;
  thinking_budget: number;
  wait_rounds: number;
  seed: number;
  thinking_format: string;
  eval_data_path: string;
  total_samples: number;
  status: ExperimentStatus;
  /** The resolved configuration this experiment ran with (as written to its config.yaml). */
  config: Record<string, unknown>;
  created_at: string;
  finished_at: string | null;
  /** Independent samples per question, answered by majority vote (1: m1's single answer). */
  samples_per_question: number;
}

export type NewExperiment = Omit<
  Experiment,
  "id" | "status" | "created_at" | "finished_at" | "samples_per_question"
> &
  Partial<Pick<Experiment, "samples_per_question">>;

/** A probe as stored: the engine's, and whether its answer was right (scored as m1 would). */
export interface StoredProbe extends ProbeAnswer {
  correct: boolean;
}

export interface StoredQuestion {
  /** Identifies a question across experiments: a hash of source, question and options. */
  question_key: string;
  source: string;
  question: string;
  options: Record<string, string>;
  answer: string;
  answer_idx: string;
}

/** One evaluated sample: the engine record (m1's field names), the scoring, or the error. */
export interface StoredSample {
  experiment_id: number;
  /** Position of the question in the flattened eval file (m1's sample order). */
  sample_index: number;
  question_key: string;
  source: string;
  thinking_text: string | null;
  thinking_finish_reason: FinishReason | null;
  response_text: string | null;
  finish_reason: FinishReason | null;
  num_gen_tokens: number | null;
  num_keep_think_below_budget: number | null;
  num_min_thinking_waits: number | null;
  thinking_tokens: number | null;
  answer_tokens: number | null;
  prompt_tokens: number | null;
  evaluated_tokens: number | null;
  /** m1's `extracted_answer` (last \boxed content). */
  extracted_answer: string | null;
  /** m1's results-file `huatuo_extracted_answer`: match_choice on the whole response. */
  huatuo_extracted_answer: string | null;
  /** m1's scored-file `huatuo_extracted_answer`: match_choice on the extracted answer, or null. */
  scored_huatuo_extracted_answer: string | null;
  /** null when the sample failed. */
  correct: boolean | null;
  /** Why the sample failed after retries; null when it succeeded. */
  error: string | null;
  /** Whether the generation came from the response cache. */
  cached: boolean;
  started_at: string;
  elapsed_ms: number;
  /** Why thinking ended (null in stores from before version 3, and for failed samples). */
  stopped_by: StopReason | null;
  /** The answer probes (null without probes). */
  probe_answers: StoredProbe[] | null;
  /** Tokens the probes cost (all draws' with n samples). */
  probe_tokens_total: number | null;
  /** How the answer was read (scoring's cascade step). */
  decided_by: AnswerDecision | null;
  /** The option the answer names, as scoring read it (the vote's winner with n samples). */
  choice: string | null;
  /** With n samples: the share of them that voted for this answer; null with one sample. */
  vote_share: number | null;
  /** Every token generated for the question: thinking, inserted, answer and probes, all draws. */
  compute_tokens: number | null;
}

/** One of a question's n samples (`samples_per_question` > 1). */
export interface StoredDraw {
  experiment_id: number;
  sample_index: number;
  /** 0 .. n-1; draw 0 runs with the experiment's seed. */
  draw_index: number;
  seed: number;
  thinking_text: string | null;
  thinking_finish_reason: FinishReason | null;
  response_text: string | null;
  finish_reason: FinishReason | null;
  num_gen_tokens: number | null;
  num_keep_think_below_budget: number | null;
  num_min_thinking_waits: number | null;
  thinking_tokens: number | null;
  answer_tokens: number | null;
  prompt_tokens: number | null;
  evaluated_tokens: number | null;
  stopped_by: StopReason | null;
  probe_answers: StoredProbe[] | null;
  probe_tokens_total: number | null;
  extracted_answer: string | null;
  huatuo_extracted_answer: string | null;
  scored_huatuo_extracted_answer: string | null;
  /** The option this draw votes for (the scorer's reading). */
  choice: string | null;
  decided_by: AnswerDecision | null;
  correct: boolean | null;
  error: string | null;
  cached: boolean;
  started_at: string;
  elapsed_ms: number;
}

export type SessionOutcome = "finished" | "incomplete" | "interrupted";

/**
 * One process's work on one experiment (since version 4). Time is measured on the process's
 * monotonic clock from the session's start to its last commit (or its end), so the sum over an
 * experiment's sessions is its wall time without the gaps between a crash and the resume.
 */
export interface ExperimentSession {
  experiment_id: number;
  /** 0 for the process that created the experiment, then 1, 2, ... for each resume. */
  session_index: number;
  pid: number;
  started_at: string;
  /** The session's last commit (or its end). */
  last_active_at: string;
  /** Milliseconds from started_at to last_active_at. */
  active_ms: number;
  /** Samples answered without error in this session (cache hits included). */
  answered: number;
  /** Of those, how many came from the response cache. */
  cached: number;
  /** Sample attempts that failed in this session. */
  failed: number;
  /** Tokens generated in this session (m1's num_gen_tokens; cache hits excluded). */
  generated_tokens: number;
  /** How the session ended; null while it runs, or when its process was killed. */
  outcome: SessionOutcome | null;
}

/** One column: `type` is what every copy of the table has, `constraint` only the store's own. */
export interface StoreColumn {
  name: string;
  type: string;
  constraint?: string;
}

/** The columns of a row type: JSON objects are stored as `<name>_json` text. */
type ColumnNames<Row, Json extends keyof Row = never> =
  Exclude<keyof Row, Json> | `${Json & string}_json`;

/** True when `Columns` names exactly the columns of `Row` (nothing missing, nothing extra). */
type CoversExactly<Columns extends readonly StoreColumn[], Names> = [
  Exclude<Names, Columns[number]["name"]> | Exclude<Columns[number]["name"], Names>,
] extends [never]
  ? true
  : false;

export const EXPERIMENT_COLUMNS = [
  { name: "id", type: "INTEGER PRIMARY KEY" },
  { name: "name", type: "TEXT NOT NULL UNIQUE" },
  { name: "exp_dir", type: "TEXT NOT NULL" },
  { name: "version", type: "INTEGER NOT NULL" },
  { name: "model", type: "TEXT NOT NULL" },
  { name: "thinking_budget", type: "INTEGER NOT NULL" },
  { name: "wait_rounds", type: "INTEGER NOT NULL" },
  { name: "seed", type: "INTEGER NOT NULL" },
  { name: "thinking_format", type: "TEXT NOT NULL" },
  { name: "eval_data_path", type: "TEXT NOT NULL" },
  { name: "total_samples", type: "INTEGER NOT NULL" },
  {
    name: "status",
    type: "TEXT NOT NULL",
    constraint: "CHECK (status IN ('running', 'finished', 'incomplete'))",
  },
  { name: "config_json", type: "TEXT NOT NULL" },
  { name: "created_at", type: "TEXT NOT NULL" },
  { name: "finished_at", type: "TEXT" },
  // Version 3 (added at the end, where ALTER TABLE puts them).
  { name: "samples_per_question", type: "INTEGER NOT NULL DEFAULT 1" },
] as const satisfies readonly StoreColumn[];

export const QUESTION_COLUMNS = [
  { name: "question_key", type: "TEXT PRIMARY KEY" },
  { name: "source", type: "TEXT NOT NULL" },
  { name: "question", type: "TEXT NOT NULL" },
  { name: "options_json", type: "TEXT NOT NULL" },
  { name: "answer", type: "TEXT NOT NULL" },
  { name: "answer_idx", type: "TEXT NOT NULL" },
] as const satisfies readonly StoreColumn[];

/** A generation record's columns (m1's fields, then ours), in samples and draws alike. */
const GENERATION_COLUMNS = [
  { name: "thinking_text", type: "TEXT" },
  { name: "thinking_finish_reason", type: "TEXT" },
  { name: "response_text", type: "TEXT" },
  { name: "finish_reason", type: "TEXT" },
  { name: "num_gen_tokens", type: "INTEGER" },
  { name: "num_keep_think_below_budget", type: "INTEGER" },
  { name: "num_min_thinking_waits", type: "INTEGER" },
  { name: "thinking_tokens", type: "INTEGER" },
  { name: "answer_tokens", type: "INTEGER" },
  { name: "prompt_tokens", type: "INTEGER" },
  { name: "evaluated_tokens", type: "INTEGER" },
] as const satisfies readonly StoreColumn[];

/** The answer as scoring read it (m1's fields), in samples and draws alike. */
const EXTRACTED_COLUMNS = [
  { name: "extracted_answer", type: "TEXT" },
  { name: "huatuo_extracted_answer", type: "TEXT" },
  { name: "scored_huatuo_extracted_answer", type: "TEXT" },
] as const satisfies readonly StoreColumn[];

/** How a generation ended up: scored, failed, cached, when and how long. */
const OUTCOME_COLUMNS = [
  { name: "correct", type: "INTEGER" },
  { name: "error", type: "TEXT" },
  { name: "cached", type: "INTEGER NOT NULL DEFAULT 0" },
  { name: "started_at", type: "TEXT NOT NULL" },
  { name: "elapsed_ms", type: "REAL NOT NULL" },
] as const satisfies readonly StoreColumn[];

/** Why thinking ended and the answer probes (version 3). */
const PROBE_COLUMNS = [
  { name: "stopped_by", type: "TEXT" },
  { name: "probe_answers_json", type: "TEXT" },
  { name: "probe_tokens_total", type: "INTEGER" },
] as const satisfies readonly StoreColumn[];

export const SAMPLE_COLUMNS = [
  {
    name: "experiment_id",
    type: "INTEGER NOT NULL",
    constraint: "REFERENCES experiments (id) ON DELETE CASCADE",
  },
  { name: "sample_index", type: "INTEGER NOT NULL" },
  {
    name: "question_key",
    type: "TEXT NOT NULL",
    constraint: "REFERENCES questions (question_key)",
  },
  { name: "source", type: "TEXT NOT NULL" },
  ...GENERATION_COLUMNS,
  ...EXTRACTED_COLUMNS,
  ...OUTCOME_COLUMNS,
  // Version 3 (added at the end, where ALTER TABLE puts them).
  ...PROBE_COLUMNS,
  { name: "decided_by", type: "TEXT" },
  { name: "choice", type: "TEXT" },
  { name: "vote_share", type: "REAL" },
  { name: "compute_tokens", type: "INTEGER" },
] as const satisfies readonly StoreColumn[];

/** Since version 3. */
export const DRAW_COLUMNS = [
  {
    name: "experiment_id",
    type: "INTEGER NOT NULL",
    constraint: "REFERENCES experiments (id) ON DELETE CASCADE",
  },
  { name: "sample_index", type: "INTEGER NOT NULL" },
  { name: "draw_index", type: "INTEGER NOT NULL" },
  { name: "seed", type: "INTEGER NOT NULL" },
  ...GENERATION_COLUMNS,
  ...PROBE_COLUMNS,
  ...EXTRACTED_COLUMNS,
  { name: "choice", type: "TEXT" },
  { name: "decided_by", type: "TEXT" },
  ...OUTCOME_COLUMNS,
] as const satisfies readonly StoreColumn[];

export const SESSION_COLUMNS = [
  {
    name: "experiment_id",
    type: "INTEGER NOT NULL",
    constraint: "REFERENCES experiments (id) ON DELETE CASCADE",
  },
  { name: "session_index", type: "INTEGER NOT NULL" },
  { name: "pid", type: "INTEGER NOT NULL" },
  { name: "started_at", type: "TEXT NOT NULL" },
  { name: "last_active_at", type: "TEXT NOT NULL" },
  { name: "active_ms", type: "REAL NOT NULL" },
  { name: "answered", type: "INTEGER NOT NULL" },
  { name: "cached", type: "INTEGER NOT NULL" },
  { name: "failed", type: "INTEGER NOT NULL" },
  { name: "generated_tokens", type: "INTEGER NOT NULL" },
  {
    name: "outcome",
    type: "TEXT",
    constraint: "CHECK (outcome IN ('finished', 'incomplete', 'interrupted'))",
  },
] as const satisfies readonly StoreColumn[];

// The row types and the column lists cannot drift apart: these lines stop compiling if they do.
true satisfies CoversExactly<typeof EXPERIMENT_COLUMNS, ColumnNames<Experiment, "config">>;
true satisfies CoversExactly<typeof SESSION_COLUMNS, ColumnNames<ExperimentSession>>;
true satisfies CoversExactly<typeof QUESTION_COLUMNS, ColumnNames<StoredQuestion, "options">>;
true satisfies CoversExactly<typeof SAMPLE_COLUMNS, ColumnNames<StoredSample, "probe_answers">>;
true satisfies CoversExactly<typeof DRAW_COLUMNS, ColumnNames<StoredDraw, "probe_answers">>;

/** The tables every reader sees (the viewer also builds temporary copies of them). */
export const STORE_TABLES = {
  experiments: { columns: EXPERIMENT_COLUMNS, primaryKey: null, indexes: {} },
  questions: { columns: QUESTION_COLUMNS, primaryKey: null, indexes: {} },
  // A rowid table: rows carry whole generations (KBs), which WITHOUT ROWID tables store poorly.
  samples: {
    columns: SAMPLE_COLUMNS,
    primaryKey: "experiment_id, sample_index",
    indexes: { by_source: "experiment_id, source, correct", by_question: "question_key" },
  },
  sample_draws: {
    columns: DRAW_COLUMNS,
    primaryKey: "experiment_id, sample_index, draw_index",
    indexes: {},
  },
} as const;

export type StoreTableName = keyof typeof STORE_TABLES;

export const STORE_TABLE_LIST = Object.keys(STORE_TABLES) as StoreTableName[];

export function columnNames(table: StoreTableName): string[] {
  return STORE_TABLES[table].columns.map((column) => column.name);
}

/** `name TYPE [constraint]` per column. */
function columnDefinitions(columns: readonly StoreColumn[], constraints: boolean): string[] {
  return columns.map((column) =>
    [column.name, column.type, constraints ? column.constraint : undefined]
      .filter(Boolean)
      .join(" "),
  );
}

/**
 * `CREATE TABLE` and its indexes for one of the store's tables, under `as` (e.g. `temp.f_samples`
 * for the viewer's copy, which keeps types and keys but not the store's CHECK and REFERENCES).
 */
export function createTableSql(
  table: StoreTableName,
  options: { as?: string; constraints: boolean },
): string {
  const { columns, primaryKey, indexes } = STORE_TABLES[table];
  const target = options.as ?? table;
  const [schema, name] = target.includes(".") ? target.split(".") : [undefined, target];
  const definitions = columnDefinitions(columns, options.constraints);
  if (primaryKey) definitions.push(`PRIMARY KEY (${primaryKey})`);
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${target} (\n  ${definitions.join(",\n  ")}\n);`,
    ...Object.entries(indexes).map(
      ([suffix, on]) =>
        `CREATE INDEX IF NOT EXISTS ${schema ? `${schema}.` : ""}${name}_${suffix} ON ${name} (${on});`,
    ),
  ];
  return statements.join("\n");
}

/** `INSERT [OR ...] INTO target (columns) VALUES (@columns)`: rows bind by column name. */
export function insertSql(
  target: string,
  columns: readonly string[],
  conflict: "" | "OR IGNORE" | "OR REPLACE" = "",
): string {
  return (
    `INSERT ${conflict ? `${conflict} ` : ""}INTO ${target} (${columns.join(", ")}) ` +
    `VALUES (${columns.map((column) => `@${column}`).join(", ")})`
  );
}

/** What version 3 adds to a version-2 store (the new table comes with STORE_SCHEMA). */
export const VERSION_3_COLUMNS = {
  experiments: EXPERIMENT_COLUMNS.slice(-1),
  samples: SAMPLE_COLUMNS.slice(-7),
} as const;
/** Since version 4 (migrate.ts adds it to older stores); not among the tables the viewer copies. */
export const SESSIONS_TABLE = `
CREATE TABLE IF NOT EXISTS experiment_sessions (
  ${columnDefinitions(SESSION_COLUMNS, true).join(",\n  ")},
  PRIMARY KEY (experiment_id, session_index)
);`;

/** Since version 2 (migrate.ts adds it to older stores). */
export const GENERATION_CACHE_TABLE = `
CREATE TABLE IF NOT EXISTS generation_cache (
  key TEXT PRIMARY KEY,
  experiment_id INTEGER NOT NULL,
  sample_index INTEGER NOT NULL
) WITHOUT ROWID;`;

const OTHER_TABLES = `
CREATE TABLE IF NOT EXISTS response_cache (
  key TEXT PRIMARY KEY,
  record_json TEXT NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** The whole store at STORE_SCHEMA_VERSION (every statement IF NOT EXISTS). */
export const STORE_SCHEMA = [
  ...STORE_TABLE_LIST.map((table) => createTableSql(table, { constraints: true })),
  GENERATION_CACHE_TABLE,
  SESSIONS_TABLE,
  OTHER_TABLES,
].join("\n\n");
