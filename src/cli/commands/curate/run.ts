import type { Command } from "commander";
import { runPipeline } from "../../../curate/pipeline/run-pipeline.js";
import { interruptSignal } from "../../interrupt.js";
import { retryNotices } from "../../../net/index.js";
import { printNote, printWarning } from "../../output.js";
import { terminalProgress } from "../../progress.js";

interface RunFlags {
  force?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
}

export function registerCurateRun(curate: Command): void {
  curate
    .command("run")
    .description("Run a pipeline.yaml: every step in order, skipping finished ones")
    .argument("<pipeline.yaml>", "the curation recipe (see docs/curation.md)")
    .option(
      "--force",
      "rerun every step, even those up to date (answers still come from the cache)",
    )
    .option(
      "--dry-run",
      "show which steps would run and what the model calls would cost; run nothing",
    )
    .option("-q, --quiet", "no progress bars")
    .addHelpText(
      "after",
      "\nEach step writes <out>.m1-step.json after its output is complete; a step is skipped while\n" +
        "that marker matches its settings and input files. Rerun the same command after a failure.",
    )
    .action(async (file: string, flags: RunFlags) => {
      const reports = await runPipeline(file, {
        signal: interruptSignal,
        progress: terminalProgress({ quiet: flags.quiet }),
        force: flags.force,
        dryRun: flags.dryRun,
        log: printNote,
        onRetry: retryNotices((line) => printWarning(line)),
      });
      const ran = reports.filter((report) => report.outcome === "ran").length;
      const skipped = reports.filter((report) => report.outcome === "up to date").length;
      if (flags.dryRun) {
        const wouldRun = reports.length - skipped;
        printNote(`run: ${wouldRun} would run, ${skipped} up to date (dry run)`);
      } else {
        printNote(`run: ${ran} ran, ${skipped} up to date`);
      }
    });
}
