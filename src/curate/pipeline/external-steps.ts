import {
  DEFAULT_REFERENCE_FIELD,
  readReferences,
  type ReferenceSpec,
} from "../dedup/reference-files.js";
import { readRows, writeRows } from "../../io/rows.js";
import { decontaminateRows } from "../dedup/decontaminate.js";
import { deduplicateRows } from "../dedup/dedup.js";
import { renderTrainingFile } from "../training-text/training-file.js";
import { pairProgress } from "../dedup/pair-progress.js";
import { rowLocator } from "../../io/row-location.js";
import type { PlannedStep } from "./load-pipeline.js";
import type { PipelineStep } from "./pipeline-schema.js";
import type { StepContext, StepSummary } from "./step-context.js";

/**
 * The steps other modules own (dedup, decontaminate, format), behind one seam so the runner
 * depends only on their library functions: `deduplicateRows`, `decontaminateRows` and
 * `renderTrainingFile`.
 */

type Step<K extends PipelineStep["step"]> = Extract<PipelineStep, { step: K }>;

export async function runDedupStep(
  step: PlannedStep,
  config: Step<"dedup">,
  context: StepContext,
): Promise<StepSummary> {
  const rows = await readRows(step.input!);
  const result = await withPairProgress(step, context, (progress) =>
    deduplicateRows(rows, config.column, { ...joinOptions(step, config, context), ...progress }),
  );
  writeRows(step.output, result.kept);
  context.log(
    `  kept ${result.kept.length} of ${rows.length} rows (${result.pairs.length} near-duplicate pairs)`,
  );
  return { rows_in: rows.length, kept: result.kept.length, pairs: result.pairs.length };
}

export async function runDecontaminateStep(
  step: PlannedStep,
  config: Step<"decontaminate">,
  context: StepContext,
): Promise<StepSummary> {
  const rows = await readRows(step.input!);
  // m1's decontaminate_eval.py: every eval item's question, nulls skipped; then the others.
  const specs: ReferenceSpec[] = [
    ...(step.files.eval ? [{ file: step.files.eval }] : []),
    ...(config.against ?? []).map((entry, index): ReferenceSpec =>
      "file" in entry ? { file: step.files[`against.${index}`]!, field: entry.field } : entry,
    ),
  ];
  const references = await readReferences(specs, {
    defaultField: DEFAULT_REFERENCE_FIELD,
    signal: context.signal,
    onNote: (line) => context.log(`  ${line}`),
  });
  const against = references.texts;
  const result = await withPairProgress(step, context, (progress) =>
    decontaminateRows(rows, config.column, against, {
      ...joinOptions(step, config, context),
      ...progress,
    }),
  );
  writeRows(step.output, result.kept);
  context.log(
    `  kept ${result.kept.length} of ${rows.length} rows (${rows.length - result.kept.length} too close to ${against.length} reference texts)`,
  );
  return { rows_in: rows.length, kept: result.kept.length, reference_texts: against.length };
}

/** What a dedup or decontaminate step passes to the join besides its progress. */
function joinOptions(
  step: PlannedStep,
  config: { threshold?: number | string },
  context: StepContext,
) {
  return { threshold: config.threshold, signal: context.signal, locate: rowLocator(step.input!) };
}

/** Runs a join with its pairs bar, stopping the bar however the join ends. */
async function withPairProgress<T>(
  step: PlannedStep,
  context: StepContext,
  join: (progress: { onProgress: (examined: number, total: number) => void }) => Promise<T>,
): Promise<T> {
  const progress = pairProgress(step.name, context.progress);
  return join({ onProgress: progress.onProgress }).finally(progress.stop);
}

export async function runFormatStep(
  step: PlannedStep,
  config: Step<"format">,
  context: StepContext,
): Promise<StepSummary> {
  const summary = await renderTrainingFile({
    inPath: step.input!,
    outPath: step.output,
    chatTemplatePath: step.files.chat_template,
    tokenizerConfigPath: step.files.tokenizer_config,
    tokenizerPath: step.files.tokenizer,
    blockSize: config.block_size,
    progress: context.progress,
    signal: context.signal,
  });
  return { rows: summary.rows };
}
