import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import {
  SELECT_DEFAULTS,
  SELECT_STRATEGIES,
  selectRows,
  type SelectStrategy,
} from "../../../curate/select/select-rows.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { choiceFlag, integerFlag, numberFlag } from "../../flags.js";
import { printNote, printWarning } from "../../output.js";
import { checkOutputPaths } from "../../../io/output-paths.js";

interface SelectFlags extends PushFlags {
  in: string;
  out: string;
  size: number;
  seed: number;
  strategy: SelectStrategy;
  estimatedAccuracy: number;
}

export function registerCurateSelect(curate: Command): void {
  curate
    .command("select")
    .description("Select a training subset: m1K's domain balance, or m1's ablation subsets")
    .requiredOption(
      "--in <file>",
      "rows (classified rows, with domain_code, for the domain strategies)",
    )
    .requiredOption("--out <file>", "the selected rows, in the order they were picked")
    .option(
      "--strategy <name>",
      `${SELECT_STRATEGIES.join(", ")}`,
      choiceFlag(SELECT_STRATEGIES),
      SELECT_DEFAULTS.strategy,
    )
    .option("--size <n>", "rows to end with (m1K's)", integerFlag({ min: 1 }), SELECT_DEFAULTS.size)
    .option(
      "--estimated-accuracy <p>",
      "random: share expected to survive distillation; takes int(size / p) rows",
      numberFlag({ min: 0.01, max: 1 }),
      SELECT_DEFAULTS.estimated_accuracy,
    )
    .option(
      "--seed <n>",
      "seed of numpy's default_rng, as m1's notebooks",
      integerFlag({ min: 0 }),
      SELECT_DEFAULTS.seed,
    )
    .addHelpText(
      "after",
      "\nStrategies (m1's data ablation; same input order and seed give m1's exact subsets):\n" +
        "  domain-source  m1K: until --size rows, a domain uniformly, a source in it uniformly,\n" +
        "                 a row in it uniformly, removed (select_hard_sample_by_domain_source)\n" +
        "  domain         domain_1k: the same over domains only, all sources pooled\n" +
        "  random         random_1k / random_23k: numpy-seeded shuffle of the collected rows,\n" +
        "                 first int(size / estimated-accuracy) (1000 -> 1250; 23493 -> 29366)\n" +
        "  hard-random    hard_random_1k: the same shuffle of the hard rows, first --size",
    )
    .action(async (flags: SelectFlags) => {
      checkPushFlags(flags);
      checkOutputPaths({ path: flags.out, kind: "rows", key: "--out", example: "--out m1k.jsonl" });
      const rows = await readRows(flags.in);
      const result = selectRows(rows, flags.in, {
        size: flags.size,
        seed: flags.seed,
        strategy: flags.strategy,
        estimatedAccuracy: flags.estimatedAccuracy,
      });
      if (result.withoutDomain > 0)
        printWarning(`${result.withoutDomain} rows without a domain code were left out`);
      if (result.rows.length < result.target) {
        printWarning(`only ${result.rows.length} rows were available; all of them were selected`);
      }
      writeRows(flags.out, result.rows);
      const domains = Object.keys(result.perDomain).length;
      printNote(
        `select (${result.strategy}): ${result.rows.length} rows` +
          (domains > 0 ? ` from ${domains} domains` : "") +
          (result.strategy === "random"
            ? ` (int(${flags.size} / ${flags.estimatedAccuracy}))`
            : ""),
      );
      for (const [source, count] of Object.entries(result.perSource))
        printNote(`  ${source}: ${count}`);
      printNote(`select: wrote ${flags.out}`);
      await pushRowsIfAsked(flags, flags.out, "m1 curate select", result.rows);
    });
}
