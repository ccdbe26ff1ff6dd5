import { existsSync } from "node:fs";
import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import { describeFilters, pairProgress } from "../../../curate/dedup/pair-progress.js";
import { decontaminateRows } from "../../../curate/dedup/decontaminate.js";
import {
  DEFAULT_REFERENCE_FIELD,
  parseReferenceFlag,
  readReferences,
  type ReferenceSpec,
} from "../../../curate/dedup/reference-files.js";
import { ConfigError } from "../../../errors.js";
import { rowLocator } from "../../../io/row-location.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { interruptSignal } from "../../interrupt.js";
import { terminalProgress } from "../../progress.js";
import { addJoinFlags, checkJoinOutputs } from "./join-flags.js";
import { printNote } from "../../output.js";

interface DecontaminateFlags extends PushFlags {
  in: string;
  column: string;
  against?: string[];
  againstDataset: string[];
  againstColumn: string;
  threshold: string;
  out: string;
  pairs?: string;
  workers?: number;
  quiet?: boolean;
}

export function registerCurateDecontaminate(curate: Command): void {
  const command = curate
    .command("decontaminate")
    .description("Drop rows too similar to evaluation questions")
    .requiredOption("--in <file>", "rows to check (.jsonl/.json/.parquet)")
    .requiredOption("--column <name>", "text column to compare (m1 uses prompt)")
    .option(
      "--against <files...>",
      "m1 eval files (source -> items, or a list of items) or row files (.jsonl/.parquet); FILE=FIELD compares that field of that file",
    )
    .option(
      "--against-dataset <name>",
      "a benchmark m1 decontaminated against, fetched once and cached: m1-references (all six), gpqa-diamond, medmcqa-validation, medqa-test, pubmedqa-test, mmlu-medical, mmlu-pro; repeat",
      (value: string, previous: string[] = []) => [...previous, value],
      [],
    )
    .option(
      "--against-column <name>",
      "field compared in every --against file that names none (m1 compares the question)",
      DEFAULT_REFERENCE_FIELD,
    );
  addJoinFlags(command, 'every match, one {"row", "against", "item", "score"} per line')
    .addHelpText(
      "after",
      "\nA row is dropped when any reference text has rapidfuzz fuzz.ratio >= threshold with it\n" +
        "(200*LCS/(len1+len2) over code points). m1 compares the training prompt (question and\n" +
        "options) with each eval item's question; every match is found exactly.",
    )
    .action(async (flags: DecontaminateFlags) => {
      checkPushFlags(flags);
      const started = performance.now();
      checkJoinOutputs(flags);
      const rows = await readRows(flags.in);
      const specs: ReferenceSpec[] = [
        ...(flags.against ?? []).map((value) => parseReferenceFlag(value, existsSync)),
        ...flags.againstDataset.map((dataset) => ({ dataset })),
      ];
      if (specs.length === 0) {
        throw new ConfigError("nothing to decontaminate against", {
          key: "--against",
          fix: "pass --against FILE[=FIELD] and/or --against-dataset m1-references",
        });
      }
      const references = await readReferences(specs, {
        defaultField: flags.againstColumn,
        signal: interruptSignal,
        onNote: printNote,
      });
      for (const { label, texts } of references.counts)
        printNote(`  against ${label}: ${texts} texts`);
      const progress = pairProgress("decontaminate", terminalProgress({ quiet: flags.quiet }));
      const result = await decontaminateRows(rows, flags.column, references.texts, {
        threshold: flags.threshold,
        workers: flags.workers,
        signal: interruptSignal,
        locate: rowLocator(flags.in),
        onProgress: progress.onProgress,
      }).finally(progress.stop);
      writeRows(flags.out, result.kept);
      await pushRowsIfAsked(flags, flags.out, "m1 curate decontaminate", result.kept);
      if (flags.pairs) {
        writeRows(
          flags.pairs,
          result.pairs.map((pair) => ({
            row: pair.row,
            against: references.origins[pair.against]!.file,
            item: references.origins[pair.against]!.item,
            score: pair.score,
          })),
        );
      }
      const seconds = (performance.now() - started) / 1000;
      printNote(`  ${describeFilters(result.stats)}`);
      printNote(
        `decontaminate: ${rows.length} rows in, ${references.texts.length} reference texts from ` +
          `${references.counts.length} reference(s); ${result.pairs.length} pairs >= ${flags.threshold}, ` +
          `dropped ${rows.length - result.kept.length}, kept ${result.kept.length}; ` +
          `${seconds.toFixed(1)} s; wrote ${flags.out}${flags.pairs ? ` and ${flags.pairs}` : ""}`,
      );
    });
}
