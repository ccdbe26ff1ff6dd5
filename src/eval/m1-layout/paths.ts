import { existsSync, readdirSync } from "node:fs";
import { basename, extname, join } from "node:path";

/**
 * m1's output layout (reference section 6), named once for the writer (write.ts), the readers
 * (read.ts, reports, the viewer) and `m1 score`:
 *
 *   {output_dir}/{exp_name}/version_{N}/
 *     config.yaml  log.txt  {stem}.json  {stem}.scored.json  metrics.json
 *
 * where `{stem}` is the eval file's name without its extension.
 */
export const CONFIG_FILE_NAME = "config.yaml";
export const LOG_FILE_NAME = "log.txt";
export const METRICS_FILE_NAME = "metrics.json";
const RESULTS_SUFFIX = ".json";
const SCORED_SUFFIX = ".scored.json";
const VERSION_PREFIX = "version_";

/** The files of the layout, as help and summaries list them. */
export const M1_LAYOUT_FILES = [
  CONFIG_FILE_NAME,
  LOG_FILE_NAME,
  `*${RESULTS_SUFFIX}`,
  `*${SCORED_SUFFIX}`,
  METRICS_FILE_NAME,
] as const;

/** `version_{N}`. */
export function versionDirName(version: number): string {
  return `${VERSION_PREFIX}${version}`;
}

/** N of a `version_{N}` directory name (or path ending in one); null for any other name. */
export function versionOf(path: string): number | null {
  const match = /(?:^|[/\\])version_(\d+)$/.exec(path);
  return match ? Number(match[1]) : null;
}

/** m1's `_get_next_version`: one more than the highest `version_N` directory, else 0. */
export function nextVersion(expDir: string): number {
  if (!existsSync(expDir)) return 0;
  const versions = readdirSync(expDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith(VERSION_PREFIX))
    .map((entry) => entry.name.split("_")[1]!)
    .filter((suffix) => /^\d+$/.test(suffix))
    .map(Number);
  return versions.length === 0 ? 0 : Math.max(...versions) + 1;
}

/** `{stem}`: a file's name without its last extension (the eval file's stem names the results). */
export function resultsStem(path: string): string {
  return basename(path, extname(path));
}

/** `{stem}.json`: every sample with m1's fields. */
export function resultsFileName(stem: string): string {
  return `${stem}${RESULTS_SUFFIX}`;
}

/** `{stem}.scored.json`: m1's score.py output for `{stem}.json`. */
export function scoredFileName(stem: string): string {
  return `${stem}${SCORED_SUFFIX}`;
}

/** The stem of a `{stem}.scored.json` name; null for any other name. */
export function stemOfScoredFile(name: string): string | null {
  return name.endsWith(SCORED_SUFFIX) ? name.slice(0, -SCORED_SUFFIX.length) : null;
}

export interface M1LayoutPaths {
  config: string;
  log: string;
  results: string;
  scored: string;
  metrics: string;
}

/** The files of one version directory, the results named after the eval file. */
export function m1LayoutPaths(versionDir: string, evalDataPath: string): M1LayoutPaths {
  const stem = resultsStem(evalDataPath);
  return {
    config: join(versionDir, CONFIG_FILE_NAME),
    log: join(versionDir, LOG_FILE_NAME),
    results: join(versionDir, resultsFileName(stem)),
    scored: join(versionDir, scoredFileName(stem)),
    metrics: join(versionDir, METRICS_FILE_NAME),
  };
}
