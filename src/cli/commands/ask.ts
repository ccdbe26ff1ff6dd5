import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { openBackend } from "../../backends/factory.js";
import { flagLayers, parseConfig } from "../../config/index.js";
import {
  generateWithBudget,
  validateBudgetForcingSettings,
  type BudgetForcingSettings,
  type EngineEvent,
} from "../../engine/budget-forcing.js";
import { fitContext } from "../../engine/context-fit.js";
import {
  M1_GENERATION_DEFAULTS,
  budgetForcingSettings,
  generationSettingsSchema,
  type GenerationSettings,
} from "../../engine/generation-settings.js";
import { THINKING_FORMAT_NAMES, resolveThinkingFormat } from "../../engine/thinking-formats.js";
import type { GenerationRecord } from "../../engine/record.js";
import { ConfigError, InputError } from "../../errors.js";
import { extractAnswer } from "../../eval/scoring/index.js";
import { addBackendFlags, backendSettingsFromFlags, type BackendFlags } from "../backend-flags.js";
import { SHARED_GENERATION_FLAGS } from "../generation-flags.js";
import { interruptSignal } from "../interrupt.js";
import { retryNotices } from "../../net/index.js";
import { colors, errorColors, printNote, printWarning } from "../output.js";
import { readTextFile } from "../../io/text-file.js";

/** Generation flags as commander gives them (text, checked with the config keys' rules). */
interface AskFlags extends BackendFlags {
  file?: string;
  format?: string;
  budget?: string;
  wait?: string;
  waitText?: string;
  answerBudget?: string;
  minThinking?: string;
  temperature?: string;
  topP?: string;
  frequencyPenalty?: string;
  seed?: string;
  forcedCloseMessage?: string;
  probeEvery?: string;
  probeTokens?: string;
  earlyExitPatience?: string;
  loopCutoff?: string;
  json: boolean;
}

/** Each generation flag and the m1 config key it sets (eval and serve use the same keys). */
const GENERATION_FLAGS: ReadonlyArray<readonly [keyof AskFlags, string, keyof GenerationSettings]> =
  [
    ["budget", "--budget", "max_new_tokens"],
    ["wait", "--wait", "keep_think_below_budget_times"],
    ["waitText", "--wait-text", "keep_think_below_budget_str"],
    ["answerBudget", "--answer-budget", "max_new_answer_tokens"],
    ...SHARED_GENERATION_FLAGS,
    ["probeEvery", "--probe-every", "probe_every"],
    ["probeTokens", "--probe-tokens", "probe_tokens"],
    ["earlyExitPatience", "--early-exit-patience", "early_exit_patience"],
    ["loopCutoff", "--loop-cutoff", "loop_cutoff"],
  ];

/**
 * `--loop-cutoff 16,3` or `--loop-cutoff "{ngram: 16, repeats: 3}"` -> {ngram: 16, repeats: 3};
 * anything else is left for the schema to judge.
 */
function loopCutoffFlag(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  const pair = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (pair) return { ngram: Number(pair[1]), repeats: Number(pair[2]) };
  if (!value.trim().startsWith("{")) return value;
  try {
    return parseYaml(value) as unknown;
  } catch {
    return value;
  }
}

const DEFAULTS = M1_GENERATION_DEFAULTS;

export function registerAsk(program: Command): void {
  const command = program
    .command("ask")
    .description(
      "Ask one question with a token-exact thinking budget (m1's budget forcing): the model thinks\n" +
        "for at most --budget tokens, is nudged with --wait rounds of 'Wait' when it stops early, and\n" +
        "answers after m1's answer prefix ('Final Answer:' when the budget cut thinking short).\n" +
        "The prompt is the user message exactly as given.",
    )
    .argument("[prompt]", "the question (or use --file)")
    .option("--file <path>", "read the question from a file")
    .option(
      "--format <name>",
      `thinking format: ${THINKING_FORMAT_NAMES.join(", ")} (none: one plain call; default ${DEFAULTS.thinking_format})`,
    )
    .option(
      "--budget <n>",
      `thinking budget in tokens (m1's max_new_tokens; default ${DEFAULTS.max_new_tokens})`,
    )
    .option(
      "--wait <k>",
      `Wait rounds when thinking stops early (m1's keep_think_below_budget_times; default ${DEFAULTS.keep_think_below_budget_times})`,
    )
    .option(
      "--wait-text <text>",
      `text inserted to keep thinking (m1's keep_think_below_budget_str; default ${DEFAULTS.keep_think_below_budget_str})`,
    )
    .option(
      "--answer-budget <n>",
      `answer tokens (m1's max_new_answer_tokens; default ${DEFAULTS.max_new_answer_tokens})`,
    )
    .option(
      "--min-thinking <n>",
      `refuse to end thinking before n tokens (default ${DEFAULTS.min_thinking_tokens}: off)`,
    )
    .option(
      "--temperature <t>",
      `sampling temperature (default ${DEFAULTS.temperature}: greedy, as m1)`,
    )
    .option("--top-p <p>", "nucleus sampling")
    .option("--frequency-penalty <x>", `frequency penalty (default ${DEFAULTS.frequency_penalty})`)
    .option("--seed <n>", `sampling seed (m1's default ${DEFAULTS.seed})`)
    .option(
      "--forced-close-message <text>",
      "think-tags: text written before </think> when the budget ends thinking (e.g. Qwen3's sentence)",
    )
    .option(
      "--probe-every <n>",
      "ask for the answer as it stands every n thinking tokens (answer probes; default off)",
    )
    .option(
      "--probe-tokens <n>",
      `tokens each answer probe may generate (default ${DEFAULTS.probe_tokens})`,
    )
    .option(
      "--early-exit-patience <k>",
      "end thinking when k probes in a row give the same answer (0: probe and record only)",
    )
    .option(
      "--loop-cutoff <ngram,repeats>",
      "end thinking when its last tokens are one span of >= ngram tokens written repeats times",
    )
    .option(
      "--json",
      "print the record as one JSON line at the end instead of streaming text",
      false,
    );
  addBackendFlags(command).action(async (prompt: string | undefined, flags: AskFlags) => {
    const generation = parseConfig(
      generationSettingsSchema,
      flagLayers(
        generationSettingsSchema,
        GENERATION_FLAGS.map(([property, flag, key]) => ({
          flag,
          key,
          value: property === "loopCutoff" ? loopCutoffFlag(flags.loopCutoff) : flags[property],
        })),
      ),
    );
    const settings = budgetForcingSettings(
      generation,
      resolveThinkingFormat(generation.thinking_format, {
        forced_close_message: generation.forced_close_message ?? undefined,
      }),
    );
    validateBudgetForcingSettings(settings);
    const question = readQuestion(prompt, flags.file);
    const backendSettings = backendSettingsFromFlags(flags, generation.seed);
    if (backendSettings.kind === "openai") {
      backendSettings.onRetry = retryNotices((line) => printWarning(line));
    }
    const opened = await openBackend(backendSettings, { signal: interruptSignal });
    try {
      for (const note of opened.notes) printNote(errorColors.yellow(note));
      const rendered = await opened.backend.renderChat([{ role: "user", content: question }]);
      await fitContext({
        backend: opened.backend,
        prompts: [rendered],
        settings: [settings],
        label: "the model",
        budgetKey: "--budget",
        answerKey: "--answer-budget",
        signal: interruptSignal,
      });
      const started = performance.now();
      const record = await generateWithBudget(opened.backend, rendered, settings, {
        signal: interruptSignal,
        onEvent: flags.json ? undefined : streamToTerminal(),
        // Without options to match, a probe's answer is what it put in \boxed{} ("" for none).
        extractAnswer: (text) => {
          const answer = extractAnswer(text);
          return answer === text ? "" : answer.trim();
        },
      });
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) process.stdout.write(`${JSON.stringify(record)}\n`);
      else process.stdout.write(`\n\n${tokenSummary(record, settings, seconds)}\n`);
    } finally {
      await opened.backend.close();
    }
  });
}

function readQuestion(prompt: string | undefined, file: string | undefined): string {
  if (prompt !== undefined && file !== undefined) {
    throw new ConfigError("give the question either as an argument or with --file, not both", {
      key: "--file",
    });
  }
  if (file !== undefined) {
    return readTextFile(
      file,
      () => new InputError("cannot read the question file", { file }, "check the --file path"),
    );
  }
  if (prompt === undefined || prompt.trim() === "") {
    throw new ConfigError("no question given", {
      key: "prompt",
      fix: 'm1 ask "your question" or m1 ask --file question.txt',
    });
  }
  return prompt;
}

/** Thinking dimmed, inserted text (Wait, newline, answer prefix) highlighted, the answer plain. */
function streamToTerminal(): (event: EngineEvent) => void {
  let phase: "thinking" | "answer" | undefined;
  return (event) => {
    if (event.phase !== phase) {
      phase = event.phase;
      process.stdout.write(
        colors.bold(phase === "thinking" ? "── thinking ──\n" : "\n── answer ──\n"),
      );
    }
    if (event.type === "probe") {
      const answer = event.answer === "" ? "no answer" : `answer ${event.answer}`;
      process.stdout.write(colors.magenta(` [probe at ${event.thinkingTokens}: ${answer}] `));
    } else if (event.type === "inserted") {
      process.stdout.write(event.reason === "newline" ? "\n" : colors.cyan(event.text));
    } else {
      process.stdout.write(phase === "thinking" ? colors.dim(event.text) : event.text);
    }
  };
}

const STOP_WORDS: Record<GenerationRecord["stopped_by"], string> = {
  model: "stopped by itself",
  budget: "budget reached, answer forced",
  converged: "answer settled, early exit",
  loop: "loop cut off, answer forced",
};

function tokenSummary(
  record: GenerationRecord,
  settings: BudgetForcingSettings,
  seconds: number,
): string {
  const parts = [
    record.thinking_text === null
      ? `output ${record.answer_tokens}/${settings.thinkingBudget} (${record.finish_reason})`
      : `thinking ${record.thinking_tokens}/${settings.thinkingBudget} (${STOP_WORDS[record.stopped_by]})`,
    `Wait rounds ${record.num_keep_think_below_budget}`,
    ...(settings.adaptive?.probeEvery
      ? [`probes ${record.probe_answers.length} (${record.probe_tokens_total} tokens)`]
      : []),
    ...(record.thinking_text === null ? [] : [`answer ${record.answer_tokens}`]),
    `prompt ${record.prompt_tokens}`,
    `total generated ${record.num_gen_tokens}`,
    ...(record.evaluated_tokens === undefined ? [] : [`evaluated ${record.evaluated_tokens}`]),
    `${seconds.toFixed(1)} s`,
  ];
  return colors.bold("tokens: ") + parts.join(" · ");
}
