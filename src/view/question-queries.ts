import { z } from "zod";
import type { DrawVote, SampleDetail, StoredQuestion, StoreQueries } from "../eval/store/index.js";

/**
 * The question list (filters, search, keyset paging) and one question in full. The list runs on
 * the viewer's small `outcomes` table (indexes.ts) and is anchored on the first selected
 * experiment: its rows are walked in sample_index order (the primary key), every other condition
 * is an EXISTS probe through the (question_key, experiment_id, correct) index, so a page reads
 * about `limit` anchor rows plus what the filters skip. Only the search in model output and the
 * opened question read the samples' text.
 */
export const questionQuerySchema = z.object({
  /** Experiments shown side by side; the first one anchors the list. */
  experiments: z.array(z.number().int()).min(1).max(32),
  source: z.string().min(1).optional(),
  correctness: z.enum(["correct", "incorrect"]).optional(),
  /** The experiment the correctness filter looks at (default: the anchor). */
  correctnessIn: z.number().int().optional(),
  flip: z
    .object({
      a: z.number().int(),
      b: z.number().int(),
      /** lost: right in A, wrong in B; gained: the reverse; any: either. */
      direction: z.enum(["lost", "gained", "any"]),
    })
    .optional(),
  search: z.string().max(200).optional(),
  /** question: FTS5 over question and options; responses: LIKE over thinking and answer texts. */
  searchIn: z.enum(["question", "responses"]).default("question"),
  after: z.number().int().default(-1),
  limit: z.number().int().min(1).max(200).default(50),
  /** Also count all matches (the first page asks; later pages do not need it). */
  withTotal: z.boolean().default(false),
});

export type QuestionQuery = z.infer<typeof questionQuerySchema>;

export interface QuestionOutcome {
  correct: boolean | null;
  extracted_answer: string | null;
  num_gen_tokens: number | null;
  error: boolean;
}

export interface QuestionListRow {
  sample_index: number;
  question_key: string;
  source: string;
  question_start: string;
  /** By experiment id; absent when that experiment has no sample for the question. */
  outcomes: Record<string, QuestionOutcome>;
}

export interface QuestionPage {
  rows: QuestionListRow[];
  /** Pass as `after` for the next page; null on the last page. */
  next_after: number | null;
  total: number | null;
}

/** FTS5 query from free text: every word must occur (the last one as a prefix); quotes escaped. */
export function ftsQuery(text: string): string | null {
  const words = text.match(/[\p{L}\p{N}]+/gu);
  if (!words || words.length === 0) return null;
  return words.map((word, index) => `"${word}"${index === words.length - 1 ? "*" : ""}`).join(" ");
}

interface WhereClause {
  sql: string;
  parameters: unknown[];
}

function filters(queries: StoreQueries, query: QuestionQuery): WhereClause | null {
  const anchor = query.experiments[0]!;
  const conditions = ["a.experiment_id = ?"];
  const parameters: unknown[] = [anchor];
  if (query.source) {
    conditions.push("a.source = ?");
    parameters.push(query.source);
  }
  if (query.correctness) {
    const wanted = query.correctness === "correct" ? 1 : 0;
    const target = query.correctnessIn ?? anchor;
    if (target === anchor) {
      conditions.push("a.correct = ?");
      parameters.push(wanted);
    } else {
      conditions.push(
        "EXISTS (SELECT 1 FROM temp.outcomes c WHERE c.question_key = a.question_key AND c.experiment_id = ? AND c.correct = ?)",
      );
      parameters.push(target, wanted);
    }
  }
  if (query.flip) {
    const probe =
      "EXISTS (SELECT 1 FROM temp.outcomes f WHERE f.question_key = a.question_key AND f.experiment_id = ? AND f.correct = ?)";
    const { a, b, direction } = query.flip;
    if (direction === "lost" || direction === "gained") {
      conditions.push(`${probe} AND ${probe}`);
      parameters.push(a, direction === "lost" ? 1 : 0, b, direction === "lost" ? 0 : 1);
    } else {
      conditions.push(`((${probe} AND ${probe}) OR (${probe} AND ${probe}))`);
      parameters.push(a, 1, b, 0, a, 0, b, 1);
    }
  }
  const search = query.search?.trim();
  if (search) {
    if (query.searchIn === "question") {
      const match = ftsQuery(search);
      if (match === null) return null; // nothing searchable: no row can match
      conditions.push(
        "a.question_key IN (SELECT question_key FROM temp.question_fts WHERE question_fts MATCH ?)",
      );
      parameters.push(match);
    } else {
      const condition = queries.responseSearchCondition("a", query.experiments, search);
      conditions.push(condition.sql);
      parameters.push(...condition.parameters);
    }
  }
  return { sql: conditions.join(" AND "), parameters };
}

const QUESTION_START_LENGTH = 180;

export function questionPage(queries: StoreQueries, query: QuestionQuery): QuestionPage {
  const { db } = queries;
  const where = filters(queries, query);
  if (!where) return { rows: [], next_after: null, total: query.withTotal ? 0 : null };
  const anchorRows = db
    .prepare(
      `SELECT a.sample_index, a.question_key, a.source FROM temp.outcomes a
       WHERE ${where.sql} AND a.sample_index > ? ORDER BY a.sample_index LIMIT ?`,
    )
    .all(...where.parameters, query.after, query.limit + 1) as Array<{
    sample_index: number;
    question_key: string;
    source: string;
  }>;
  const hasMore = anchorRows.length > query.limit;
  const pageRows = anchorRows.slice(0, query.limit);
  const total = query.withTotal
    ? (db
        .prepare(`SELECT COUNT(*) FROM temp.outcomes a WHERE ${where.sql}`)
        .pluck()
        .get(...where.parameters) as number)
    : null;
  if (pageRows.length === 0) return { rows: [], next_after: null, total };

  const keys = [...new Set(pageRows.map((row) => row.question_key))];
  const keyPlaceholders = keys.map(() => "?").join(", ");
  const experimentPlaceholders = query.experiments.map(() => "?").join(", ");
  const questionStarts = queries.questionStarts(keys, QUESTION_START_LENGTH);
  const outcomeRows = db
    .prepare(
      `SELECT experiment_id, question_key, correct, extracted_answer, num_gen_tokens, failed
       FROM temp.outcomes WHERE question_key IN (${keyPlaceholders}) AND experiment_id IN (${experimentPlaceholders})
       ORDER BY sample_index`,
    )
    .all(...keys, ...query.experiments) as Array<{
    experiment_id: number;
    question_key: string;
    correct: number | null;
    extracted_answer: string | null;
    num_gen_tokens: number | null;
    failed: number;
  }>;
  const outcomes = new Map<string, Record<string, QuestionOutcome>>();
  for (const row of outcomeRows) {
    const byExperiment = outcomes.get(row.question_key) ?? {};
    byExperiment[String(row.experiment_id)] ??= {
      correct: row.correct === null ? null : row.correct === 1,
      extracted_answer: row.extracted_answer,
      num_gen_tokens: row.num_gen_tokens,
      error: row.failed === 1,
    };
    outcomes.set(row.question_key, byExperiment);
  }
  return {
    rows: pageRows.map((row) => ({
      sample_index: row.sample_index,
      question_key: row.question_key,
      source: row.source,
      question_start: questionStarts.get(row.question_key) ?? "",
      outcomes: outcomes.get(row.question_key) ?? {},
    })),
    next_after: hasMore ? pageRows[pageRows.length - 1]!.sample_index : null,
    total,
  };
}

export interface QuestionDetail extends StoredQuestion {
  /** By experiment id: the full sample, or null when that experiment did not answer it. */
  samples: Record<string, (SampleDetail & { votes: DrawVote[] }) | null>;
}

export function questionDetail(
  queries: StoreQueries,
  questionKey: string,
  experiments: readonly number[],
): QuestionDetail | null {
  const question = queries.question(questionKey);
  if (!question) return null;
  const samples: QuestionDetail["samples"] = {};
  for (const experimentId of experiments) {
    const sample = queries.sampleDetail(questionKey, experimentId);
    samples[String(experimentId)] = sample
      ? {
          ...sample,
          // With n samples per question: each sample's vote.
          votes:
            sample.vote_share === null ? [] : queries.drawVotes(experimentId, sample.sample_index),
        }
      : null;
  }
  return { ...question, samples };
}
