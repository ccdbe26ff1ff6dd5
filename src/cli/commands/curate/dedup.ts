import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import { describeFilters, pairProgress } from "../../../curate/dedup/pair-progress.js";
import { deduplicateRows } from "../../../curate/dedup/dedup.js";
import { rowLocator } from "../../../io/row-location.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { interruptSignal } from "../../interrupt.js";
import { terminalProgress } from "../../progress.js";
import { addJoinFlags, checkJoinOutputs } from "./join-flags.js";
import { printNote } from "../../output.js";

interface DedupFlags extends PushFlags {
  in: string;
  column: string;
  threshold: string;
  out: string;
  pairs?: string;
  workers?: number;
  quiet?: boolean;
}

export function registerCurateDedup(curate: Command): void {
  const command = curate
    .command("dedup")
    .description("Drop near-duplicate rows (exact rapidfuzz ratio >= threshold)")
    .requiredOption("--in <file>", "rows to deduplicate (.jsonl/.json/.parquet)")
    .requiredOption("--column <name>", "text column to compare (m1 uses prompt)");
  addJoinFlags(command, 'every pair found, one {"a", "b", "score"} per line')
    .addHelpText(
      "after",
      "\nSimilarity is 200*LCS/(len1+len2) over Unicode code points, case-sensitive, as rapidfuzz's\n" +
        "fuzz.ratio; every pair at or above the threshold is found (m1 kept only 5 matches per row).\n" +
        "A row is dropped when it has a near-duplicate at a lower position, as in m1.",
    )
    .action(async (flags: DedupFlags) => {
      checkPushFlags(flags);
      const started = performance.now();
      checkJoinOutputs(flags);
      const rows = await readRows(flags.in);
      const progress = pairProgress("dedup", terminalProgress({ quiet: flags.quiet }));
      const result = await deduplicateRows(rows, flags.column, {
        threshold: flags.threshold,
        workers: flags.workers,
        signal: interruptSignal,
        locate: rowLocator(flags.in),
        onProgress: progress.onProgress,
      }).finally(progress.stop);
      writeRows(flags.out, result.kept);
      await pushRowsIfAsked(flags, flags.out, "m1 curate dedup", result.kept);
      if (flags.pairs)
        writeRows(
          flags.pairs,
          result.pairs.map((pair) => ({ ...pair })),
        );
      const seconds = (performance.now() - started) / 1000;
      printNote(`  ${describeFilters(result.stats)}`);
      printNote(
        `dedup: ${rows.length} rows in, ${result.pairs.length} pairs >= ${flags.threshold}, ` +
          `dropped ${rows.length - result.kept.length}, kept ${result.kept.length}; ` +
          `${seconds.toFixed(1)} s; wrote ${flags.out}${flags.pairs ? ` and ${flags.pairs}` : ""}`,
      );
    });
}
