import type { StoreQueries } from "../eval/store/index.js";

/**
 * The viewer's own indexes, kept in SQLite's temp schema (on disk in the temp directory), never
 * in the store:
 * - `question_fts`: FTS5 over question text and options (question search: ~1 ms at 10K
 *   questions where LIKE takes ~16 ms, see bench/view.ts);
 * - `outcomes`: one small row per sample (keys, source, correctness, extracted letter, tokens,
 *   how thinking stopped and how the answer was read)
 *   with the indexes the list filters need. In the store, `correct` and the other short columns
 *   are stored after the thinking text, so reading them from the samples table walks each
 *   sample's overflow pages; reading them once at start-up makes every list, count and flip
 *   filter an index-only query afterwards.
 */
export const INDEX_SCHEMA = `
CREATE VIRTUAL TABLE temp.question_fts USING fts5(question_key UNINDEXED, body, tokenize = 'unicode61');
CREATE TEMP TABLE outcomes (
  experiment_id INTEGER NOT NULL, sample_index INTEGER NOT NULL, question_key TEXT NOT NULL,
  source TEXT NOT NULL, correct INTEGER, failed INTEGER NOT NULL, extracted_answer TEXT,
  num_gen_tokens INTEGER, stopped_by TEXT, decided_by TEXT, vote_share REAL,
  probe_tokens_total INTEGER, compute_tokens INTEGER, thinking_finish_reason TEXT,
  PRIMARY KEY (experiment_id, sample_index)) WITHOUT ROWID;
CREATE INDEX temp.outcomes_by_question ON outcomes (question_key, experiment_id, correct);
CREATE INDEX temp.outcomes_by_source ON outcomes (experiment_id, source, correct, failed);
`;

export function buildQuestionIndex(queries: StoreQueries): void {
  const { db } = queries;
  const rows = queries.questionIdentities();
  const insert = db.prepare("INSERT INTO temp.question_fts (question_key, body) VALUES (?, ?)");
  db.transaction(() => {
    db.exec("DELETE FROM temp.question_fts");
    for (const row of rows) {
      let options = "";
      try {
        options = Object.values(JSON.parse(row.options_json) as Record<string, string>).join("\n");
      } catch {
        // A malformed options column only loses the options from search.
      }
      insert.run(row.question_key, `${row.question}\n${options}`);
    }
  })();
}

export function buildOutcomeIndex(queries: StoreQueries): void {
  const { db } = queries;
  db.transaction(() => {
    db.exec("DELETE FROM temp.outcomes");
    db.exec(
      `INSERT INTO temp.outcomes (experiment_id, sample_index, question_key, source, correct, failed,
         extracted_answer, num_gen_tokens, stopped_by, decided_by, vote_share, probe_tokens_total,
         compute_tokens, thinking_finish_reason) ${queries.sampleOutcomesSelect()}`,
    );
  })();
}
