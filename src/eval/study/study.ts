import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OpenedBackend } from "../../backends/factory.js";
import type { Backend } from "../../backends/types.js";
import type { BudgetForcingSettings } from "../../engine/budget-forcing.js";
import { fitContext } from "../../engine/context-fit.js";
import { InputError } from "../../errors.js";
import { checkOutputPaths } from "../../io/output-paths.js";
import {
  silentProgress,
  type ProgressBar,
  type ProgressGroup,
  type ProgressReporter,
} from "../../progress.js";
import type { EvalConfig } from "../config/schema.js";
import { checkResumable, decide, runPointConfig, type Decision } from "./experiment-decision.js";
import { engineSettings, queryPromptSettings } from "./point-settings.js";
import { loadEvalDataset } from "../datasets/index.js";
import type { LoadedEvalDataset } from "../datasets/types.js";
import {
  logEnd,
  logStart,
  removeTemporaryFiles,
  writeConfigYaml,
  writeM1Results,
} from "../m1-layout/write.js";
import { CONFIG_FILE_NAME, versionDirName } from "../m1-layout/paths.js";
import { planStudy, type ExperimentPoint, type StudyModel } from "./plan.js";
import { buildSamplePrompt, type QueryPromptSettings } from "../prompt.js";
import { requireTokenIds, truncatePromptAsM1 } from "../prompt-truncation.js";
import { lockOutputDir } from "./output-lock.js";
import { runExperiment, type ExperimentRunSummary } from "./runner.js";
import { EvalStore, STORE_FILE_NAME, sessionTotals, type Experiment } from "../store/index.js";

export { engineSettings, queryPromptSettings };

export interface StudyOptions {
  config: EvalConfig;
  /** Opens (and, for `launch`, starts) the backend of one model; closed by the study. */
  openBackend: (model: StudyModel) => Promise<OpenedBackend>;
  /**
   * A light backend (vocabulary, limits) of a model, to check a multi-model study's budgets
   * before the first model runs; undefined when it cannot be had cheaply. Closed by the study.
   */
  probeBackend?: (model: StudyModel) => Promise<Backend | undefined>;
  signal?: AbortSignal;
  /** Where progress goes (the CLI draws bars); silent by default. */
  progress?: ProgressReporter;
  /** Notes for the user (skips, resumes, where files went). */
  onNote?: (message: string) => void;
  /** m1's print_example. */
  onExample?: (renderedPrompt: string) => void;
}

/** `stopped`: its first samples all failed the same way that retrying cannot fix (failures.ts). */
export type ExperimentOutcome = "finished" | "skipped" | "incomplete" | "interrupted" | "stopped";

export interface ExperimentResult {
  point: ExperimentPoint;
  outcome: ExperimentOutcome;
  /** Absolute version directory (m1 layout). */
  versionDir: string;
  experiment?: Experiment;
  run?: ExperimentRunSummary;
}

export interface StudyResult {
  outputDir: string;
  storePath: string;
  dataset: LoadedEvalDataset;
  experiments: ExperimentResult[];
  /** Samples still failed across experiments (the exit code says so). */
  failedSamples: number;
  interrupted: boolean;
  /** The experiment whose first samples all failed the same way; the study stopped there. */
  stoppedEarly?: { experiment: string; message: string; samples: number };
}

/**
 * Run every experiment of a config: load the eval data once, then per model open its backend
 * (launching its server once for all its runs) and run each (budget, Wait rounds, seed) point.
 * Finished experiments are skipped unless `overwrite` (m1's rule); unfinished ones resume.
 *
 * Everything that can be checked is checked before anything is written: the settings of every
 * point, the eval file, the prompt template, and whether unfinished experiments may resume with
 * this config. The store (and the output directory) is created only once a backend has opened,
 * so a bad config, a bad eval file or an unreachable server leaves nothing behind.
 */
export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const { config, signal } = options;
  const note = options.onNote ?? (() => {});
  const plan = planStudy(config);
  const engines = new Map<ExperimentPoint, BudgetForcingSettings>();
  for (const { points } of plan.models) {
    for (const point of points) engines.set(point, engineSettings(config, point));
  }
  const promptSettings = queryPromptSettings(config);
  const dataset = await loadEvalDataset(config.eval_data_path, {
    md5: config.eval_data_md5sum ?? undefined,
    limit: config.limit > 0 ? config.limit : undefined,
  });
  if (dataset.samples.length === 0) throw noUsableItems(dataset);
  // A prompt template naming a missing field fails here, not in every sample.
  for (const sample of dataset.samples.slice(0, 1)) buildSamplePrompt(sample, promptSettings);
  if (dataset.dropped.length > 0) {
    note(
      `dropped ${dataset.dropped.length} item(s) whose answer differs from options[answer_idx] ` +
        `(first: ${dataset.dropped[0]!.item}: ${dataset.dropped[0]!.reason})`,
    );
  }

  checkOutputPaths({
    path: config.output_dir,
    kind: "folder",
    key: "output_dir",
    example: "-u output_dir=outputs",
  });
  // Held from the first decision to the last write; released (and the folder removed when this
  // run wrote nothing there) whatever happens.
  const lock = lockOutputDir(config.output_dir);
  const storePath = join(config.output_dir, STORE_FILE_NAME);
  let store: EvalStore | undefined;
  const result: StudyResult = {
    outputDir: config.output_dir,
    storePath,
    dataset,
    experiments: [],
    failedSamples: 0,
    interrupted: false,
  };
  let progress: ProgressGroup | undefined;

  try {
    store = existsSync(storePath) ? EvalStore.open(storePath) : undefined;
    const todo = plan.models.map(({ model, points }) => ({
      model,
      points: points.map((point) => {
        const engine = engines.get(point)!;
        const decision = decide(store, config, point);
        if (decision.kind === "resume") {
          checkResumable(
            decision.experiment,
            runPointConfig(config, point, engine, decision.experiment.version),
          );
        }
        return { point, engine, decision };
      }),
    }));

    // Budgets are checked against every model before the first one writes anything (a server
    // m1 launches is checked once it runs).
    const fitting = { config, dataset, promptSettings, signal };
    const toRun = todo.filter(({ points }) =>
      points.some(({ decision }) => decision.kind !== "skip"),
    );
    for (const { model, points } of options.probeBackend ? toRun.slice(1) : []) {
      const probe = await options.probeBackend!(model);
      if (!probe) continue;
      try {
        if (config.max_tokens > 0) requireTokenIds(probe);
        await fitModelContext(probe, model, points, { ...fitting, reserve: false });
      } finally {
        await probe.close();
      }
    }

    for (const { model, points } of todo) {
      for (const { point, decision } of points) {
        if (decision.kind === "skip") {
          note(
            `${point.expDir}: already exists, skipped (set overwrite=True to run a new version)`,
          );
          result.experiments.push({ point, outcome: "skipped", versionDir: decision.versionDir });
        }
      }
      const runnable = points.flatMap(({ point, engine, decision }) =>
        decision.kind === "skip" ? [] : [{ point, engine, decision }],
      );
      if (runnable.length === 0) continue;
      if (signal?.aborted) {
        result.interrupted = true;
        break;
      }

      const opened = await options.openBackend(model);
      try {
        if (config.max_tokens > 0) requireTokenIds(opened.backend);
        // Every point of the model (finished ones too, so a resumed run sizes the same).
        await fitModelContext(opened.backend, model, points, { ...fitting, reserve: true });
        note(`${model.label}: ${opened.backend.description}`);
        store ??= EvalStore.open(storePath);
        progress ??= (options.progress ?? silentProgress).group({ unit: "samples" });
        for (const { point, engine, decision } of runnable) {
          if (signal?.aborted) break;
          const outcome = await runPoint({
            store,
            config,
            point,
            engine,
            decision,
            opened,
            dataset,
            promptSettings,
            bar: progress.add({ label: point.expDir, total: dataset.samples.length }),
            options,
          });
          result.experiments.push(outcome);
          if (outcome.outcome === "interrupted") {
            result.interrupted = true;
            break;
          }
          if (outcome.experiment)
            result.failedSamples += store.failedSampleCount(outcome.experiment.id);
          if (outcome.run?.stoppedEarly) {
            result.stoppedEarly = {
              experiment: outcome.experiment!.name,
              ...outcome.run.stoppedEarly,
            };
            break;
          }
        }
      } finally {
        await opened.backend.close();
      }
      if (result.stoppedEarly) break;
      if (result.interrupted || signal?.aborted) {
        result.interrupted = true;
        break;
      }
    }
  } finally {
    progress?.stop();
    store?.close();
    lock.release();
  }
  // Skipped experiments were noted first; report every experiment in the plan's order.
  const order = new Map([...engines.keys()].map((point, index) => [point, index]));
  result.experiments.sort((a, b) => order.get(a.point)! - order.get(b.point)!);
  return result;
}

/**
 * Check that every point of a model fits its context (longest prompt + budget + inserted text +
 * answer budget) and, with `reserve`, size the context for it; a ConfigError when it cannot fit.
 * Finished points count too, so a resumed run sizes the same.
 */
async function fitModelContext(
  backend: Backend,
  model: StudyModel,
  points: ReadonlyArray<{ engine: BudgetForcingSettings }>,
  study: {
    config: EvalConfig;
    dataset: LoadedEvalDataset;
    promptSettings: QueryPromptSettings;
    signal?: AbortSignal;
    reserve: boolean;
  },
): Promise<void> {
  await fitContext({
    backend,
    prompts: await renderPrompts(
      backend,
      study.dataset,
      study.promptSettings,
      study.config.max_tokens,
    ),
    settings: points.map(({ engine }) => engine),
    label: model.label,
    budgetKey: study.config.budgets ? "budgets" : "max_new_tokens",
    answerKey: "max_new_answer_tokens",
    reserve: study.reserve,
    signal: study.signal,
  });
}

/** Every sample's prompt as the runner will send it (chat-rendered, cut by m1's `max_tokens`). */
function renderPrompts(
  backend: Backend,
  dataset: LoadedEvalDataset,
  promptSettings: QueryPromptSettings,
  maxTokens: number,
): Promise<string[]> {
  return Promise.all(
    dataset.samples.map(async (sample) =>
      truncatePromptAsM1(
        await backend.renderChat([
          { role: "user", content: buildSamplePrompt(sample, promptSettings) },
        ]),
        maxTokens,
        backend,
      ),
    ),
  );
}

interface PointRun {
  store: EvalStore;
  config: EvalConfig;
  point: ExperimentPoint;
  engine: BudgetForcingSettings;
  decision: Exclude<Decision, { kind: "skip" }>;
  opened: OpenedBackend;
  dataset: LoadedEvalDataset;
  promptSettings: QueryPromptSettings;
  bar: ProgressBar;
  options: StudyOptions;
}

async function runPoint(input: PointRun): Promise<ExperimentResult> {
  const { store, config, point, engine, decision, dataset } = input;
  const note = input.options.onNote ?? (() => {});
  const startedAt = new Date();

  let experiment: Experiment;
  if (decision.kind === "resume") {
    experiment = decision.experiment;
    const done = store.completedSampleIndices(experiment.id).size;
    note(`${experiment.name}: resuming (${done}/${experiment.total_samples} samples done)`);
  } else {
    const pointConfig = runPointConfig(config, point, engine, decision.version);
    experiment = store.createExperiment({
      name: join(point.expDir, versionDirName(decision.version)),
      exp_dir: point.expDir,
      version: decision.version,
      model: point.model.label,
      thinking_budget: point.thinkingBudget,
      wait_rounds: point.waitRounds,
      seed: point.seed,
      thinking_format: engine.thinkingFormat.name,
      eval_data_path: config.eval_data_path,
      total_samples: dataset.samples.length,
      config: pointConfig,
      samples_per_question: point.samplesPerQuestion,
    });
  }
  const versionDir = join(config.output_dir, experiment.name);
  if (decision.kind === "resume") removeTemporaryFiles(versionDir);
  // A run killed before its config.yaml was written gets it when it resumes.
  if (decision.kind === "new" || !existsSync(join(versionDir, CONFIG_FILE_NAME))) {
    writeConfigYaml(versionDir, experiment.config);
  }
  logStart(versionDir, startedAt, decision.kind === "resume");
  store.beginSession(experiment.id);
  try {
    return await runAndFinish(input, experiment, versionDir);
  } finally {
    // Ends the session unless runAndFinish did (an unexpected error: no outcome).
    store.endSession(experiment.id, null);
  }
}

async function runAndFinish(
  input: PointRun,
  experiment: Experiment,
  versionDir: string,
): Promise<ExperimentResult> {
  const { store, config, point, dataset } = input;
  const note = input.options.onNote ?? (() => {});
  const run = await runExperiment({
    store,
    backend: input.opened.backend,
    experiment,
    samples: dataset.samples,
    engine: input.engine,
    prompt: input.promptSettings,
    maxTokens: config.max_tokens,
    concurrency: config.concurrency ?? input.opened.concurrency,
    useCache: config.use_cache,
    modelIdentity: input.opened.modelIdentity,
    signal: input.options.signal,
    progress: input.bar,
    onExample: config.print_example ? input.options.onExample : undefined,
    samplesPerQuestion: experiment.samples_per_question,
  });
  input.bar.stop();

  if (run.interrupted) {
    store.endSession(experiment.id, "interrupted");
    note(`${experiment.name}: interrupted; run the same command again to resume`);
    return { point, outcome: "interrupted", versionDir, experiment, run };
  }
  if (run.stoppedEarly) {
    // No results files: they would hold none of its samples. A rerun resumes it.
    store.setExperimentStatus(experiment.id, "incomplete");
    return {
      point,
      outcome: "stopped",
      versionDir,
      experiment: store.getExperiment(experiment.id),
      run,
    };
  }
  const failed = store.failedSampleCount(experiment.id);
  writeM1Results({
    store,
    experiment,
    versionDir,
    samples: dataset.samples,
    prompt: input.promptSettings,
  });
  const outcome = failed > 0 ? "incomplete" : "finished";
  store.endSession(experiment.id, outcome);
  logEnd(
    versionDir,
    new Date(),
    sessionTotals(store.experimentSessions(experiment.id)).activeMs,
    failed > 0 ? [`Failed samples: ${failed} (left out of the results; rerun to retry them)`] : [],
  );
  store.setExperimentStatus(experiment.id, outcome);
  return {
    point,
    outcome,
    versionDir,
    experiment: store.getExperiment(experiment.id),
    run,
  };
}

/** Every item was dropped: nothing to run, and nothing is written or marked finished. */
function noUsableItems(dataset: LoadedEvalDataset): InputError {
  const first = dataset.dropped[0];
  return new InputError(
    `no usable item: all ${dataset.dropped.length} item(s) were dropped because their answer ` +
      `differs from options[answer_idx]${first ? ` (first: ${first.item}: ${first.reason})` : ""}`,
    { file: dataset.path },
    "make each item's answer the text of options[answer_idx]; `m1 data check FILE` lists them",
  );
}
