import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import {
  describeFilterCounts,
  filterRows,
  type KeepRule,
} from "../../../curate/filter/filter-rows.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { choiceFlag } from "../../flags.js";
import { printNote } from "../../output.js";
import { checkOutputPaths } from "../../../io/output-paths.js";

interface FilterFlags extends PushFlags {
  in: string;
  out: string;
  responseColumn: string[];
  keep: KeepRule;
  annotate?: boolean;
}

export function registerCurateFilter(curate: Command): void {
  curate
    .command("filter")
    .description("Keep rows by m1's correctness rule (difficulty filter, teacher check)")
    .requiredOption("--in <file>", "rows with model answers (.jsonl/.json/.parquet)")
    .requiredOption("--out <file>", "the kept rows")
    .requiredOption(
      "--response-column <name>",
      "column holding a model's answer; repeat for several models",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .requiredOption(
      "--keep <rule>",
      "incorrect: drop rows any model solves (difficulty); correct: keep rows a model solves (teacher)",
      choiceFlag(["correct", "incorrect"] as const),
    )
    .option("--annotate", "add <column>_extracted and <column>_correct to the kept rows")
    .addHelpText(
      "after",
      "\nA response is correct when its last \\boxed{} content equals answer_string (trimmed,\n" +
        "case-insensitive) or starts with answer_letter, exactly as m1's notebooks decide.",
    )
    .action(async (flags: FilterFlags) => {
      checkPushFlags(flags);
      checkOutputPaths({
        path: flags.out,
        kind: "rows",
        key: "--out",
        example: "--out kept.jsonl",
      });
      const rows = await readRows(flags.in);
      const result = filterRows(rows, flags.in, {
        responseColumns: flags.responseColumn,
        keep: flags.keep,
        annotate: flags.annotate,
      });
      writeRows(flags.out, result.rows);
      await pushRowsIfAsked(flags, flags.out, "m1 curate filter", result.rows);
      for (const line of describeFilterCounts(result.counts, flags.responseColumn))
        printNote(`  ${line}`);
      printNote(
        `filter: kept ${result.rows.length} of ${rows.length} rows (keep ${flags.keep}); wrote ${flags.out}`,
      );
    });
}
