/**
 * Rescoring an m1-format results file (what m1's score.py does): validate every sample, score it,
 * then write `<stem>.scored.json` and `metrics.json`. Nothing is written unless every sample is
 * valid and scored.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { InputError } from "../../errors.js";
import { writeFileAtomically } from "../../io/atomic.js";
import { pythonJsonDumps } from "../../python/json.js";
import { readRows, type Row } from "../../io/rows.js";
import { METRICS_FILE_NAME, resultsStem, scoredFileName } from "../m1-layout/paths.js";
import {
  averageAccuracy,
  computeMetrics,
  formatMetricsJson,
  sourcesInOrder,
  type Metrics,
} from "./metrics.js";
import { extractAnswer } from "./extract-answer.js";
import { matchChoiceDetailed } from "./match-choice.js";
import {
  answerDecision,
  judgeExtractedAnswer,
  optionStrOf,
  type AnswerDecision,
  type CorrectnessRule,
} from "./score-sample.js";

/** One sample of an m1 results file, as scoring reads it. */
export interface ResultSample {
  question: string;
  options: Record<string, string>;
  answer: string;
  answer_idx: string;
  source: string;
  response_text: string;
  /** Present in m1's files; rebuilt from `options` when absent. */
  option_str?: string;
}

/** One element of m1's `<stem>.scored.json`, fields in m1's order. */
export type ScoredRecord = {
  correct: boolean;
  extracted_answer: string;
  answer: string;
  source: string;
  option_str: string;
  question: string;
  /** score()'s value: match_choice on the extracted answer, or null when an earlier rule matched. */
  huatuo_extracted_answer: string | null;
};

export interface ScoredResults {
  records: ScoredRecord[];
  /** Which rule of score() decided each sample (same order as records). */
  rules: CorrectnessRule[];
  /** How each sample's answer was read (same order as records). */
  decisions: AnswerDecision[];
  metrics: Metrics;
  /** Sources in order of first appearance (m1's metrics.json order). */
  sources: string[];
}

const REQUIRED_STRING_FIELDS = [
  ["question", "the question text"],
  ["answer", "the correct option's text"],
  ["answer_idx", "the correct option's letter"],
  ["source", "the benchmark name"],
  ["response_text", "the model's output"],
] as const;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Checks one row of a results file; errors name the file, the item and the field. */
export function validateResultSample(row: Row, item: number, file: string): ResultSample {
  for (const [field, meaning] of REQUIRED_STRING_FIELDS) {
    const value = row[field];
    if (typeof value !== "string") {
      throw new InputError(
        value === undefined ? "missing" : `expected a string, got ${describe(value)}`,
        { file, item, field },
        `every sample needs ${field} (${meaning}) as a string`,
      );
    }
  }
  const options = row.options;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InputError(
      options === undefined ? "missing" : `expected an object, got ${describe(options)}`,
      { file, item, field: "options" },
      'give the options as an object such as {"A": "text", "B": "text"}',
    );
  }
  const entries = Object.entries(options);
  if (entries.length === 0) {
    throw new InputError("no options", { file, item, field: "options" }, "give at least one");
  }
  for (const [letter, text] of entries) {
    if (typeof text !== "string") {
      throw new InputError(
        `expected a string, got ${describe(text)}`,
        { file, item, field: `options.${letter}` },
        "option texts must be strings",
      );
    }
  }
  const answerIdx = row.answer_idx as string;
  if (!Object.hasOwn(options, answerIdx)) {
    throw new InputError(
      `'${answerIdx}' is not among the options ${Object.keys(options).join(", ")}`,
      { file, item, field: "answer_idx" },
      "answer_idx must be one of the option letters",
    );
  }
  const optionStr = row.option_str;
  if (optionStr !== undefined && optionStr !== null && typeof optionStr !== "string") {
    throw new InputError(
      `expected a string, got ${describe(optionStr)}`,
      { file, item, field: "option_str" },
      "remove it to have it rebuilt from options",
    );
  }
  return {
    question: row.question as string,
    options: options as Record<string, string>,
    answer: row.answer as string,
    answer_idx: answerIdx,
    source: row.source as string,
    response_text: row.response_text as string,
    ...(typeof optionStr === "string" ? { option_str: optionStr } : {}),
  };
}

/**
 * Scores validated rows as m1's score.py does: extraction recomputed from response_text, then the
 * cascade, which runs match_choice on the extracted answer only (the response-level match of m1's
 * inference is not part of score.py, so a file it could score is never refused here).
 */
export function scoreResults(rows: readonly Row[], file: string): ScoredResults {
  const samples = rows.map((row, item) => validateResultSample(row, item, file));
  const records: ScoredRecord[] = [];
  const rules: CorrectnessRule[] = [];
  const decisions: AnswerDecision[] = [];
  samples.forEach((sample, item) => {
    const optionStr = optionStrOf(sample);
    const extracted = extractAnswer(sample.response_text);
    let verdict: ReturnType<typeof judgeExtractedAnswer>;
    try {
      verdict = judgeExtractedAnswer(extracted, sample.answer, sample.answer_idx, () =>
        matchChoiceDetailed(extracted, optionStr),
      );
    } catch (error) {
      // match_choice found no option to fall back on (m1 itself crashes there): name the item.
      if (error instanceof InputError) {
        throw new InputError(
          "has no 'X. text' line, so no option can be matched",
          { file, item, field: "option_str" },
          "give the options one per line as 'A. text', or remove option_str",
        );
      }
      throw error;
    }
    rules.push(verdict.rule);
    decisions.push(answerDecision(verdict.rule, verdict.match));
    records.push({
      correct: verdict.correct,
      extracted_answer: extracted,
      answer: sample.answer,
      source: sample.source,
      option_str: optionStr,
      question: sample.question,
      huatuo_extracted_answer: verdict.scoredChoice,
    });
  });
  return {
    records,
    rules,
    decisions,
    metrics: computeMetrics(records),
    sources: sourcesInOrder(records),
  };
}

export interface ScoreFileOptions {
  /** Where to write; defaults to the results file's directory. */
  outDir?: string;
}

export interface ScoreFileResult {
  scoredPath: string;
  metricsPath: string;
  metrics: Metrics;
  /** Sources in order of first appearance. */
  sources: string[];
  /** Unweighted mean of per-source accuracies. */
  average: number | null;
  sampleCount: number;
  /** The file's rows and their scoring, in order (for summaries beyond m1's metrics). */
  rows: readonly Row[];
  scored: ScoredResults;
}

/**
 * Rescores an m1-format results file (a JSON list of samples) and writes `<stem>.scored.json`
 * (a JSON array in input order, m1's fields) and `metrics.json` (byte-identical to m1's).
 */
export async function scoreResultsFile(
  resultsPath: string,
  options: ScoreFileOptions = {},
): Promise<ScoreFileResult> {
  if (statSync(resultsPath, { throwIfNoEntry: false })?.isDirectory()) {
    throw new InputError(
      "is a folder, not a results file",
      { file: resultsPath },
      "give the results file m1 wrote, e.g. m1 score outputs/exp/version_0/medqa.json",
    );
  }
  const rows = await readRows(resultsPath);
  if (rows.length === 0) {
    throw new InputError("no samples to score", { file: resultsPath }, "check the file");
  }
  const scored = scoreResults(rows, resultsPath);
  const { records, metrics, sources } = scored;
  const outDir = options.outDir ?? dirname(resultsPath);
  // m1 swaps the results file's last suffix for `.scored.json`.
  const scoredPath = join(outDir, scoredFileName(resultsStem(resultsPath)));
  const metricsPath = join(outDir, METRICS_FILE_NAME);
  mkdirSync(outDir, { recursive: true });
  // Python's json.dump(indent=2) conventions, as `m1 eval` writes them: the same bytes either way.
  writeFileAtomically(scoredPath, pythonJsonDumps(records, 2));
  writeFileAtomically(metricsPath, formatMetricsJson(metrics, sources));
  return {
    scoredPath,
    metricsPath,
    metrics,
    sources,
    average: averageAccuracy(metrics, sources),
    sampleCount: records.length,
    rows,
    scored,
  };
}
