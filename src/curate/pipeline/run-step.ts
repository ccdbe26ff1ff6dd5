import { silentProgress, type ProgressBar } from "../../progress.js";
import { readRows, writeRows } from "../../io/rows.js";
import { askRows } from "../ask/ask-rows.js";
import { resolveAskSettings } from "../ask/ask-settings.js";
import { classifyRows } from "../classify/classify-rows.js";
import { collectTrainingRows } from "../collect/collect.js";
import { describeFilterCounts, filterRows } from "../filter/filter-rows.js";
import { chatProgressDetail, chatRunSummary } from "../progress-detail.js";
import { selectRows } from "../select/select-rows.js";
import { runDecontaminateStep, runDedupStep, runFormatStep } from "./external-steps.js";
import type { PlannedStep } from "./load-pipeline.js";
import type { StepContext, StepSummary } from "./step-context.js";

export type { StepContext, StepSummary };

/** Run one step to completion: its output is written (atomically) when this resolves. */
export async function runStep(step: PlannedStep, context: StepContext): Promise<StepSummary> {
  const config = step.config;
  switch (config.step) {
    case "collect": {
      const result = await collectTrainingRows({
        medqa: step.files.medqa,
        pubmedqa: step.files.pubmedqa,
        headqa: step.files.headqa,
        medmcqa: step.files.medmcqa,
        seed: config.seed,
        medmcqaCopBase: config.medmcqa_cop_base,
      });
      writeRows(step.output, result.rows);
      for (const [source, count] of Object.entries(result.counts))
        context.log(`  ${source}: ${count} rows`);
      return { rows: result.rows.length, per_source: result.counts };
    }
    case "dedup":
      return runDedupStep(step, config, context);
    case "decontaminate":
      return runDecontaminateStep(step, config, context);
    case "format":
      return runFormatStep(step, config, context);
    case "ask": {
      const settings = resolveAskSettings(step.askOptions!, {
        file: context.pipelineFile,
        keyPrefix: `steps.${step.index}`,
      });
      const rows = await readRows(step.input!);
      const bar = (context.progress ?? silentProgress).bar({
        label: `${step.name}`,
        total: rows.length,
        unit: "rows",
      });
      let done = 0;
      const result = await askRows(rows, step.input!, settings, {
        signal: context.signal,
        onRetry: context.onRetry,
        onOutcome: (_index, _outcome, stats) => bar.update(++done, chatProgressDetail(stats)),
      }).finally(() => bar.stop());
      writeRows(step.output, result.rows);
      context.log(`  ${chatRunSummary(result.stats)}`);
      return { rows: result.rows.length, left_out: result.failures.length, ...result.stats };
    }
    case "filter": {
      const rows = await readRows(step.input!);
      const result = filterRows(rows, step.input!, {
        responseColumns: config.response_columns,
        keep: config.keep,
        annotate: config.annotate,
      });
      writeRows(step.output, result.rows);
      for (const line of describeFilterCounts(result.counts, config.response_columns))
        context.log(`  ${line}`);
      return { rows_in: rows.length, kept: result.rows.length, per_source: result.counts };
    }
    case "classify": {
      const ask = resolveAskSettings(step.askOptions!, {
        file: context.pipelineFile,
        keyPrefix: `steps.${step.index}`,
      });
      const rows = await readRows(step.input!);
      let bar: ProgressBar | undefined;
      let done = 0;
      const result = await classifyRows(
        rows,
        step.input!,
        { ask, maxReasks: config.max_reasks, rubric: config.rubric },
        {
          signal: context.signal,
          onRetry: context.onRetry,
          onRound: (round, count) => {
            bar?.stop();
            done = 0;
            bar = (context.progress ?? silentProgress).bar({
              label: round === 0 ? step.name : `${step.name} re-ask ${round}`,
              total: count,
              unit: "rows",
            });
          },
          onOutcome: (_index, _outcome, stats) => bar?.update(++done, chatProgressDetail(stats)),
        },
      ).finally(() => bar?.stop());
      writeRows(step.output, result.rows);
      context.log(`  ${chatRunSummary(result.stats)}`);
      if (result.unclassified.length > 0) {
        context.log(
          `  ${result.unclassified.length} rows have no domain code after ${config.max_reasks} re-asks`,
        );
      }
      return {
        rows: result.rows.length,
        unclassified: result.unclassified.length,
        rounds: result.rounds,
        ...result.stats,
      };
    }
    case "select": {
      const rows = await readRows(step.input!);
      const result = selectRows(rows, step.input!, {
        size: config.size,
        seed: config.seed,
        strategy: config.strategy,
        estimatedAccuracy: config.estimated_accuracy,
      });
      writeRows(step.output, result.rows);
      if (result.withoutDomain > 0)
        context.log(`  left out ${result.withoutDomain} rows without a domain code`);
      return {
        rows: result.rows.length,
        strategy: result.strategy,
        per_source: result.perSource,
        domains: Object.keys(result.perDomain).length,
      };
    }
  }
}
