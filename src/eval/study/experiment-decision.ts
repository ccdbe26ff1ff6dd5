import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BudgetForcingSettings } from "../../engine/budget-forcing.js";
import { M1_GENERATION_DEFAULTS } from "../../engine/generation-settings.js";
import { ConfigError } from "../../errors.js";
import { EVAL_CONFIG_KEYS, type EvalConfig } from "../config/schema.js";
import { nextVersion, versionDirName } from "../m1-layout/paths.js";
import type { ExperimentPoint } from "./plan.js";
import type { EvalStore, Experiment } from "../store/index.js";

/**
 * For one experiment of a study: whether to skip, resume or start it (and at which version_N),
 * the configuration it records, and the check that a resume does not change its settings.
 */
export type Decision =
  | { kind: "skip"; versionDir: string }
  | { kind: "resume"; experiment: Experiment }
  | { kind: "new"; version: number };

/** m1's rule (an existing exp is skipped unless overwrite) plus ours (an unfinished one resumes). */
export function decide(
  store: EvalStore | undefined,
  config: EvalConfig,
  point: ExperimentPoint,
): Decision {
  const versions = store?.experimentVersions(point.expDir) ?? [];
  const latest = versions.at(-1);
  const expDirAbs = join(config.output_dir, point.expDir);
  if (latest && latest.status !== "finished") return { kind: "resume", experiment: latest };
  if ((latest || existsSync(expDirAbs)) && !config.overwrite) {
    return { kind: "skip", versionDir: join(config.output_dir, latest?.name ?? point.expDir) };
  }
  // m1 takes the next free version_N directory; the store may know of one that is gone.
  const version = config.version ?? Math.max(nextVersion(expDirAbs), (latest?.version ?? -1) + 1);
  const versionDir = join(point.expDir, versionDirName(version));
  if (
    versions.some((experiment) => experiment.version === version) ||
    existsSync(join(config.output_dir, versionDir))
  ) {
    throw new ConfigError(`${versionDir} already exists`, {
      key: "version",
      fix: "leave version unset (null) to take the next free version",
    });
  }
  return { kind: "new", version };
}

/** The configuration one experiment records (its config.yaml and store row). */
export function runPointConfig(
  config: EvalConfig,
  point: ExperimentPoint,
  engine: BudgetForcingSettings,
  version: number,
): Record<string, unknown> {
  const { budgets: _b, wait_rounds: _w, seeds: _s, models: _m, api_key: _key, ...rest } = config;
  const values: Record<string, unknown> = {
    ...rest,
    // The delimiters actually used, so config.yaml reads like m1's.
    think_str: engine.thinkingFormat.thinkStart,
    start_answer_str: engine.thinkingFormat.answerPrefix,
    start_overthink_answer_str: engine.thinkingFormat.forcedAnswerPrefix,
    stop_strings: engine.thinkingFormat.stopStrings,
    model_path: point.model.model_path,
    tokenizer_path: point.model.tokenizer_path,
    backend: point.model.backend,
    base_url: point.model.base_url,
    launch: point.model.launch,
    model_name: point.model.model_name,
    chat_template: point.model.chat_template,
    thinking_format: point.model.thinking_format,
    model: point.model.label,
    max_new_tokens: point.thinkingBudget,
    keep_think_below_budget_times: point.waitRounds,
    seed: point.seed,
    samples_per_question: point.samplesPerQuestion,
    exp_name: point.expDir,
    version,
  };
  // m1's keys in m1's order (base.yaml), then ours, so config.yaml reads like m1's.
  const ordered: Record<string, unknown> = {};
  for (const key of [...EVAL_CONFIG_KEYS, ...Object.keys(values)]) {
    if (key in values && !(key in ordered)) ordered[key] = values[key];
  }
  return ordered;
}

/** Settings that determine generations: a resumed experiment must not silently change them. */
const RESUME_SENSITIVE_KEYS = [
  // In a sweep these name the experiment directory; a single experiment must check them.
  "max_new_tokens",
  "keep_think_below_budget_times",
  "seed",
  "eval_data_path",
  "eval_data_md5sum",
  "limit",
  "model_path",
  "model_name",
  "force_think",
  "thinking_format",
  "chat_template",
  "think_str",
  "start_answer_str",
  "start_overthink_answer_str",
  "stop_strings",
  "forced_close_message",
  "max_new_answer_tokens",
  "keep_think_below_budget_str",
  "min_thinking_tokens",
  "prefix_prompt",
  "prefix_prompt_delimiter",
  "suffix_prompt",
  "suffix_prompt_delimiter",
  "temperature",
  "top_p",
  "frequency_penalty",
  "probe_every",
  "probe_tokens",
  "early_exit_patience",
  "loop_cutoff",
  "samples_per_question",
] as const;

/**
 * What keys added after an experiment started meant for it: their defaults (else null).
 * Experiments from before `deterministic` and `exact_tokens` batched their questions and sent
 * text prompts.
 */
const LATER_KEY_DEFAULTS: Readonly<Record<string, unknown>> = {
  probe_tokens: M1_GENERATION_DEFAULTS.probe_tokens,
  samples_per_question: 1,
  deterministic: false,
  exact_tokens: false,
};

export function checkResumable(experiment: Experiment, config: Record<string, unknown>): void {
  const embedded = config.backend === "embedded";
  // How the backend runs changes generations too: the embedded engine's mode, a server's token ids.
  const backendKey = embedded ? "deterministic" : "exact_tokens";
  for (const key of [...RESUME_SENSITIVE_KEYS, backendKey]) {
    const before = JSON.stringify(experiment.config[key] ?? LATER_KEY_DEFAULTS[key] ?? null);
    const now = JSON.stringify(config[key] ?? null);
    if (before !== now) {
      throw new ConfigError(
        `experiment ${experiment.name} was started with ${key}=${before}, now ${now}`,
        { key, fix: "use the original value to resume, or a new exp_name / overwrite=True" },
      );
    }
  }
}
