import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import { renderTrainingFile } from "../../../curate/training-text/training-file.js";
import { renderTokenLengthStats } from "../../../curate/training-text/token-stats.js";
import { M1_BLOCK_SIZE } from "../../../curate/training-text/training-rows.js";
import { integerFlag } from "../../flags.js";
import { interruptSignal } from "../../interrupt.js";
import { terminalProgress } from "../../progress.js";
import { checkOutputPaths } from "../../../io/output-paths.js";

interface FormatFlags extends PushFlags {
  in: string;
  out: string;
  chatTemplate?: string;
  tokenizerConfig?: string;
  tokenizer?: string;
  blockSize: number;
  quiet?: boolean;
}

/** `m1 curate format`: m1's chat-templated training text, with token-length statistics. */
export function registerCurateFormat(curate: Command): void {
  curate
    .command("format")
    .description(
      "Render rows (prompt, reasoning, distilled_answer_string) as m1's chat-templated training text",
    )
    .requiredOption("--in <file>", "rows from the distill step (.jsonl, .json or .parquet)")
    .requiredOption("--out <file>", "where to write the rows with `text` added")
    .option(
      "--chat-template <file>",
      "the model's chat template (.jinja, or a tokenizer_config.json)",
    )
    .option("--tokenizer-config <file>", "the model's tokenizer_config.json (its chat_template)")
    .option(
      "--tokenizer <file>",
      "tokenizer.json (or a .gguf file) to count tokens: statistics, histogram, share above the block size",
    )
    .option(
      "--block-size <tokens>",
      "training block size (TRL max_length)",
      integerFlag({ min: 1 }),
      M1_BLOCK_SIZE,
    )
    .option("-q, --quiet", "no progress bar")
    .addHelpText(
      "after",
      "\nThe assistant turn is `<|im_start|>think\\n{reasoning.strip()}\\n<|im_start|>answer\\n{attempt.strip()}`,\n" +
        "attempt = `Answer: ` + the answer unless it already contains `Answer:` (as m1).\n" +
        "With --tokenizer, rows get `num_tokens` and the statistics go to <out>.token-stats.json too.",
    )
    .action(async (flags: FormatFlags) => {
      checkPushFlags(flags);
      checkOutputPaths({
        path: flags.out,
        kind: "rows",
        key: "--out",
        example: "--out formatted.jsonl",
      });
      const summary = await renderTrainingFile({
        inPath: flags.in,
        outPath: flags.out,
        chatTemplatePath: flags.chatTemplate,
        tokenizerConfigPath: flags.tokenizerConfig,
        tokenizerPath: flags.tokenizer,
        blockSize: flags.blockSize,
        progress: terminalProgress({ quiet: flags.quiet }),
        signal: interruptSignal,
      });
      const lines = [`wrote ${summary.rows} rows to ${summary.outPath}`];
      if (summary.stats) {
        lines.push(...renderTokenLengthStats(summary.stats));
        if (summary.aboveBlockSize.length > 0) {
          lines.push(`  above the block size: ${listSome(summary.aboveBlockSize)}`);
        }
        lines.push(`statistics written to ${summary.statsPath}`);
      }
      process.stdout.write(`${lines.join("\n")}\n`);
      await pushRowsIfAsked(flags, summary.outPath, "m1 curate format");
    });
}

function listSome(labels: readonly string[], shown = 10): string {
  const head = labels.slice(0, shown).join(", ");
  return labels.length > shown ? `${head}, ... (${labels.length - shown} more)` : head;
}
