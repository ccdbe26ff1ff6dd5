import { randomUUID } from "node:crypto";
import type { GenerationRecord } from "../engine/record.js";
import type { ChoiceTexts, TextDelta } from "./choice-text.js";
import type { AppliedSettings } from "./parameters.js";

/**
 * Response bodies and stream chunks in OpenAI's shapes, for chat (`chat.completion`) and text
 * (`text_completion`) completions. The thinking goes in `reasoning_content` and again in
 * `reasoning` (newer clients read that one); each choice carries m1's record in `m1`, and the
 * response carries the settings applied in a top-level `m1`.
 */

/** One finished choice. */
export interface ChoiceResult {
  index: number;
  record: GenerationRecord;
  texts: ChoiceTexts;
  /** Tokens m1 inserted: Wait text, the newline closing thinking, the answer prefix. */
  insertedTokens: number;
  seed: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
}

/** The parts of a response that differ between chat and text completions. */
export interface Dialect {
  readonly endpoint: "chat" | "completions";
  readonly object: string;
  readonly chunkObject: string;
  readonly idPrefix: string;
  choice(result: ChoiceResult): Record<string, unknown>;
  /** The first chunk of a choice (chat: the role), if any. */
  openingChoice(index: number): Record<string, unknown> | undefined;
  deltaChoice(index: number, delta: TextDelta): Record<string, unknown>;
  finalChoice(result: ChoiceResult): Record<string, unknown>;
}

function reasoningFields(reasoning: string | null | undefined): Record<string, string> {
  return reasoning ? { reasoning_content: reasoning, reasoning } : {};
}

function m1Record(result: ChoiceResult): Record<string, unknown> {
  return { ...result.record, inserted_tokens: result.insertedTokens, seed: result.seed };
}

export const CHAT_DIALECT: Dialect = {
  endpoint: "chat",
  object: "chat.completion",
  chunkObject: "chat.completion.chunk",
  idPrefix: "chatcmpl",
  choice: (result) => ({
    index: result.index,
    message: {
      role: "assistant",
      content: result.texts.content,
      ...reasoningFields(result.texts.reasoning),
    },
    logprobs: null,
    finish_reason: result.record.finish_reason,
    m1: m1Record(result),
  }),
  openingChoice: (index) => ({
    index,
    delta: { role: "assistant", content: "" },
    logprobs: null,
    finish_reason: null,
  }),
  deltaChoice: (index, delta) => ({
    index,
    delta: {
      ...reasoningFields(delta.reasoning),
      ...(delta.content === undefined ? {} : { content: delta.content }),
    },
    logprobs: null,
    finish_reason: null,
  }),
  finalChoice: (result) => ({
    index: result.index,
    delta: {},
    logprobs: null,
    finish_reason: result.record.finish_reason,
    m1: m1Record(result),
  }),
};

export const TEXT_DIALECT: Dialect = {
  endpoint: "completions",
  object: "text_completion",
  chunkObject: "text_completion",
  idPrefix: "cmpl",
  choice: (result) => ({
    index: result.index,
    text: result.texts.content,
    ...reasoningFields(result.texts.reasoning),
    logprobs: null,
    finish_reason: result.record.finish_reason,
    m1: m1Record(result),
  }),
  openingChoice: () => undefined,
  deltaChoice: (index, delta) => ({
    index,
    text: delta.content ?? "",
    ...reasoningFields(delta.reasoning),
    logprobs: null,
    finish_reason: null,
  }),
  finalChoice: (result) => ({
    index: result.index,
    text: "",
    logprobs: null,
    finish_reason: result.record.finish_reason,
    m1: m1Record(result),
  }),
};

/**
 * Tokens as OpenAI counts them: each prompt once (choices share it), every generated or inserted
 * token of every choice, and the thinking among them as `reasoning_tokens`.
 */
export function usageOf(results: readonly ChoiceResult[], choicesPerPrompt: number): Usage {
  let prompt = 0;
  let completion = 0;
  let reasoning = 0;
  for (const { index, record } of results) {
    if (index % choicesPerPrompt === 0) prompt += record.prompt_tokens;
    completion += record.num_gen_tokens;
    reasoning += record.thinking_tokens;
  }
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** The fields every body and chunk of one response share. */
export interface ResponseHead {
  id: string;
  created: number;
  model: string;
}

export function responseHead(dialect: Dialect, model: string): ResponseHead {
  return {
    id: `${dialect.idPrefix}-${randomUUID().replaceAll("-", "")}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

export function completionBody(
  dialect: Dialect,
  head: ResponseHead,
  results: readonly ChoiceResult[],
  choicesPerPrompt: number,
  applied: AppliedSettings,
): Record<string, unknown> {
  return {
    id: head.id,
    object: dialect.object,
    created: head.created,
    model: head.model,
    choices: results.map((result) => dialect.choice(result)),
    usage: usageOf(results, choicesPerPrompt),
    m1: applied,
  };
}

export function chunkBody(
  dialect: Dialect,
  head: ResponseHead,
  choices: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: head.id,
    object: dialect.chunkObject,
    created: head.created,
    model: head.model,
    choices,
    ...extra,
  };
}
