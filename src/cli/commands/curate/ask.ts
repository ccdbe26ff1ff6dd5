import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import {
  ASK_DEFAULTS,
  layerAskOptions,
  readAskConfigFile,
} from "../../../curate/ask/ask-options.js";
import { M1_GENERATION_DEFAULTS } from "../../../engine/generation-settings.js";
import { THINKING_FORMAT_NAMES } from "../../../engine/thinking-formats.js";
import { askRows } from "../../../curate/ask/ask-rows.js";
import { resolveAskSettings } from "../../../curate/ask/ask-settings.js";
import { describePlan, planAsk } from "../../../curate/ask/dry-run.js";
import { askOptionsFromFlags, type AskFlags } from "../../../curate/ask/flag-options.js";
import { chatProgressDetail, chatRunSummary } from "../../../curate/progress-detail.js";
import { ConfigError } from "../../../errors.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { choiceFlag, integerFlag, numberFlag } from "../../flags.js";
import { retryNotices } from "../../../net/index.js";
import { interruptSignal } from "../../interrupt.js";
import { printNote, printWarning } from "../../output.js";
import { terminalProgress } from "../../progress.js";
import { checkOutputPaths } from "../../../io/output-paths.js";

interface AskCommandFlags extends PushFlags, AskFlags {
  in: string;
  out?: string;
  config?: string;
  apiKey?: string;
  dryRun?: boolean;
  quiet?: boolean;
}

/** The flags `curate ask` and `curate classify` share (model endpoint, limits, retries, cache). */
/** Paid commands write their answers to --out; only a dry run (which calls nothing) goes without. */
export function requireOutUnlessDryRun(flags: { dryRun?: boolean; out?: string }): void {
  if (!flags.dryRun && !flags.out) {
    throw new ConfigError("is required", { key: "--out", fix: "pass --out FILE, or --dry-run" });
  }
}

export function addModelCallOptions(command: Command, retryFlag = "--max-retries"): Command {
  return command
    .option("--model <name>", "model name as the server knows it")
    .option("--base-url <url>", "OpenAI-compatible API root, e.g. https://api.deepseek.com/v1")
    .option(
      "--api-key <key>",
      "API key (or set api_key_env in the config to read it from the environment)",
    )
    .option("--config <file>", "ask.yaml with any of the settings below, prices and limits")
    .option("--rpm <n>", "requests per minute", numberFlag({ min: 0.001, example: 60 }))
    .option(
      "--tpm <n>",
      "tokens per minute (estimated before a call, corrected from usage)",
      numberFlag({ min: 1, example: 100000 }),
    )
    .option(
      "--burst-seconds <s>",
      `how much of a minute's budget may go at once (default ${ASK_DEFAULTS.burst_seconds})`,
      numberFlag({ min: 0.001, example: ASK_DEFAULTS.burst_seconds }),
    )
    .option(
      "--concurrency <n>",
      `requests in flight at most (default ${ASK_DEFAULTS.concurrency})`,
      integerFlag({ min: 1, example: ASK_DEFAULTS.concurrency }),
    )
    .option(
      `${retryFlag} <n>`,
      `retries per request (default ${ASK_DEFAULTS.max_retries})`,
      integerFlag({ min: 0, example: ASK_DEFAULTS.max_retries }),
    )
    .option(
      "--timeout <s>",
      `seconds per request (default ${ASK_DEFAULTS.timeout_seconds})`,
      numberFlag({ min: 0.001, example: ASK_DEFAULTS.timeout_seconds }),
    )
    .option("--cache <file>", "response cache (default ~/.cache/m1/curate/chat-answers.sqlite)")
    .option("--allow-failures", "leave rows that still fail after retries out instead of failing")
    .option("--dry-run", "count requests, tokens and cost; send nothing")
    .option("-q, --quiet", "no progress bar");
}

export function registerCurateAsk(curate: Command): void {
  const command = curate
    .command("ask")
    .description("Ask a model about every row (rate limits, cache, cost accounting)")
    .requiredOption("--in <file>", "rows to ask about (.jsonl/.json/.parquet)")
    .option("--out <file>", "rows with the answer columns added (required unless --dry-run)")
    .option(
      "--preset <name>",
      "m1's settings: difficulty, distill or classify",
      choiceFlag(["difficulty", "distill", "classify"] as const),
    )
    .option(
      "--prompt-template <text>",
      "user message; {column} is a row value, {{ }} literal braces",
    )
    .option("--system-prompt <text>", "system message")
    .option("--content-column <name>", "output column for the answer text")
    .option("--reasoning-column <name>", "output column for reasoning_content (DeepSeek-R1)")
    .option("--temperature <t>", "sampling temperature", numberFlag({ min: 0, max: 2 }))
    .option("--max-tokens <n>", "max_tokens", integerFlag({ min: 1, example: 4000 }))
    .option(
      "--engine <api|local>",
      "api: a chat server (default); local: a GGUF model through the budget-forcing engine",
      choiceFlag(["api", "local"] as const),
    )
    .option("--gguf <file>", "the GGUF model for --engine local")
    .option(
      "--thinking-format <name>",
      `--engine local: ${THINKING_FORMAT_NAMES.join(", ")} (default none: an instruct model)`,
      choiceFlag(THINKING_FORMAT_NAMES),
    )
    .option(
      "--answer-tokens <n>",
      `--engine local with thinking: answer tokens (default ${M1_GENERATION_DEFAULTS.max_new_answer_tokens})`,
      integerFlag({ min: 1, example: M1_GENERATION_DEFAULTS.max_new_answer_tokens }),
    )
    .option(
      "--wait-rounds <n>",
      `--engine local with thinking: Wait rounds (default ${M1_GENERATION_DEFAULTS.keep_think_below_budget_times})`,
      integerFlag({ min: 0 }),
    );
  addModelCallOptions(command)
    .addHelpText(
      "after",
      "\nPresets (m1's runs): difficulty = Qwen2.5 filter (temperature 0, 4000 tokens, boxed prompt),\n" +
        "distill = DeepSeek-R1 (temperature 0, 8000 tokens; reasoning kept), classify = GPT-4o MeSH domain.\n" +
        "A rerun skips every row already answered (the cache); a killed run pays for no answer twice.",
    )
    .action(async (flags: AskCommandFlags) => {
      checkPushFlags(flags);
      requireOutUnlessDryRun(flags);
      checkOutputPaths(
        { path: flags.out, kind: "rows", key: "--out", example: "--out answered.jsonl" },
        { path: flags.cache, kind: "file", key: "--cache", example: "--cache answers.sqlite" },
      );
      const fileOptions = flags.config ? readAskConfigFile(flags.config) : undefined;
      const settings = resolveAskSettings(
        layerAskOptions(fileOptions, askOptionsFromFlags(flags)),
        { apiKey: flags.apiKey, file: flags.config, readApiKey: !flags.dryRun },
      );
      const rows = await readRows(flags.in);
      if (flags.dryRun) {
        for (const line of describePlan(planAsk(rows, flags.in, settings))) printNote(line);
        return;
      }
      const bar = terminalProgress({ quiet: flags.quiet }).bar({
        label: `ask ${settings.model}`,
        total: rows.length,
        unit: "rows",
      });
      let done = 0;
      const result = await askRows(rows, flags.in, settings, {
        signal: interruptSignal,
        onRetry: retryNotices((line) => printWarning(line)),
        onOutcome: (_index, _outcome, stats) => bar.update(++done, chatProgressDetail(stats)),
      }).finally(() => bar.stop());
      writeRows(flags.out!, result.rows);
      await pushRowsIfAsked(flags, flags.out!, "m1 curate ask", result.rows);
      printNote(`ask: ${chatRunSummary(result.stats)}`);
      if (result.failures.length > 0) {
        printNote(`ask: left out ${result.failures.length} rows whose requests failed`);
      }
      printNote(`ask: wrote ${result.rows.length} rows to ${flags.out}`);
    });
}
