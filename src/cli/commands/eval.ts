import type { Command } from "commander";
import { loadEvalConfig } from "../../eval/config/load.js";
import type { EvalConfig } from "../../eval/config/schema.js";
import { openStudyBackend, probeStudyBackend } from "../../eval/study/model-backend.js";
import { runStudy, type StudyResult } from "../../eval/study/study.js";
import { formatStudySummary } from "../../report/study-summary.js";
import { interruptSignal } from "../interrupt.js";
import { retryNotices } from "../../net/index.js";
import { errorColors, printError, printNote, printWarning } from "../output.js";
import { terminalProgress } from "../progress.js";

/** Exit code when some samples still failed after retries (recorded; rerun to retry them). */
export const EXIT_SAMPLES_FAILED = 3;

interface EvalFlags {
  config?: string;
  update?: string;
  quiet: boolean;
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    // One line per paragraph: commander wraps them to the terminal's width.
    .description(
      "Evaluate a model on an m1-format eval file exactly as m1's inference_keep_think does, over " +
        "one experiment or a sweep (budgets x wait_rounds x seeds x models). Config keys are m1's " +
        "(max_new_tokens, force_think, keep_think_below_budget_times, ...) plus ours (backend, " +
        "base_url, launch, budgets, ...); see docs/eval.md. Results go to " +
        "{output_dir}/{exp_name}/version_N in m1's layout and to {output_dir}/m1.sqlite.\n\n" +
        "Every sample is committed as it completes: kill it and run the same command to resume. " +
        "A finished experiment is skipped unless overwrite=True (m1's rule).\n\n" +
        "Failed samples are summed up by kind at the end; a run whose first samples all fail the " +
        "same way that retrying cannot fix (a 4xx, a context too small) stops there.\n\n" +
        "Exit codes: 0 done, 2 bad config or input (nothing written), 3 some samples failed or " +
        "the run stopped early (recorded; rerun to retry them), 130 interrupted (rerun to resume).",
    )
    .option("-c, --config <file>", "YAML config (m1's --config_path); defaults are m1's base.yaml")
    .option(
      "-u, --update <key=value,...>",
      "override config keys (m1's --update_config_by_dotlist), e.g. -u force_think=True,budgets=[512,1024]",
    )
    .option("-q, --quiet", "no progress bars", false)
    .action(async (flags: EvalFlags) => {
      const config = loadEvalConfig({ configPath: flags.config, dotlist: flags.update });
      await runStudyCommand(config, { quiet: flags.quiet });
    });
}

/**
 * Runs a study as `m1 eval` does (and `m1 demo` through it): progress bars, notes, the summary on
 * stdout, then a warning and the exit code: 0 done, 3 samples failed, 130 interrupted (bad config
 * or input throws before anything is written: 2).
 */
export async function runStudyCommand(
  config: EvalConfig,
  options: { quiet: boolean },
): Promise<StudyResult> {
  const note = (message: string) => printNote(errorColors.dim(message));
  const onRetry = retryNotices((line) => printWarning(line));
  const result = await runStudy({
    config,
    signal: interruptSignal,
    progress: terminalProgress({ quiet: options.quiet }),
    onNote: note,
    onExample: (prompt) => printNote(`Example:\n${prompt}`),
    openBackend: (model) =>
      openStudyBackend(config, model, { signal: interruptSignal, onNote: note, onRetry }),
    probeBackend: (model) => probeStudyBackend(config, model, { signal: interruptSignal }),
  });
  process.stdout.write(formatStudySummary(result));
  process.exitCode = exitCodeOf(result);
  return result;
}

function exitCodeOf(result: StudyResult): number {
  if (result.stoppedEarly) {
    const { experiment, message, samples } = result.stoppedEarly;
    printError(
      `${experiment}: stopped after its first ${samples} samples all failed the same way: ${message} ` +
        "(fix: remove the cause named here, then run the same command to resume)",
    );
    return EXIT_SAMPLES_FAILED;
  }
  if (result.interrupted) {
    printWarning("interrupted: finished samples are saved; run the same command to resume");
    return 130;
  }
  if (result.failedSamples > 0) {
    printWarning(
      `${result.failedSamples} sample(s) failed after retries; run the same command to retry them`,
    );
    return EXIT_SAMPLES_FAILED;
  }
  return 0;
}
