import type {
  Backend,
  FinishReason,
  GenerateResult,
  GenerationSequence,
  SamplingOptions,
} from "../backends/types.js";
import { CancelledError, ConfigError, M1Error } from "../errors.js";
import type { ThinkingFormat } from "./thinking-formats.js";
import type { GenerationRecord } from "./record.js";
import {
  textAsAnswer,
  ThinkingMonitor,
  type AdaptiveSettings,
  type ProbeEvent,
  type StopReason,
} from "./adaptive.js";

/** Everything that controls thinking for one question. Names follow m1's config keys in camelCase. */
export interface BudgetForcingSettings {
  thinkingFormat: ThinkingFormat;
  /** m1's `max_new_tokens`: the thinking budget (or the whole output in baseline mode). */
  thinkingBudget: number;
  /** m1's `max_new_answer_tokens`. */
  answerBudget: number;
  /** m1's `keep_think_below_budget_times`. */
  waitRounds: number;
  /** m1's `keep_think_below_budget_str`. */
  waitText: string;
  /** Refuse to end thinking before this many thinking tokens (0: off). */
  minThinkingTokens: number;
  sampling: SamplingOptions;
  /** Ours: answer probes, early exit, loop cut-off (absent: off, thinking runs as m1's). */
  adaptive?: AdaptiveSettings;
}

export type EngineEvent =
  | { type: "text"; phase: "thinking" | "answer"; text: string }
  | {
      type: "inserted";
      phase: "thinking" | "answer";
      reason: InsertReason;
      text: string;
      tokens: number;
    }
  | ProbeEvent;

export type InsertReason = "wait" | "min-thinking-wait" | "newline" | "answer-prefix";

export interface GenerateWithBudgetOptions {
  signal?: AbortSignal;
  /** Streams generated and inserted text in order, for live display. */
  onEvent?: (event: EngineEvent) => void;
  /**
   * The caller's own stop strings (an API request's `stop`): they end the answer, never thinking.
   * In baseline mode they end the output (a Wait round still follows, as after any stop).
   */
  answerStop?: readonly string[];
  /**
   * Reads the answer from a probe's response text ("" when there is none): eval passes m1's
   * scorer here. Default: the text itself, trimmed (probes then agree when their text does).
   */
  extractAnswer?: (responseText: string) => string;
}

/**
 * Reject settings the engine cannot run. Config validation checks the same rules where users
 * give them (with their file, flag or key); this guards callers that build settings in code.
 */
export function validateBudgetForcingSettings(settings: BudgetForcingSettings): void {
  const wholeNumber = (value: number, key: string, minimum: number, example: number) => {
    if (!Number.isInteger(value) || value < minimum) {
      const expected = minimum === 1 ? "above 0" : `of at least ${minimum}`;
      throw new ConfigError(`${value} is not a whole number ${expected}`, {
        key,
        fix: `use e.g. ${key}: ${example}`,
      });
    }
  };
  wholeNumber(settings.thinkingBudget, "max_new_tokens", 1, 1024);
  wholeNumber(settings.answerBudget, "max_new_answer_tokens", 1, 1024);
  wholeNumber(settings.waitRounds, "keep_think_below_budget_times", 0, 2);
  wholeNumber(settings.minThinkingTokens, "min_thinking_tokens", 0, 0);
  if (settings.adaptive) validateAdaptiveSettings(settings.adaptive, settings.thinkingBudget);
  if (settings.waitRounds > 0 && settings.waitText.length === 0) {
    throw new ConfigError(waitTextProblem(settings.waitRounds), {
      key: "keep_think_below_budget_str",
      fix: "use e.g. keep_think_below_budget_str: Wait",
    });
  }
}

function validateAdaptiveSettings(adaptive: AdaptiveSettings, budget: number): void {
  const problem = adaptiveSettingsProblem(adaptive, budget);
  if (problem) throw new ConfigError(problem.message, { key: problem.key, fix: problem.fix });
}

/**
 * What is wrong with adaptive settings under a thinking budget, if anything (config validation
 * names the same keys where users give them).
 */
export function adaptiveSettingsProblem(
  adaptive: AdaptiveSettings,
  budget: number,
): { key: string; message: string; fix: string } | undefined {
  const { probeEvery, probeTokens, earlyExitPatience, loopCutoff } = adaptive;
  if (probeEvery !== null && (!Number.isInteger(probeEvery) || probeEvery < 1)) {
    return {
      key: "probe_every",
      message: `${probeEvery} is not a whole number above 0`,
      fix: "use e.g. probe_every: 256",
    };
  }
  if (probeEvery !== null && probeEvery > budget) {
    return {
      key: "probe_every",
      message: `${probeEvery} is above the thinking budget ${budget}, so no probe would run`,
      fix: `use a probe_every of at most ${budget}, e.g. ${Math.max(1, Math.floor(budget / 4))}`,
    };
  }
  if (!Number.isInteger(probeTokens) || probeTokens < 1) {
    return {
      key: "probe_tokens",
      message: `${probeTokens} is not a whole number above 0`,
      fix: "use e.g. probe_tokens: 16",
    };
  }
  if (!Number.isInteger(earlyExitPatience) || earlyExitPatience < 0) {
    return {
      key: "early_exit_patience",
      message: `${earlyExitPatience} is not a whole number of at least 0`,
      fix: "use e.g. early_exit_patience: 2",
    };
  }
  if (earlyExitPatience > 0 && probeEvery === null) {
    return {
      key: "early_exit_patience",
      message: "early exit needs answer probes, but probe_every is not set",
      fix: "set probe_every too, e.g. probe_every: 256",
    };
  }
  if (loopCutoff !== null) {
    const { ngram, repeats } = loopCutoff;
    if (!Number.isInteger(ngram) || ngram < 1) {
      return {
        key: "loop_cutoff",
        message: `ngram ${ngram} is not a whole number above 0`,
        fix: "use e.g. loop_cutoff: {ngram: 16, repeats: 3}",
      };
    }
    if (!Number.isInteger(repeats) || repeats < 2) {
      return {
        key: "loop_cutoff",
        message: `repeats ${repeats} is not a whole number of at least 2 (one span is no loop)`,
        fix: "use e.g. loop_cutoff: {ngram: 16, repeats: 3}",
      };
    }
    if (ngram * repeats > budget) {
      return {
        key: "loop_cutoff",
        message: `ngram x repeats = ${ngram * repeats} is above the thinking budget ${budget}, so it could never fire`,
        fix: `keep ngram x repeats at most ${budget}`,
      };
    }
  }
  return undefined;
}

/** The problem with an empty Wait text when `rounds` Wait rounds are asked for. */
export function waitTextProblem(rounds: number): string {
  return `"" is empty, but keep_think_below_budget_times asks for ${rounds} Wait round(s)`;
}

/** m1's spacing rule: a space goes before the Wait text only when the text ends with a space. */
export function waitString(textSoFar: string, waitText: string): string {
  return !textSoFar.endsWith("\n") && textSoFar.endsWith(" ") ? ` ${waitText}` : waitText;
}

function throwIfUnusable(result: GenerateResult): void {
  if (result.finishReason === "abort") throw new CancelledError();
  if (result.finishReason === "error") throw new M1Error("the model call ended with an error");
}

/**
 * Budget forcing for one question (m1's `inference_keep_think`, per sequence and token-exact):
 * think -> up to K Wait rounds -> newline -> answer prefix -> answer, all on one sequence.
 * `renderedPrompt` is the chat-templated prompt; the thinking format's delimiter is added here.
 */
export async function generateWithBudget(
  backend: Backend,
  renderedPrompt: string,
  settings: BudgetForcingSettings,
  options: GenerateWithBudgetOptions = {},
): Promise<GenerationRecord> {
  const { signal } = options;
  if (signal?.aborted) throw new CancelledError();
  const format = settings.thinkingFormat;
  const sequence = await backend.openSequence(renderedPrompt + format.thinkStart, { signal });
  try {
    return format.thinking
      ? await runThinking(backend, sequence, settings, options)
      : await runBaseline(backend, sequence, settings, options);
  } finally {
    await sequence.dispose();
  }
}

interface ThinkingState {
  text: string;
  tokens: number;
  finishReason: FinishReason;
  waitRounds: number;
  minThinkingWaits: number;
  /** Set when the monitor ended thinking before the model or the budget did. */
  cutBy?: Extract<StopReason, "converged" | "loop">;
}

/** Generate within what is left of the budget, then run up to K Wait rounds (m1's keep_think). */
async function thinkWithWaits(
  backend: Backend,
  sequence: GenerationSequence,
  settings: BudgetForcingSettings,
  phase: "thinking" | "answer",
  stop: readonly string[],
  options: GenerateWithBudgetOptions,
  monitor?: ThinkingMonitor,
): Promise<ThinkingState> {
  const { signal, onEvent } = options;
  const budget = settings.thinkingBudget;
  const minimum = phase === "thinking" ? Math.min(settings.minThinkingTokens, budget) : 0;
  const emulateMinimum = minimum > 0 && !backend.capabilities.stopSuppression;
  const state: ThinkingState = {
    text: "",
    tokens: 0,
    finishReason: "length",
    waitRounds: 0,
    minThinkingWaits: 0,
  };

  /** Think until the model stops, the budget is spent, or the monitor ends thinking. */
  const generate = async () => {
    for (;;) {
      const left = budget - state.tokens;
      const result = await sequence.generate({
        maxTokens: monitor ? monitor.chunkLimit(state.tokens, left) : left,
        stop,
        sampling: settings.sampling,
        suppressStopForTokens:
          minimum > 0 && !emulateMinimum ? Math.max(0, minimum - state.tokens) : undefined,
        signal,
        onText: onEvent ? (text) => onEvent({ type: "text", phase, text }) : undefined,
        onToken: monitor?.onToken,
      });
      throwIfUnusable(result);
      state.text += result.text;
      state.tokens += result.tokens;
      state.finishReason = result.finishReason;
      if (!monitor) return;
      state.cutBy = await monitor.afterChunk(result, {
        text: state.text,
        tokens: state.tokens,
        budget,
      });
      if (state.cutBy || result.finishReason !== "length" || state.tokens >= budget) return;
    }
  };

  /** Insert the Wait text unless it would reach the budget; true when inserted. */
  const insertWait = async (reason: InsertReason): Promise<boolean> => {
    const wait = waitString(state.text, settings.waitText);
    const waitTokens = await backend.countTokens(wait, { signal });
    // m1's corner case: when adding the Wait text reaches the budget, this sequence stops thinking.
    if (state.tokens + waitTokens >= budget) return false;
    await sequence.append(wait, { signal });
    monitor?.noteInserted();
    state.text += wait;
    state.tokens += waitTokens;
    onEvent?.({ type: "inserted", phase, reason, text: wait, tokens: waitTokens });
    return true;
  };

  await generate();
  // Minimum thinking over HTTP: the server cannot refuse a stop string, so continue with Wait.
  while (
    !state.cutBy &&
    emulateMinimum &&
    state.finishReason === "stop" &&
    state.tokens < minimum
  ) {
    if (!(await insertWait("min-thinking-wait"))) break;
    state.minThinkingWaits++;
    await generate();
  }
  while (!state.cutBy && state.waitRounds < settings.waitRounds && state.tokens < budget) {
    if (!(await insertWait("wait"))) break;
    state.waitRounds++;
    await generate();
  }
  return state;
}

async function runThinking(
  backend: Backend,
  sequence: GenerationSequence,
  settings: BudgetForcingSettings,
  options: GenerateWithBudgetOptions,
): Promise<GenerationRecord> {
  const { signal, onEvent } = options;
  const format = settings.thinkingFormat;
  const monitor = settings.adaptive
    ? new ThinkingMonitor({
        settings: settings.adaptive,
        format,
        sequence,
        sampling: settings.sampling,
        extractAnswer: options.extractAnswer ?? textAsAnswer,
        minimumTokens: Math.min(settings.minThinkingTokens, settings.thinkingBudget),
        signal,
        onProbe: onEvent,
      })
    : undefined;
  const thinking = await thinkWithWaits(
    backend,
    sequence,
    settings,
    "thinking",
    format.stopStrings,
    options,
    monitor,
  );

  let thinkingText = thinking.text;
  let insertedTokens = 0;
  const insert = async (text: string, phase: "thinking" | "answer", reason: InsertReason) => {
    const tokens = await sequence.append(text, { signal });
    insertedTokens += tokens;
    onEvent?.({ type: "inserted", phase, reason, text, tokens });
    return tokens;
  };

  if (!thinkingText.endsWith("\n")) {
    await insert("\n", "thinking", "newline");
    thinkingText += "\n";
  }
  const answerPrefix =
    thinking.finishReason === "length" ? format.forcedAnswerPrefix : format.answerPrefix;
  if (answerPrefix.length > 0) await insert(answerPrefix, "answer", "answer-prefix");

  const answer = await sequence.generate({
    maxTokens: settings.answerBudget,
    stop: options.answerStop ? [...format.stopStrings, ...options.answerStop] : format.stopStrings,
    sampling: settings.sampling,
    signal,
    onText: onEvent ? (text) => onEvent({ type: "text", phase: "answer", text }) : undefined,
  });
  throwIfUnusable(answer);

  return {
    thinking_text: thinkingText,
    thinking_finish_reason: thinking.finishReason,
    response_text: answerPrefix + answer.text,
    finish_reason: answer.finishReason,
    num_gen_tokens: thinking.tokens + insertedTokens + answer.tokens,
    num_keep_think_below_budget: thinking.waitRounds,
    num_min_thinking_waits: thinking.minThinkingWaits,
    thinking_tokens: thinking.tokens,
    answer_tokens: answer.tokens,
    prompt_tokens: sequence.promptTokens,
    stopped_by: thinking.cutBy ?? (thinking.finishReason === "length" ? "budget" : "model"),
    probe_answers: monitor?.probes ?? [],
    probe_tokens_total: monitor?.probeTokensTotal ?? 0,
    ...(sequence.evaluatedTokens === undefined
      ? {}
      : { evaluated_tokens: sequence.evaluatedTokens }),
  };
}

/** Baseline (m1 without `force_think`): one call with no stop strings; Wait rounds still apply. */
async function runBaseline(
  backend: Backend,
  sequence: GenerationSequence,
  settings: BudgetForcingSettings,
  options: GenerateWithBudgetOptions,
): Promise<GenerationRecord> {
  const output = await thinkWithWaits(
    backend,
    sequence,
    { ...settings, minThinkingTokens: 0 },
    "answer",
    options.answerStop ?? [],
    options,
  );
  return {
    thinking_text: null,
    thinking_finish_reason: null,
    response_text: output.text,
    finish_reason: output.finishReason,
    num_gen_tokens: output.tokens,
    num_keep_think_below_budget: output.waitRounds,
    num_min_thinking_waits: 0,
    thinking_tokens: 0,
    answer_tokens: output.tokens,
    prompt_tokens: sequence.promptTokens,
    stopped_by: output.finishReason === "length" ? "budget" : "model",
    probe_answers: [],
    probe_tokens_total: 0,
    ...(sequence.evaluatedTokens === undefined
      ? {}
      : { evaluated_tokens: sequence.evaluatedTokens }),
  };
}
