import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { InputError } from "../errors.js";
import { EvalStore, STORE_FILE_NAME } from "../eval/store/index.js";
import type { ReportExperiment } from "./experiments.js";
import { adaptiveSetupOf, naturalCompare, storedExperimentFields } from "./experiments.js";
import { METRICS_FILE_NAME } from "../eval/m1-layout/paths.js";
import { numberSetting, readVersionDirectory, stringSetting } from "../eval/m1-layout/read.js";

/**
 * Finds every experiment under the directories given: evaluation stores (`m1.sqlite`) and m1-layout
 * version directories (a `metrics.json`, as m1's gather_results looks for them). An experiment the
 * store holds and that also exists as files is listed once, from the store, which has more detail.
 */
export interface FoundLocations {
  stores: string[];
  versionDirs: string[];
}

const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git"]);

/** Walks a tree for stores and metrics.json (symlinked directories are not followed). */
export function findLocations(root: string): FoundLocations {
  const found: FoundLocations = { stores: [], versionDirs: [] };
  const stat = statSync(root);
  if (stat.isFile()) {
    if (basename(root) === STORE_FILE_NAME) found.stores.push(resolve(root));
    else if (basename(root) === METRICS_FILE_NAME) found.versionDirs.push(resolve(dirname(root)));
    return found;
  }
  const pending = [resolve(root)];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      continue; // unreadable directory: nothing we could report from it anyway
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) {
        pending.push(join(directory, entry.name));
      } else if (entry.isFile() && entry.name === STORE_FILE_NAME) {
        found.stores.push(join(directory, entry.name));
      } else if (entry.isFile() && entry.name === METRICS_FILE_NAME) {
        found.versionDirs.push(directory);
      }
    }
  }
  found.stores.sort();
  found.versionDirs.sort();
  return found;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

function storeExperiments(
  storePath: string,
  givenDir: string,
  givenAsTyped: string,
): ReportExperiment[] {
  using store = EvalStore.open(storePath, { readonly: true });
  const storeDir = dirname(storePath);
  const prefix = toPosix(relative(givenDir, storeDir));
  return store.listExperiments().map((experiment) => {
    const versionDir = resolve(storeDir, experiment.name);
    const label = prefix === "" ? experiment.name : `${prefix}/${experiment.name}`;
    return {
      label,
      versionDir,
      expName: basename(experiment.exp_dir),
      metricsPath: join(givenAsTyped, relative(givenDir, versionDir), METRICS_FILE_NAME),
      ...storedExperimentFields(experiment),
      adaptive: adaptiveSetupOf(experiment.config),
      sources: store.sourceCounts(experiment.id),
      origin: { kind: "store", storePath, experimentId: experiment.id },
    };
  });
}

function fileExperiment(
  versionDir: string,
  givenDir: string,
  givenAsTyped: string,
): ReportExperiment {
  const directory = readVersionDirectory(versionDir);
  const relativePath = toPosix(relative(givenDir, versionDir));
  return {
    label: relativePath === "" ? toPosix(givenAsTyped) : relativePath,
    versionDir,
    expName: basename(dirname(versionDir)),
    metricsPath: join(givenAsTyped, relativePath, METRICS_FILE_NAME),
    model: stringSetting(directory.config, "model_path"),
    thinkingBudget: numberSetting(directory.config, "max_new_tokens"),
    waitRounds: numberSetting(directory.config, "keep_think_below_budget_times"),
    seed: numberSetting(directory.config, "seed"),
    status: null,
    samplesPerQuestion: numberSetting(directory.config, "samples_per_question") ?? 1,
    adaptive: adaptiveSetupOf(directory.config),
    sources: directory.sources,
    origin: { kind: "files", versionDir },
  };
}

/** Every experiment under the directories, deduplicated, labels unique, in natural label order. */
export function discoverExperiments(directories: readonly string[]): ReportExperiment[] {
  const byVersionDir = new Map<string, ReportExperiment>();
  for (const given of directories) {
    if (!existsSync(given)) {
      throw new InputError(
        "no such file or directory",
        { file: given },
        "give an output directory of `m1 eval`",
      );
    }
    const givenDir = statSync(given).isFile() ? dirname(resolve(given)) : resolve(given);
    const { stores, versionDirs } = findLocations(given);
    const found: ReportExperiment[] = [];
    for (const storePath of stores) found.push(...storeExperiments(storePath, givenDir, given));
    const fromStores = new Set(found.map((experiment) => experiment.versionDir));
    for (const versionDir of versionDirs) {
      if (!fromStores.has(versionDir)) found.push(fileExperiment(versionDir, givenDir, given));
    }
    if (found.length === 0) {
      throw new InputError(
        `no experiments found (no ${STORE_FILE_NAME} and no version_N/${METRICS_FILE_NAME} below it)`,
        { file: given },
        "point at the output directory of `m1 eval` or of m1's inference script",
      );
    }
    for (const experiment of found) {
      const earlier = byVersionDir.get(experiment.versionDir);
      // The same directory given twice, or found as files after its store: keep the store's.
      if (!earlier || (earlier.origin.kind === "files" && experiment.origin.kind === "store")) {
        byVersionDir.set(experiment.versionDir, experiment);
      }
    }
  }
  return disambiguateLabels([...byVersionDir.values()]).sort((a, b) =>
    naturalCompare(a.label, b.label),
  );
}

/** Two directories given can hold the same relative names; then show the full paths. */
function disambiguateLabels(experiments: ReportExperiment[]): ReportExperiment[] {
  const counts = new Map<string, number>();
  for (const { label } of experiments) counts.set(label, (counts.get(label) ?? 0) + 1);
  return experiments.map((experiment) =>
    counts.get(experiment.label)! > 1
      ? { ...experiment, label: toPosix(relative(process.cwd(), experiment.versionDir)) }
      : experiment,
  );
}

/**
 * Finds one experiment by what a user would type: its label, its path (relative to the current
 * directory or absolute), or an unambiguous part of its label.
 */
export function resolveExperiment(
  experiments: readonly ReportExperiment[],
  query: string,
): ReportExperiment {
  const trimmed = query.replace(/\/+$/, "");
  const exact = experiments.find(
    (experiment) => experiment.label === trimmed || experiment.versionDir === resolve(trimmed),
  );
  if (exact) return exact;
  const partial = experiments.filter((experiment) => experiment.label.includes(trimmed));
  if (partial.length === 1) return partial[0]!;
  const names = (partial.length > 0 ? partial : experiments).slice(0, 8).map((e) => e.label);
  throw new InputError(
    partial.length === 0
      ? `no experiment matches '${query}'`
      : `'${query}' matches ${partial.length} experiments`,
    { field: "--compare" },
    `name one of: ${names.join(", ")}${experiments.length > 8 ? ", ..." : ""}`,
  );
}
