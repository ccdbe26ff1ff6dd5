import type { Backend } from "../backends/types.js";
import { ConfigError } from "../errors.js";
import type { BudgetForcingSettings } from "./budget-forcing.js";

/** What one sequence may hold at most, in tokens, for the longest prompt and the largest settings. */
export interface ContextNeed {
  tokens: number;
  /** The longest prompt, thinking delimiter included. */
  promptTokens: number;
  /** The settings that need the most room after the prompt. */
  settings: BudgetForcingSettings;
  /** Inserted text those settings may add: Wait text per round, newline, answer prefix. */
  insertedTokens: number;
}

export interface ContextFitInput {
  backend: Backend;
  /** Chat-rendered prompts, without the thinking delimiter (the engine adds it). */
  prompts: readonly string[];
  /** Every budget-forcing setting the prompts will run with (a study's points). */
  settings: readonly BudgetForcingSettings[];
  /** Names the model in messages, e.g. a study model's label. */
  label: string;
  /** The config key or flag of the thinking budget, e.g. `max_new_tokens`, `budgets`, `--budget`. */
  budgetKey: string;
  /** The config key or flag of the answer budget, e.g. `max_new_answer_tokens`. */
  answerKey: string;
  /** Reserve the room once it fits (default true; false only checks). */
  reserve?: boolean;
  signal?: AbortSignal;
}

/** Prompts counted at once (a server's /tokenize is one request each). */
const COUNT_CONCURRENCY = 16;

/**
 * Check, before anything runs, that every sequence fits the model: the longest prompt plus the
 * thinking budget, the text budget forcing inserts (Wait text per round, newline, answer prefix)
 * and the answer budget. A limit the backend knows (the model's trained context, `context_size`,
 * a server's `max_model_len` or slot size) that is too small is a one-line ConfigError naming the
 * key, the need and the limit. When it fits, the backend reserves that much (the embedded backend
 * sizes its context to it). Resolves to the need, or undefined when the backend neither knows a
 * limit nor reserves room (nothing to check, nothing counted).
 */
export async function fitContext(input: ContextFitInput): Promise<ContextNeed | undefined> {
  const { backend, signal } = input;
  const limit = backend.contextLimit;
  if (!limit && !backend.reserveContext) return undefined;
  const need = await contextNeed(input);
  if (limit && need.tokens > limit.tokens) throw tooLong(input, need, limit);
  if (input.reserve !== false) await backend.reserveContext?.(need.tokens, { signal });
  return need;
}

async function contextNeed(input: ContextFitInput): Promise<ContextNeed> {
  const { backend, signal } = input;
  const count = (text: string) => backend.countTokens(text, { signal });
  let best: Omit<ContextNeed, "promptTokens" | "tokens"> & { after: number } = {
    settings: input.settings[0]!,
    insertedTokens: 0,
    after: -1,
  };
  const counted = new Map<string, number>();
  const countOnce = async (text: string) => {
    let tokens = counted.get(text);
    if (tokens === undefined) counted.set(text, (tokens = await count(text)));
    return tokens;
  };
  for (const settings of input.settings) {
    const format = settings.thinkingFormat;
    // m1 writes " Wait" after a space, "Wait" otherwise: room for the longer.
    const wait =
      settings.waitRounds > 0
        ? Math.max(await countOnce(settings.waitText), await countOnce(` ${settings.waitText}`))
        : 0;
    let inserted = settings.waitRounds * wait;
    let after = settings.thinkingBudget;
    if (format.thinking) {
      inserted +=
        (await countOnce("\n")) +
        Math.max(await countOnce(format.answerPrefix), await countOnce(format.forcedAnswerPrefix));
      after += settings.answerBudget;
    }
    after += inserted;
    if (after > best.after) best = { settings, insertedTokens: inserted, after };
  }

  // Formats may differ in their thinking delimiter: count each prompt with each.
  const thinkStarts = [
    ...new Set(input.settings.map((settings) => settings.thinkingFormat.thinkStart)),
  ];
  const texts = input.prompts.flatMap((prompt) => thinkStarts.map((start) => prompt + start));
  let promptTokens = 0;
  for (let start = 0; start < texts.length; start += COUNT_CONCURRENCY) {
    const counts = await Promise.all(texts.slice(start, start + COUNT_CONCURRENCY).map(count));
    promptTokens = Math.max(promptTokens, ...counts);
  }
  return {
    tokens: promptTokens + best.after,
    promptTokens,
    settings: best.settings,
    insertedTokens: best.insertedTokens,
  };
}

function tooLong(
  input: ContextFitInput,
  need: ContextNeed,
  limit: NonNullable<Backend["contextLimit"]>,
): ConfigError {
  const { settings } = need;
  const answer = settings.thinkingFormat.thinking ? settings.answerBudget : 0;
  const parts = [
    `prompt up to ${need.promptTokens}`,
    `thinking ${settings.thinkingBudget}`,
    ...(need.insertedTokens > 0 ? [`inserted ${need.insertedTokens}`] : []),
    ...(answer > 0 ? [`answer ${answer}`] : []),
  ];
  const largestBudget = limit.tokens - need.promptTokens - need.insertedTokens - answer;
  const lower =
    largestBudget > 0
      ? `${input.budgetKey === "budgets" ? "keep budgets at" : `lower ${input.budgetKey} to`} ` +
        `${largestBudget} or less${answer > 0 ? ` (or lower ${input.answerKey})` : ""}`
      : `shorten the ${input.prompts.length === 1 ? "prompt" : "prompts"}` +
        `${answer > 0 ? ` or lower ${input.answerKey}` : ""}`;
  return new ConfigError(
    `${settings.thinkingBudget} needs up to ${need.tokens} tokens per sequence (${parts.join(" + ")}), ` +
      `but ${input.label} holds ${limit.tokens} (${limit.source})`,
    { key: input.budgetKey, fix: `${lower}, or ${limit.raise}` },
  );
}
