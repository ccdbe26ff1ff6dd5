import { existsSync } from "node:fs";
import type { ProgressReporter } from "../../progress.js";
import { readRows } from "../../io/rows.js";
import { resolveAskSettings } from "../ask/ask-settings.js";
import { describePlan, planAsk } from "../ask/dry-run.js";
import { hubConnection, type HubConnection } from "../../data/hub/connection.js";
import { pushRowsToHub } from "../../data/hub/push-rows.js";
import { requireHubToken } from "../../data/hub/push.js";
import { checkOutputPaths } from "../../io/output-paths.js";
import { loadPipeline, type PlannedStep } from "./load-pipeline.js";
import { runStep, type StepSummary } from "./run-step.js";
import { stepStatus, writeManifest } from "./step-manifest.js";
import type { StepContext } from "./step-context.js";

export interface RunPipelineOptions {
  signal?: AbortSignal;
  /** Where progress goes (the CLI draws bars); silent by default. */
  progress?: ProgressReporter;
  /** Rerun every step even when its marker says it is up to date. */
  force?: boolean;
  /** Report what would run (and what ask steps would cost); run nothing. */
  dryRun?: boolean;
  log: (line: string) => void;
  /** Told before a model request is retried. */
  onRetry?: StepContext["onRetry"];
}

export type StepOutcome = "up to date" | "ran" | "would run";

export interface StepReport {
  name: string;
  kind: string;
  outcome: StepOutcome;
  /** Why it ran (or would). */
  reason?: string;
  seconds?: number;
  summary?: StepSummary;
}

/**
 * `m1 curate run pipeline.yaml`: every step in order; a step whose completion marker matches its
 * settings, inputs and output is skipped. A failure stops the run with that step's error; what
 * finished stays finished (outputs and markers), and ask/classify answers stay in the response
 * cache, so the rerun resumes where it stopped.
 */
export async function runPipeline(
  file: string,
  options: RunPipelineOptions,
): Promise<StepReport[]> {
  const plan = loadPipeline(file);
  const connection = hubConnection();
  // A push that cannot happen must not cost a run first.
  if (!options.dryRun && plan.steps.some((step) => step.config.push_to_hub))
    requireHubToken(connection);
  // Nor a step output that cannot be written (say, the last step's, hours later).
  if (!options.dryRun) {
    checkOutputPaths(
      ...plan.steps.map((step) => ({
        path: step.output,
        kind: "file" as const,
        key: `${file}: steps.${step.index}.out`,
        example: `out: ${step.name}.jsonl`,
      })),
    );
  }
  const reports: StepReport[] = [];
  let earlierWouldRun = false;
  for (const step of plan.steps) {
    const label = `[${step.index + 1}/${plan.steps.length}] ${step.name}`;
    const status = await stepStatus(step.output, step.settingsHash, step.inputPaths);
    if (status.upToDate && !options.force && !earlierWouldRun) {
      options.log(`✓ ${label}: up to date, skipped`);
      await pushOutput(step, connection, options);
      reports.push({ name: step.name, kind: step.config.step, outcome: "up to date" });
      continue;
    }
    const reason = options.force
      ? "forced"
      : earlierWouldRun
        ? "an earlier step runs first"
        : status.upToDate
          ? "forced"
          : status.reason;
    if (options.dryRun) {
      earlierWouldRun = true;
      options.log(`• ${label}: would run (${reason})`);
      if (step.config.push_to_hub) options.log(`    then push to ${step.config.push_to_hub}`);
      await describeAskCost(step, file, options.log);
      reports.push({ name: step.name, kind: step.config.step, outcome: "would run", reason });
      continue;
    }
    options.log(`▶ ${label}: running (${reason})`);
    const started = Date.now();
    const summary = await runStep(step, {
      pipelineFile: file,
      signal: options.signal,
      progress: options.progress,
      log: options.log,
      onRetry: options.onRetry,
    });
    await writeManifest(step.output, {
      step: step.config.step,
      name: step.name,
      settingsHash: step.settingsHash,
      inputPaths: step.inputPaths,
      summary,
    });
    const seconds = (Date.now() - started) / 1000;
    options.log(`✓ ${label}: done in ${seconds.toFixed(1)} s -> ${step.output}`);
    await pushOutput(step, connection, options);
    reports.push({
      name: step.name,
      kind: step.config.step,
      outcome: "ran",
      reason,
      seconds,
      summary,
    });
  }
  return reports;
}

/**
 * Push a step's output when it names `push_to_hub`, whether it ran now or earlier: pushing skips
 * what the repo already holds, so an unchanged output costs one listing and no commit.
 */
async function pushOutput(
  step: PlannedStep,
  connection: HubConnection,
  options: RunPipelineOptions,
): Promise<void> {
  const repo = step.config.push_to_hub;
  if (!repo) return;
  const result = await pushRowsToHub({
    repo,
    connection,
    private: step.config.private,
    file: step.output,
    producedBy: `m1 curate run (${step.name})`,
    signal: options.signal,
  });
  const what =
    result.uploaded.length === 0
      ? "already up to date"
      : `${result.uploaded.length} files committed`;
  options.log(`  pushed to ${result.url}: ${what}`);
}

/** In a dry run, what an ask or classify step would send, when its input already exists. */
async function describeAskCost(
  step: PlannedStep,
  file: string,
  log: (line: string) => void,
): Promise<void> {
  if (!step.askOptions || !step.input || !existsSync(step.input)) return;
  const settings = resolveAskSettings(step.askOptions, {
    file,
    keyPrefix: `steps.${step.index}`,
    readApiKey: false,
  });
  const rows = await readRows(step.input);
  for (const line of describePlan(planAsk(rows, step.input, settings))) log(`    ${line}`);
}
