import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { openBackend } from "../../backends/factory.js";
import {
  DEFAULT_BUDGET_FORCING,
  generateWithBudget,
  validateBudgetForcingSettings,
  type BudgetForcingSettings,
  type EngineEvent,
} from "../../engine/budget-forcing.js";
import { THINKING_FORMAT_NAMES, resolveThinkingFormat } from "../../engine/thinking-formats.js";
import type { GenerationRecord } from "../../engine/record.js";
import { ConfigError, InputError } from "../../errors.js";
import { addBackendFlags, backendSettingsFromFlags, type BackendFlags } from "../backend-flags.js";
import { choiceFlag, integerFlag, numberFlag } from "../flags.js";
import { interruptSignal } from "../interrupt.js";
import { colors, errorColors, printNote } from "../output.js";

interface AskFlags extends BackendFlags {
  file?: string;
  format: string;
  budget: number;
  wait: number;
  waitText: string;
  answerBudget: number;
  minThinking: number;
  temperature: number;
  topP?: number;
  frequencyPenalty: number;
  seed: number;
  forcedCloseMessage?: string;
  json: boolean;
}

export function registerAsk(program: Command): void {
  const command = program
    .command("ask")
    .summary("ask one question with a thinking budget; streams the thinking and the answer")
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
      `thinking format: ${THINKING_FORMAT_NAMES.join(", ")} (none: one plain call)`,
      choiceFlag(THINKING_FORMAT_NAMES),
      "m1",
    )
    .option(
      "--budget <n>",
      "thinking budget in tokens (m1's max_new_tokens)",
      integerFlag({ min: 1 }),
      DEFAULT_BUDGET_FORCING.thinkingBudget,
    )
    .option(
      "--wait <k>",
      "Wait rounds when thinking stops early (m1's keep_think_below_budget_times)",
      integerFlag({ min: 0 }),
      0,
    )
    .option(
      "--wait-text <text>",
      "text inserted to keep thinking (m1's keep_think_below_budget_str)",
      "Wait",
    )
    .option(
      "--answer-budget <n>",
      "answer tokens (m1's max_new_answer_tokens)",
      integerFlag({ min: 1 }),
      1024,
    )
    .option(
      "--min-thinking <n>",
      "refuse to end thinking before n tokens",
      integerFlag({ min: 0 }),
      0,
    )
    .option(
      "--temperature <t>",
      "sampling temperature (0: greedy, m1's default)",
      numberFlag({ min: 0 }),
      0,
    )
    .option("--top-p <p>", "nucleus sampling", numberFlag({ min: 0.0001, max: 1 }))
    .option("--frequency-penalty <x>", "frequency penalty", numberFlag({ min: -2, max: 2 }), 0)
    .option("--seed <n>", "sampling seed (m1's default 42)", integerFlag(), 42)
    .option(
      "--forced-close-message <text>",
      "think-tags: text written before </think> when the budget ends thinking (e.g. Qwen3's sentence)",
    )
    .option(
      "--json",
      "print the record as one JSON line at the end instead of streaming text",
      false,
    );
  addBackendFlags(command).action(async (prompt: string | undefined, flags: AskFlags) => {
    const question = readQuestion(prompt, flags.file);
    const settings: BudgetForcingSettings = {
      thinkingFormat: resolveThinkingFormat(flags.format, {
        forced_close_message: flags.forcedCloseMessage,
      }),
      thinkingBudget: flags.budget,
      answerBudget: flags.answerBudget,
      waitRounds: flags.wait,
      waitText: flags.waitText,
      minThinkingTokens: flags.minThinking,
      sampling: {
        temperature: flags.temperature,
        seed: flags.seed,
        frequencyPenalty: flags.frequencyPenalty,
        ...(flags.topP === undefined ? {} : { topP: flags.topP }),
      },
    };
    validateBudgetForcingSettings(settings);
    const opened = await openBackend(backendSettingsFromFlags(flags, flags.seed), {
      signal: interruptSignal,
    });
    try {
      for (const note of opened.notes) printNote(errorColors.yellow(note));
      const rendered = await opened.backend.renderChat([{ role: "user", content: question }]);
      const started = performance.now();
      const record = await generateWithBudget(opened.backend, rendered, settings, {
        signal: interruptSignal,
        onEvent: flags.json ? undefined : streamToTerminal(),
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
    try {
      return readFileSync(file, "utf8");
    } catch {
      throw new InputError("cannot read the question file", { file }, "check the --file path");
    }
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
    if (event.type === "inserted") {
      process.stdout.write(event.reason === "newline" ? "\n" : colors.cyan(event.text));
    } else {
      process.stdout.write(phase === "thinking" ? colors.dim(event.text) : event.text);
    }
  };
}

function tokenSummary(
  record: GenerationRecord,
  settings: BudgetForcingSettings,
  seconds: number,
): string {
  const parts = [
    record.thinking_text === null
      ? `output ${record.answer_tokens}/${settings.thinkingBudget} (${record.finish_reason})`
      : `thinking ${record.thinking_tokens}/${settings.thinkingBudget} (${record.thinking_finish_reason === "length" ? "budget reached, answer forced" : "stopped by itself"})`,
    `Wait rounds ${record.num_keep_think_below_budget}`,
    ...(record.thinking_text === null ? [] : [`answer ${record.answer_tokens}`]),
    `prompt ${record.prompt_tokens}`,
    `total generated ${record.num_gen_tokens}`,
    ...(record.evaluated_tokens === undefined ? [] : [`evaluated ${record.evaluated_tokens}`]),
    `${seconds.toFixed(1)} s`,
  ];
  return colors.bold("tokens: ") + parts.join(" · ");
}
