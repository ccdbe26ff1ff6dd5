import type { Command } from "commander";
import { SELECT_DEFAULTS, selectRows } from "../../../curate/select/select-rows.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { integerFlag } from "../../flags.js";
import { printNote, printWarning } from "../../output.js";

interface SelectFlags {
  in: string;
  out: string;
  size: number;
  seed: number;
}

export function registerCurateSelect(curate: Command): void {
  curate
    .command("select")
    .description("Select a domain-balanced subset (m1K)")
    .requiredOption("--in <file>", "classified rows (domain_code, source)")
    .requiredOption("--out <file>", "the selected rows, in the order they were picked")
    .option("--size <n>", "rows to pick (m1K's)", integerFlag({ min: 1 }), SELECT_DEFAULTS.size)
    .option(
      "--seed <n>",
      "seed of numpy's default_rng, as m1's notebook",
      integerFlag({ min: 0 }),
      SELECT_DEFAULTS.seed,
    )
    .addHelpText(
      "after",
      "\nRepeat until --size rows: pick a domain uniformly, a source in it uniformly, a row in it\n" +
        "uniformly, and remove it. Same input order and seed give m1's exact selection.",
    )
    .action(async (flags: SelectFlags) => {
      const rows = await readRows(flags.in);
      const result = selectRows(rows, flags.in, { size: flags.size, seed: flags.seed });
      if (result.withoutDomain > 0)
        printWarning(`${result.withoutDomain} rows without a domain code were left out`);
      if (result.rows.length < flags.size) {
        printWarning(`only ${result.rows.length} rows were available; all of them were selected`);
      }
      writeRows(flags.out, result.rows);
      const domains = Object.keys(result.perDomain).length;
      printNote(`select: ${result.rows.length} rows from ${domains} domains`);
      for (const [source, count] of Object.entries(result.perSource))
        printNote(`  ${source}: ${count}`);
      printNote(`select: wrote ${flags.out}`);
    });
}
