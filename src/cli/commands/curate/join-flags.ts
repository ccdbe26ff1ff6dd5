import type { Command, Option } from "commander";
import {
  DEFAULT_SIMILARITY_THRESHOLD,
  SimilarityThreshold,
} from "../../../curate/dedup/threshold.js";
import { checkOutputPaths } from "../../../io/output-paths.js";
import { flagError, integerFlag } from "../../flags.js";

/** Commander parser for --threshold: a decimal from 0 to 100, kept as written (exact). */
export function thresholdFlag(this: Option, value: string): string {
  try {
    new SimilarityThreshold(value);
  } catch {
    throw flagError(this, value, "a number from 0 to 100", String(DEFAULT_SIMILARITY_THRESHOLD));
  }
  return value;
}

/** The flags dedup and decontaminate share, after their own --in/--column/--against. */
export function addJoinFlags(command: Command, pairsHelp: string): Command {
  return command
    .option(
      "--threshold <ratio>",
      "rapidfuzz fuzz.ratio cut-off, 0-100",
      thresholdFlag,
      String(DEFAULT_SIMILARITY_THRESHOLD),
    )
    .requiredOption("--out <file>", "the kept rows, in input order")
    .option("--pairs <file>", pairsHelp)
    .option(
      "--workers <n>",
      "worker threads (default: one per core; 0 = this thread)",
      integerFlag({ min: 0, max: 256 }),
    )
    .option("-q, --quiet", "no progress bar");
}

/** Checks the outputs of addJoinFlags (kept rows and pairs) before any work. */
export function checkJoinOutputs(flags: { out: string; pairs?: string }): void {
  checkOutputPaths(
    { path: flags.out, kind: "rows", key: "--out", example: "--out kept.jsonl" },
    { path: flags.pairs, kind: "rows", key: "--pairs", example: "--pairs pairs.jsonl" },
  );
}
