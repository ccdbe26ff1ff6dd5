import type { ReportExperiment, SweepParameter } from "./experiments.js";
import { naturalCompare, parameterValue, shortModelName, strategyTag } from "./experiments.js";

/** Every source in first-seen order across experiments (m1's eval file order). */
export function sourceNames(experiments: readonly ReportExperiment[]): string[] {
  const names: string[] = [];
  for (const experiment of experiments) {
    for (const { source } of experiment.sources) if (!names.includes(source)) names.push(source);
  }
  return names;
}

export interface ExperimentGroup {
  /** What the members share, e.g. `model=m1-7B-23K wait_rounds=0 seed=42`. */
  title: string;
  parameter: SweepParameter;
  members: Array<{ value: number | string | null; experiment: ReportExperiment }>;
}

const GROUPING_KEYS: Record<SweepParameter, SweepParameter[]> = {
  budget: ["model", "wait_rounds"],
  wait_rounds: ["model", "budget"],
  model: ["budget", "wait_rounds"],
};

function compareValues(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  if (a === null) return 1; // unknown values last
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return naturalCompare(String(a), String(b));
}

function describe(parameter: SweepParameter, value: number | string | null): string {
  const shown = parameter === "model" ? shortModelName(value as string | null) : (value ?? "-");
  return `${parameter}=${shown}`;
}

/**
 * The directory that holds an experiment's directory (`{study}/{model}` for
 * `{study}/{model}/budget_B-wait_K-seed_S/version_N`, m1's `{output_dir}` for
 * `{output_dir}/{exp_name}/version_N`): separate studies with equal settings stay apart.
 */
export function studyDirectory(label: string): string {
  const parts = label.split("/");
  return parts.length > 2 ? parts.slice(0, -2).join("/") : "";
}

/**
 * Groups experiments that differ only along `parameter` (same study directory, other sweep
 * parameters and seed),
 * members sorted by the parameter numerically (models by name), groups by their first member.
 */
export function groupExperiments(
  experiments: readonly ReportExperiment[],
  parameter: SweepParameter,
): ExperimentGroup[] {
  const groups = new Map<string, ExperimentGroup>();
  for (const experiment of experiments) {
    const shared = GROUPING_KEYS[parameter].map((key) =>
      describe(key, parameterValue(experiment, key)),
    );
    shared.push(`seed=${experiment.seed ?? "-"}`);
    // n samples, early exit or a loop cut-off make a different strategy: never one sweep.
    const tag = strategyTag(experiment);
    if (tag) shared.push(tag);
    const parent = studyDirectory(experiment.label);
    const title = parent ? `${parent} · ${shared.join(" ")}` : shared.join(" ");
    let group = groups.get(title);
    if (!group) {
      group = { title, parameter, members: [] };
      groups.set(title, group);
    }
    group.members.push({ value: parameterValue(experiment, parameter), experiment });
  }
  const sorted = [...groups.values()];
  for (const group of sorted) {
    group.members.sort(
      (a, b) =>
        compareValues(a.value, b.value) || naturalCompare(a.experiment.label, b.experiment.label),
    );
  }
  return sorted.sort((a, b) => naturalCompare(a.title, b.title));
}
