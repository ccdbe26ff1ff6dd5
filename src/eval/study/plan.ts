import { basename, join } from "node:path";
import { BACKEND_CONFIG_KEYS, chooseBackend } from "../../backends/choice.js";
import { ConfigError } from "../../errors.js";
import type { EvalConfig, ModelEntry } from "../config/schema.js";

/** A model of a study with every setting resolved (model entry over top-level keys). */
export interface StudyModel {
  /** Short name used in experiment directories and reports. */
  label: string;
  backend: "embedded" | "openai";
  model_path: string | null;
  tokenizer_path: string | null;
  base_url: string[] | null;
  launch: "vllm" | "sglang" | null;
  model_name: string | null;
  chat_template: string | null;
  thinking_format: string;
  port: number;
  dp: number;
  tp: number;
}

/** One experiment: a (model, thinking budget, Wait rounds, seed, samples per question) point. */
export interface ExperimentPoint {
  model: StudyModel;
  thinkingBudget: number;
  waitRounds: number;
  seed: number;
  /** Independent samples per question, answered by majority vote. */
  samplesPerQuestion: number;
  /** The experiment directory relative to `output_dir` (m1's `{exp_name}` level). */
  expDir: string;
}

export interface StudyPlan {
  /** True when any of budgets, wait_rounds, seeds or models is given, or samples_per_question is a list. */
  isSweep: boolean;
  models: Array<{ model: StudyModel; points: ExperimentPoint[] }>;
}

/**
 * Expand a config into experiments. Without sweeps there is one experiment at m1's own place,
 * `{output_dir}/{exp_name}`; with sweeps each point gets a clearly named directory under it:
 * `{exp_name}[/{model}]/budget_{B}-wait_{K}-seed_{S}[-samples_{N}]` (the suffix when N > 1). Each
 * model's points are grouped so its server is launched once for all of them.
 */
export function planStudy(config: EvalConfig): StudyPlan {
  const isSweep =
    config.budgets !== null ||
    config.wait_rounds !== null ||
    config.seeds !== null ||
    config.models !== null ||
    Array.isArray(config.samples_per_question);
  const sampleCounts = [config.samples_per_question].flat();
  const budgets = config.budgets ?? [config.max_new_tokens];
  const waitRounds = config.wait_rounds ?? [config.keep_think_below_budget_times];
  const seeds = config.seeds ?? [config.seed];
  const models = (config.models ?? [null]).map((entry, index) =>
    resolveModel(config, entry, index),
  );

  const labels = new Set<string>();
  for (const model of models) {
    if (labels.has(model.label)) {
      throw new ConfigError(`two models are both named '${model.label}'`, {
        key: "models",
        fix: "give each model entry a distinct name",
      });
    }
    labels.add(model.label);
  }

  return {
    isSweep,
    models: models.map((model) => ({
      model,
      points: budgets.flatMap((thinkingBudget) =>
        waitRounds.flatMap((rounds) =>
          seeds.flatMap((seed) =>
            sampleCounts.map((samplesPerQuestion) => ({
              model,
              thinkingBudget,
              waitRounds: rounds,
              seed,
              samplesPerQuestion,
              expDir: isSweep
                ? join(
                    config.exp_name,
                    ...(config.models ? [model.label] : []),
                    `budget_${thinkingBudget}-wait_${rounds}-seed_${seed}` +
                      (samplesPerQuestion > 1 ? `-samples_${samplesPerQuestion}` : ""),
                  )
                : config.exp_name,
            })),
          ),
        ),
      ),
    })),
  };
}

function resolveModel(
  config: EvalConfig,
  entry: string | ModelEntry | null,
  index: number,
): StudyModel {
  const model: ModelEntry = typeof entry === "string" ? { model_path: entry } : (entry ?? {});
  const baseUrl = model.base_url !== undefined ? model.base_url : config.base_url;
  const launch = model.launch !== undefined ? model.launch : config.launch;
  const modelPath = model.model_path !== undefined ? model.model_path : config.model_path;
  const backend = chooseBackend(
    { backend: model.backend ?? config.backend, baseUrl, launch, modelPath },
    {
      ...BACKEND_CONFIG_KEYS,
      locate: config.models ? (name) => `models.${index}.${name}` : undefined,
    },
  );

  const label =
    model.name ??
    (modelPath ? slug(basename(modelPath.replace(/[/\\]+$/, "")).replace(/\.gguf$/i, "")) : null) ??
    ((model.model_name ?? config.model_name)
      ? slug((model.model_name ?? config.model_name)!)
      : null) ??
    (backend === "embedded" ? "smoke-model" : `model-${index}`);

  return {
    label,
    backend,
    model_path: modelPath,
    tokenizer_path:
      model.tokenizer_path !== undefined ? model.tokenizer_path : config.tokenizer_path,
    base_url: baseUrl === null ? null : Array.isArray(baseUrl) ? baseUrl : [baseUrl],
    launch,
    model_name: model.model_name !== undefined ? model.model_name : config.model_name,
    chat_template: model.chat_template !== undefined ? model.chat_template : config.chat_template,
    thinking_format: model.thinking_format ?? config.thinking_format,
    port: model.port ?? config.port,
    dp: model.dp ?? config.dp,
    tp: model.tp ?? config.tp,
  };
}

/** A safe single path segment from a model name (`hf:org/Model-7B` -> `org-Model-7B`). */
export function slug(name: string): string {
  return (
    name
      .replace(/^hf:/, "")
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "model"
  );
}
