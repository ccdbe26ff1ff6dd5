import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError } from "../../errors.js";
import type { SourceCounts } from "../store/index.js";
import { parseJsonRecords } from "./json-records.js";
import {
  CONFIG_FILE_NAME,
  METRICS_FILE_NAME,
  resultsFileName,
  resultsStem,
  scoredFileName,
  stemOfScoredFile,
} from "./paths.js";
import { readTextFile } from "../../io/text-file.js";
import { describeInvalid } from "../../config/index.js";

/**
 * Reads one m1-layout version directory (`{output_dir}/{exp_name}/version_{N}/`, names in
 * paths.ts), as m1's inference script and our eval runner both write it: `config.yaml`,
 * `metrics.json`, `<stem>.json` (every sample with m1's fields) and `<stem>.scored.json`
 * (correctness).
 */

const metricsSchema = z.record(
  z.string(),
  z.object({
    correct_count: z.number().int().nonnegative(),
    total_count: z.number().int().nonnegative(),
    accuracy: z.number(),
  }),
);

export interface M1VersionDirectory {
  versionDir: string;
  config: Record<string, unknown>;
  sources: SourceCounts[];
  /** `<stem>.json`, when present. */
  resultsPath: string | null;
  /** `<stem>.scored.json`, when present. */
  scoredPath: string | null;
}

export function readMetrics(metricsPath: string): SourceCounts[] {
  const text = readTextFile(
    metricsPath,
    (error) =>
      new InputError(
        `cannot read metrics: ${error.message}`,
        { file: metricsPath },
        "re-run `m1 score` on this directory, or delete it",
      ),
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `cannot read metrics: ${(error as Error).message}`,
      { file: metricsPath },
      "re-run `m1 score` on this directory, or delete it",
    );
  }
  const result = metricsSchema.safeParse(parsed);
  if (!result.success) {
    const { key, problem } = describeInvalid(metricsSchema, parsed, result.error);
    throw new InputError(
      `not an m1 metrics file (${key}: ${problem})`,
      { file: metricsPath },
      "expected {source: {correct_count, total_count, accuracy}}; re-run `m1 score` on this directory",
    );
  }
  return Object.entries(result.data).map(([source, counts]) => ({
    source,
    correct_count: counts.correct_count,
    total_count: counts.total_count,
  }));
}

function readConfig(versionDir: string): Record<string, unknown> {
  const configPath = join(versionDir, CONFIG_FILE_NAME);
  if (!existsSync(configPath)) return {};
  const text = readTextFile(
    configPath,
    (error) => new InputError(`cannot read config.yaml: ${error.message}`, { file: configPath }),
  );
  try {
    const parsed: unknown = parseYaml(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch (error) {
    throw new InputError(
      `config.yaml is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
      { file: configPath },
      "fix or restore the file",
    );
  }
}

/** The results stem: `eval_data_path`'s file name without extension, else the scored file's. */
function resultStem(versionDir: string, config: Record<string, unknown>): string | null {
  const evalDataPath = config.eval_data_path;
  if (typeof evalDataPath === "string" && evalDataPath !== "") {
    const stem = resultsStem(evalDataPath);
    if (existsSync(join(versionDir, scoredFileName(stem)))) return stem;
    if (existsSync(join(versionDir, resultsFileName(stem)))) return stem;
  }
  const stems = readdirSync(versionDir).flatMap((name) => stemOfScoredFile(name) ?? []);
  return stems.length === 1 ? stems[0]! : null;
}

export function readVersionDirectory(versionDir: string): M1VersionDirectory {
  const config = readConfig(versionDir);
  const sources = readMetrics(join(versionDir, METRICS_FILE_NAME));
  const stem = resultStem(versionDir, config);
  const resultsPath = stem === null ? null : join(versionDir, resultsFileName(stem));
  const scoredPath = stem === null ? null : join(versionDir, scoredFileName(stem));
  return {
    versionDir,
    config,
    sources,
    resultsPath: resultsPath && existsSync(resultsPath) ? resultsPath : null,
    scoredPath: scoredPath && existsSync(scoredPath) ? scoredPath : null,
  };
}

export function numberSetting(config: Record<string, unknown>, key: string): number | null {
  const value = config[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function stringSetting(config: Record<string, unknown>, key: string): string | null {
  const value = config[key];
  return typeof value === "string" && value !== "" ? value : null;
}

/** m1 writes booleans; 0/1 from other writers is accepted too. */
function asBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  return null;
}

export function readRecords(path: string): Record<string, unknown>[] {
  const text = readTextFile(
    path,
    (error) => new InputError(`cannot read the results: ${error.message}`, { file: path }),
  );
  return parseJsonRecords(text, path);
}

/**
 * The samples of a version directory with their correctness: `<stem>.json` record i and
 * `<stem>.scored.json` record i are the same question (m1 scores the results in order).
 * Either file alone is enough for what it holds; `null` fields are unknown.
 */
export interface M1Sample {
  index: number;
  record: Record<string, unknown>;
  correct: boolean | null;
  scoredHuatuoExtractedAnswer: string | null;
}

export function readSamples(directory: M1VersionDirectory): M1Sample[] {
  const { resultsPath, scoredPath, versionDir } = directory;
  if (!resultsPath && !scoredPath) {
    throw new InputError(
      "no per-sample results (<stem>.json or <stem>.scored.json) next to metrics.json",
      { file: versionDir },
      "point at a complete experiment directory, or re-run it",
    );
  }
  const results = resultsPath ? readRecords(resultsPath) : null;
  const scored = scoredPath ? readRecords(scoredPath) : null;
  if (results && scored && results.length !== scored.length) {
    throw new InputError(
      `${results.length} results but ${scored.length} scored records`,
      { file: scoredPath! },
      "re-run `m1 score` on this directory",
    );
  }
  const count = (results ?? scored)!.length;
  return Array.from({ length: count }, (_, index) => {
    const scoredRecord = scored?.[index];
    const record = { ...(scoredRecord ?? {}), ...(results?.[index] ?? {}) };
    const correct = scoredRecord?.correct ?? record.correct;
    const huatuo = scoredRecord?.huatuo_extracted_answer;
    return {
      index,
      record,
      correct: asBoolean(correct),
      scoredHuatuoExtractedAnswer: typeof huatuo === "string" ? huatuo : null,
    };
  });
}
