import { createHash } from "node:crypto";
import { basename, dirname, relative, sep } from "node:path";
import type Database from "better-sqlite3";
import { M1Error } from "../errors.js";
import { columnNames, insertSql, type StoreQueries } from "../eval/store/index.js";
import type { M1Sample } from "../eval/m1-layout/read.js";
import {
  numberSetting,
  readSamples,
  readVersionDirectory,
  stringSetting,
} from "../eval/m1-layout/read.js";
import { versionOf } from "../eval/m1-layout/paths.js";
import { readAdaptiveFields } from "../eval/m1-layout/adaptive-fields.js";

/**
 * Loads m1-layout version directories (m1's own outputs, or ours without a store) into the
 * viewer's temp tables `f_experiments`, `f_questions`, `f_samples`, one transaction per
 * experiment. Questions the store already holds (same source, question and options) keep the
 * store's question_key, so flips between a store experiment and a file experiment line up.
 */
export interface LoadResult {
  experiments: number;
  samples: number;
  notes: string[];
}

/** File experiments get ids far above any store's, so ids never collide. */
export const FILE_EXPERIMENT_ID_BASE = 1_000_000_000;

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function integer(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? Math.round(value) : null;
}

function options(record: Record<string, unknown>): Record<string, string> {
  const value = record.options;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, option]) => [key, String(option)]));
  }
  // The scored file has no options, only option_str ("A. text" lines).
  const optionStr = text(record.option_str) ?? "";
  const parsed: Record<string, string> = {};
  for (const line of optionStr.split("\n")) {
    const split = line.indexOf(". ");
    if (split > 0) parsed[line.slice(0, split).trim()] = line.slice(split + 2);
  }
  return parsed;
}

function fileQuestionKey(source: string, question: string, optionsJson: string): string {
  return `f:${createHash("sha1").update(`${source}\u0000${question}\u0000${optionsJson}`).digest("hex").slice(0, 24)}`;
}

/** The adaptive-compute columns of a results record (derived from m1's fields in m1's files). */
function fileAdaptiveColumns(record: Record<string, unknown>): Record<string, unknown> {
  const { probe_answers, ...fields } = readAdaptiveFields(record);
  return {
    ...fields,
    probe_answers_json: probe_answers === null ? null : JSON.stringify(probe_answers),
  };
}

/**
 * Loads the version directories; `store` (queries on the store alone) lends its question keys.
 * Rows bind by column name, so each insert lists the store's columns (schema.ts).
 */
export function loadM1Directories(
  db: Database.Database,
  root: string,
  versionDirs: readonly string[],
  store: StoreQueries | null,
): LoadResult {
  const result: LoadResult = { experiments: 0, samples: 0, notes: [] };
  if (versionDirs.length === 0) return result;
  const storeKeys = new Map<string, string>();
  for (const row of store?.questionIdentities() ?? []) {
    storeKeys.set(`${row.source}\u0000${row.question}\u0000${row.options_json}`, row.question_key);
  }
  const insertExperiment = db.prepare(insertSql("temp.f_experiments", columnNames("experiments")));
  const insertQuestion = db.prepare(
    insertSql("temp.f_questions", columnNames("questions"), "OR IGNORE"),
  );
  const insertSample = db.prepare(
    insertSql("temp.f_samples", columnNames("samples"), "OR REPLACE"),
  );

  for (const versionDir of versionDirs) {
    const name = relative(root, versionDir).split(sep).join("/") || basename(versionDir);
    let samples: M1Sample[];
    let directory;
    try {
      directory = readVersionDirectory(versionDir);
      samples = readSamples(directory);
    } catch (error) {
      if (!(error instanceof M1Error)) throw error;
      result.notes.push(`skipped ${name}: ${error.message}`);
      continue;
    }
    const id = FILE_EXPERIMENT_ID_BASE + result.experiments;
    const config = directory.config;
    db.transaction(() => {
      insertExperiment.run({
        id,
        name,
        exp_dir: dirname(name),
        version: versionOf(name) ?? 0,
        model: stringSetting(config, "model_path") ?? "",
        thinking_budget: integer(numberSetting(config, "max_new_tokens")) ?? 0,
        wait_rounds: integer(numberSetting(config, "keep_think_below_budget_times")) ?? 0,
        seed: integer(numberSetting(config, "seed")) ?? 0,
        thinking_format: "m1",
        eval_data_path: stringSetting(config, "eval_data_path") ?? "",
        total_samples: samples.length,
        status: "finished",
        config_json: JSON.stringify(config),
        created_at: "",
        finished_at: null,
        samples_per_question: integer(numberSetting(config, "samples_per_question")) ?? 1,
      });
      for (const sample of samples) {
        const { record } = sample;
        const source = text(record.source) ?? "normal";
        const question = text(record.question) ?? "";
        const optionsJson = JSON.stringify(options(record));
        const identity = `${source}\u0000${question}\u0000${optionsJson}`;
        let questionKey = storeKeys.get(identity);
        if (!questionKey) {
          questionKey = fileQuestionKey(source, question, optionsJson);
          insertQuestion.run({
            question_key: questionKey,
            source,
            question,
            options_json: optionsJson,
            answer: text(record.answer) ?? "",
            answer_idx: text(record.answer_idx) ?? "",
          });
        }
        insertSample.run({
          experiment_id: id,
          sample_index: sample.index,
          question_key: questionKey,
          source,
          thinking_text: text(record.thinking_text),
          thinking_finish_reason: text(record.thinking_finish_reason),
          response_text: text(record.response_text),
          finish_reason: text(record.finish_reason),
          num_gen_tokens: integer(record.num_gen_tokens),
          num_keep_think_below_budget: integer(record.num_keep_think_below_budget),
          num_min_thinking_waits: integer(record.num_min_thinking_waits),
          thinking_tokens: integer(record.thinking_tokens),
          answer_tokens: integer(record.answer_tokens),
          prompt_tokens: integer(record.prompt_tokens),
          evaluated_tokens: integer(record.evaluated_tokens),
          extracted_answer: text(record.extracted_answer),
          huatuo_extracted_answer: text(record.huatuo_extracted_answer),
          scored_huatuo_extracted_answer: sample.scoredHuatuoExtractedAnswer,
          correct: sample.correct === null ? null : sample.correct ? 1 : 0,
          error: null,
          cached: 0,
          started_at: "",
          elapsed_ms: 0,
          ...fileAdaptiveColumns(record),
        });
      }
    })();
    result.experiments++;
    result.samples += samples.length;
  }
  return result;
}
