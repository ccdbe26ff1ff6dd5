import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import { COLLECT_DEFAULTS, collectTrainingRows } from "../../../curate/collect/collect.js";
import { writeRows } from "../../../io/rows.js";
import { choiceFlag, integerFlag } from "../../flags.js";
import { printNote } from "../../output.js";
import { checkOutputPaths } from "../../../io/output-paths.js";

interface CollectFlags extends PushFlags {
  medqa?: string;
  medmcqa?: string;
  headqa?: string;
  pubmedqa?: string;
  out: string;
  seed: number;
  medmcqaCopBase: "0" | "1";
}

export function registerCurateCollect(curate: Command): void {
  curate
    .command("collect")
    .description("Collect MedQA, MedMCQA, HeadQA and PubMedQA training files into unified rows")
    .option("--medqa <file>", "MedQA-USMLE-4-options training rows (.jsonl/.json/.parquet)")
    .option("--medmcqa <file>", "MedMCQA training rows (opa..opd, cop 0-3)")
    .option("--headqa <file>", "HeadQA training rows (openlifescienceai/headqa)")
    .option("--pubmedqa <file>", "PubMedQA ori_pqal.json (its train half is kept, as m1 does)")
    .requiredOption("--out <file>", "where to write the unified rows (.jsonl/.json/.parquet)")
    .option(
      "--seed <n>",
      "seed of the option shuffles (m1's)",
      integerFlag({ min: 0 }),
      COLLECT_DEFAULTS.seed,
    )
    .option(
      "--medmcqa-cop-base <0|1>",
      "MedMCQA cop numbering: 0 for the Hugging Face file, 1 for the original release",
      choiceFlag(["0", "1"] as const),
      String(COLLECT_DEFAULTS.medmcqa_cop_base) as "0" | "1",
    )
    .addHelpText(
      "after",
      "\nRows get m1's columns: source, metadata, prompt, answer_letter, answer_idx, answer_string.\n" +
        "Options are shuffled with numpy's default_rng(seed), exactly as m1 does.",
    )
    .action(async (flags: CollectFlags) => {
      checkPushFlags(flags);
      checkOutputPaths({
        path: flags.out,
        kind: "rows",
        key: "--out",
        example: "--out rows.jsonl",
      });
      const result = await collectTrainingRows(
        {
          medqa: flags.medqa,
          medmcqa: flags.medmcqa,
          headqa: flags.headqa,
          pubmedqa: flags.pubmedqa,
          seed: flags.seed,
          medmcqaCopBase: flags.medmcqaCopBase === "1" ? 1 : 0,
        },
        (source) => printNote(`collect: reading ${source}`),
      );
      writeRows(flags.out, result.rows);
      await pushRowsIfAsked(flags, flags.out, "m1 curate collect", result.rows);
      for (const [source, count] of Object.entries(result.counts)) {
        printNote(`  ${source}: ${count} rows`);
      }
      printNote(`collect: wrote ${result.rows.length} rows to ${flags.out}`);
    });
}
