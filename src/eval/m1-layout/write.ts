import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import YAML, { isScalar } from "yaml";
import { writeFileAtomically } from "../../io/atomic.js";
import { pythonJsonDumps } from "../../python/json.js";
import { formatMetricsJson } from "../scoring/index.js";
import type { EvalSample } from "../datasets/types.js";
import { buildOptionStr, buildSamplePrompt, type QueryPromptSettings } from "../prompt.js";
import type { EvalStore, Experiment } from "../store/index.js";
import { CONFIG_FILE_NAME, LOG_FILE_NAME, m1LayoutPaths } from "./paths.js";
import { adaptiveFieldsForFile } from "./adaptive-fields.js";
import { formatRuntime } from "./run-log.js";

/**
 * Writes m1's output layout for one experiment (names in paths.ts) as m1's Python writes it:
 * config.yaml, log.txt, `{stem}.json` (all samples), `{stem}.scored.json` and metrics.json.
 */

const TEMPORARY_SUFFIX = /\.tmp-\d+$/;

/** Remove what a killed run left half-written (`name.tmp-PID`), so a resumed run ends clean. */
export function removeTemporaryFiles(versionDir: string): void {
  if (!existsSync(versionDir)) return;
  for (const name of readdirSync(versionDir)) {
    if (TEMPORARY_SUFFIX.test(name)) rmSync(join(versionDir, name), { force: true });
  }
}

/** Keys whose values are floats in m1's config (OmegaConf writes `0.0`, JavaScript `0`). */
const FLOAT_KEYS = ["mem_fraction_static", "temperature", "frequency_penalty", "top_p"];

export function writeConfigYaml(versionDir: string, config: Record<string, unknown>): void {
  mkdirSync(versionDir, { recursive: true });
  const document = new YAML.Document(config);
  for (const key of FLOAT_KEYS) {
    const node = document.get(key, true);
    if (isScalar(node) && typeof node.value === "number") node.minFractionDigits = 1;
  }
  writeFileAtomically(join(versionDir, CONFIG_FILE_NAME), document.toString({ lineWidth: 0 }));
}

/** Python's `str(datetime.now())`: `2025-03-12 02:27:29.123456` (microseconds omitted when 0). */
export function pythonDatetime(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const base =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const micros = date.getMilliseconds() * 1000;
  return micros === 0 ? base : `${base}.${pad(micros, 6)}`;
}

export function logStart(versionDir: string, at: Date, resumed: boolean): void {
  mkdirSync(versionDir, { recursive: true });
  const line = `${resumed ? "Resume time" : "Start time"}: ${pythonDatetime(at)}\n`;
  if (resumed) appendFileSync(join(versionDir, LOG_FILE_NAME), line);
  else writeFileSync(join(versionDir, LOG_FILE_NAME), line);
}

/**
 * m1's closing lines. The runtime is the experiment's (for a resumed one, summed over the
 * processes that ran it, which m1's gather_time then reads), printed as m1 prints it
 * (`timedelta.seconds`, so whole days are dropped).
 */
export function logEnd(
  versionDir: string,
  endedAt: Date,
  runtimeMs: number,
  notes: string[] = [],
): void {
  const runtime = formatRuntime(Math.floor(runtimeMs / 1000) % 86_400);
  appendFileSync(
    join(versionDir, LOG_FILE_NAME),
    notes.map((note) => `${note}\n`).join("") +
      `End time: ${pythonDatetime(endedAt)}\nScript runtime: ${runtime}\n`,
  );
}

export interface M1FileInputs {
  store: EvalStore;
  experiment: Experiment;
  versionDir: string;
  /** The experiment's samples (by sample index): extra item fields and m1's `input_str`. */
  samples: readonly EvalSample[];
  prompt: QueryPromptSettings;
}

/** The eval item's own fields as m1 dumps them: in the file's key order, extras included. */
function itemFieldsInFileOrder(
  question: {
    question: string;
    options: Record<string, string>;
    answer: string;
    answer_idx: string;
  },
  sample: EvalSample | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    ...sample?.extra,
    question: question.question,
    options: question.options,
    answer: question.answer,
    answer_idx: question.answer_idx,
  };
  const order = sample?.fieldOrder ?? ["question", "options", "answer", "answer_idx"];
  const ordered: Record<string, unknown> = {};
  for (const key of order) if (key in fields) ordered[key] = fields[key];
  for (const [key, value] of Object.entries(fields)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}

/**
 * Write `{stem}.json`, `{stem}.scored.json` and metrics.json from the store. Failed samples are
 * left out of all three (m1 has no such state); the log says how many.
 */
export function writeM1Results(inputs: M1FileInputs): {
  results: string;
  scored: string;
  metrics: string;
} {
  const { store, experiment, versionDir } = inputs;
  const rows = store.samplesWithQuestions(experiment.id).filter((row) => row.error === null);
  const optionStr = buildOptionStr;

  const results = rows.map((row) => {
    const sample = inputs.samples[row.sample_index];
    return {
      ...itemFieldsInFileOrder(row.question, sample),
      source: row.source,
      option_str: optionStr(row.question.options),
      input_str: sample ? buildSamplePrompt(sample, inputs.prompt) : null,
      thinking_text: row.thinking_text,
      thinking_finish_reason: row.thinking_finish_reason,
      response_text: row.response_text,
      finish_reason: row.finish_reason,
      extracted_answer: row.extracted_answer,
      huatuo_extracted_answer: row.huatuo_extracted_answer,
      num_gen_tokens: row.num_gen_tokens,
      num_keep_think_below_budget: row.num_keep_think_below_budget,
      // Ours, after m1's fields.
      num_min_thinking_waits: row.num_min_thinking_waits,
      thinking_tokens: row.thinking_tokens,
      answer_tokens: row.answer_tokens,
      prompt_tokens: row.prompt_tokens,
      ...(row.evaluated_tokens === null ? {} : { evaluated_tokens: row.evaluated_tokens }),
      ...adaptiveFieldsForFile(
        row,
        row.vote_share === null ? [] : store.read.drawVotes(experiment.id, row.sample_index),
      ),
    };
  });
  const scored = rows.map((row) => ({
    correct: row.correct,
    extracted_answer: row.extracted_answer,
    answer: row.question.answer,
    source: row.source,
    option_str: optionStr(row.question.options),
    question: row.question.question,
    huatuo_extracted_answer: row.scored_huatuo_extracted_answer,
  }));
  const counts = store.sourceCounts(experiment.id);
  const metrics = Object.fromEntries(
    counts.map((count) => [
      count.source,
      {
        correct_count: count.correct_count,
        total_count: count.total_count,
        accuracy: count.correct_count / count.total_count,
      },
    ]),
  );

  const paths = m1LayoutPaths(versionDir, experiment.eval_data_path);
  writeFileAtomically(paths.results, pythonJsonDumps(results, 2));
  writeFileAtomically(paths.scored, pythonJsonDumps(scored, 2));
  writeFileAtomically(
    paths.metrics,
    formatMetricsJson(
      metrics,
      counts.map((count) => count.source),
    ),
  );
  return { results: paths.results, scored: paths.scored, metrics: paths.metrics };
}
