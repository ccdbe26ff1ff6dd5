import type { Command } from "commander";
import { registerCurateAsk } from "./curate/ask.js";
import { registerCurateClassify } from "./curate/classify.js";
import { registerCurateCollect } from "./curate/collect.js";
import { registerCurateDecontaminate } from "./curate/decontaminate.js";
import { registerCurateDedup } from "./curate/dedup.js";
import { registerCurateFilter } from "./curate/filter.js";
import { registerCurateFormat } from "./curate/format.js";
import { registerCurateRun } from "./curate/run.js";
import { registerCurateSelect } from "./curate/select.js";
import { registerCurateStats } from "./curate/stats.js";
import { addPushFlags } from "./push-flags.js";

/** `m1 curate <step>`: the data-curation pipeline, one subcommand per step. */
export function registerCurate(program: Command): void {
  const curate = program
    .command("curate")
    .description(
      "Build training data: collect, dedup, decontaminate, ask, filter, classify, select, format",
    );
  registerCurateCollect(curate);
  registerCurateDedup(curate);
  registerCurateDecontaminate(curate);
  registerCurateAsk(curate);
  registerCurateFilter(curate);
  registerCurateClassify(curate);
  registerCurateSelect(curate);
  registerCurateFormat(curate);
  registerCurateStats(curate);
  registerCurateRun(curate);
  // Every step can push what it wrote, as m1 pushed each stage (m196k, -dedup, -dedup-decon, ...).
  for (const step of curate.commands) {
    if (step.name() !== "run" && step.name() !== "stats")
      addPushFlags(step, "the rows written to --out");
  }
}
