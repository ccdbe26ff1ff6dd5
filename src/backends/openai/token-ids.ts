import { BackendCallError, BackendSetupError, CancelledError } from "../../errors.js";
import type { SamplingOptions } from "../types.js";
import { readJson, type CompletionClient, type ServerPin } from "./completion-client.js";
import { completionRequestBody } from "./completions.js";
import { ConnectionFailedError } from "../../net/index.js";
import type { ServerEndpoint } from "./server-pool.js";
import { SlotPool } from "./slot-pool.js";

/**
 * Token-id I/O with a server (`exact_tokens`): prompts sent as id arrays, generated ids returned,
 * text turned into ids and back. Two dialects exist in the wild:
 * - "llama.cpp" (llama-server): `POST /completion` with `return_tokens: true`, answering
 *   `{content, tokens, stop_type, stopping_word}`; `POST /tokenize {content, add_special,
 *   parse_special}` and `POST /detokenize {tokens}` at the root;
 * - "vllm" (vLLM 0.10.2+): `POST /v1/completions` with `return_token_ids: true`, answering
 *   `choices[0].token_ids`; `POST /tokenize {model, prompt, add_special_tokens}` and
 *   `POST /detokenize {model, tokens}` at the root.
 */
export type TokenIdDialect = "llama.cpp" | "vllm";

/** One completion from an id prompt. */
export interface IdCompletionCall {
  model: string;
  prompt: readonly number[];
  maxTokens: number;
  stop: readonly string[];
  sampling: SamplingOptions;
  extraBody: Readonly<Record<string, unknown>>;
  /** llama.cpp: the slot this sequence holds (`id_slot`). */
  slot?: number;
}

export interface IdCompletionOutcome {
  /** Every generated id, those that formed a stop string and an end-of-generation token included. */
  tokens: number[];
  /** The generated text, cut before the stop string (as the server returned it). */
  text: string;
  finishReason: "stop" | "length";
  stopString?: string;
  /** The last id is an end-of-generation token: generated, but not part of the text. */
  endOfGeneration: boolean;
}

export interface TokenIdProtocol {
  readonly dialect: TokenIdDialect;
  /** llama.cpp: a server's slots, lent one per sequence (see slot-pool.ts). */
  readonly slotsOf?: (server: ServerEndpoint) => SlotPool;
  /** `addSpecial` adds what the model puts around a prompt (BOS), as servers do for text prompts. */
  tokenize(
    pin: ServerPin,
    text: string,
    options: { addSpecial: boolean; signal?: AbortSignal },
  ): Promise<number[]>;
  /** Special tokens are rendered as their text (`<|im_end|>`). */
  detokenize(pin: ServerPin, ids: readonly number[], signal?: AbortSignal): Promise<string>;
  complete(
    pin: ServerPin,
    call: IdCompletionCall,
    signal?: AbortSignal,
  ): Promise<IdCompletionOutcome>;
}

type Json = Record<string, unknown>;

/** A protocol of a known dialect over the backend's client (retries, failover). */
export function tokenIdProtocol(
  dialect: TokenIdDialect,
  client: CompletionClient,
  modelName: string,
  slotsOf?: (server: ServerEndpoint) => SlotPool,
): TokenIdProtocol {
  const postJson = (
    pin: ServerPin,
    url: (server: ServerEndpoint) => string,
    body: unknown,
    signal?: AbortSignal,
  ) =>
    client.post(
      pin,
      { url, body, read: (response, requestUrl) => readJson(response, requestUrl) },
      { signal },
    );
  const llama = dialect === "llama.cpp";
  return {
    dialect,
    slotsOf,
    async tokenize(pin, text, { addSpecial, signal }) {
      if (text.length === 0) return [];
      const body = llama
        ? { content: text, add_special: addSpecial, parse_special: true }
        : { model: modelName, prompt: text, add_special_tokens: addSpecial };
      const reply = await postJson(pin, (server) => `${server.root}/tokenize`, body, signal);
      const ids = idArray(asObject(reply).tokens);
      if (!ids) throw unexpected(pin, "/tokenize", "no token id list", reply);
      return ids;
    },
    async detokenize(pin, ids, signal) {
      if (ids.length === 0) return "";
      const body = llama ? { tokens: ids } : { model: modelName, tokens: ids };
      const reply = asObject(
        await postJson(pin, (server) => `${server.root}/detokenize`, body, signal),
      );
      const text = llama ? reply.content : reply.prompt;
      if (typeof text !== "string") throw unexpected(pin, "/detokenize", "no text", reply);
      return text;
    },
    async complete(pin, call, signal) {
      const reply = await postJson(
        pin,
        (server) => (llama ? `${server.root}/completion` : `${server.apiBase}/completions`),
        llama
          ? llamaCppCompletionBody(call)
          : { ...completionRequestBody({ ...call, stream: false }), return_token_ids: true },
        signal,
      );
      return llama ? readLlamaCppCompletion(reply, pin) : readVllmCompletion(reply, pin);
    },
  };
}

/**
 * llama.cpp's native completion. Sampling is spelled out where llama-server's defaults differ from
 * the embedded engine's and vLLM's (top_k 40, top_p 0.95, min_p 0.05): no cut, so that sampled
 * runs draw from the same distribution and greedy picks from the unsorted vocabulary.
 */
function llamaCppCompletionBody(call: IdCompletionCall): Json {
  const { sampling } = call;
  return {
    prompt: [...call.prompt],
    n_predict: call.maxTokens,
    temperature: sampling.temperature,
    top_k: 0,
    top_p: sampling.topP ?? 1,
    min_p: 0,
    ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
    frequency_penalty: sampling.frequencyPenalty ?? 0,
    stop: [...call.stop],
    return_tokens: true,
    cache_prompt: true,
    ...(call.slot === undefined ? {} : { id_slot: call.slot }),
    stream: false,
    ...call.extraBody,
  };
}

function readLlamaCppCompletion(reply: unknown, pin: ServerPin): IdCompletionOutcome {
  const body = asObject(reply);
  const tokens = idArray(body.tokens);
  if (typeof body.content !== "string" || !tokens) {
    throw unexpected(pin, "/completion", "no content or no tokens (return_tokens)", reply);
  }
  const stoppingWord =
    typeof body.stopping_word === "string" && body.stopping_word.length > 0
      ? body.stopping_word
      : undefined;
  switch (body.stop_type) {
    case "limit":
      return { tokens, text: body.content, finishReason: "length", endOfGeneration: false };
    case "word":
      return {
        tokens,
        text: body.content,
        finishReason: "stop",
        ...(stoppingWord === undefined ? {} : { stopString: stoppingWord }),
        endOfGeneration: false,
      };
    case "eos":
      // With --special the end-of-generation token's text ends `content` unless it was also a
      // stop string (then it is cut already); the sequence strips it (it knows the token's text).
      return {
        tokens,
        text: body.content,
        finishReason: "stop",
        ...(stoppingWord === undefined ? {} : { stopString: stoppingWord }),
        endOfGeneration: true,
      };
    default:
      throw unexpected(pin, "/completion", `stop_type ${JSON.stringify(body.stop_type)}`, reply);
  }
}

function readVllmCompletion(reply: unknown, pin: ServerPin): IdCompletionOutcome {
  const choices = asObject(reply).choices;
  const choice = asObject(Array.isArray(choices) ? choices[0] : undefined);
  const tokens = idArray(choice.token_ids);
  if (typeof choice.text !== "string" || !tokens) {
    throw unexpected(pin, "/v1/completions", "no choices[0].token_ids (return_token_ids)", reply);
  }
  if (choice.finish_reason === "length") {
    return { tokens, text: choice.text, finishReason: "length", endOfGeneration: false };
  }
  if (choice.finish_reason !== "stop") {
    throw new BackendCallError(
      `${pin.server.label}: the completion ended with finish_reason ${JSON.stringify(choice.finish_reason)}, expected "stop" or "length"`,
      { isRetryable: choice.finish_reason === "abort" },
    );
  }
  // vLLM names a matched stop string in stop_reason; null (EOS) or a number (a stop token id)
  // means the last id ended generation, and its text is not in `text`.
  if (typeof choice.stop_reason === "string") {
    return {
      tokens,
      text: choice.text,
      finishReason: "stop",
      stopString: choice.stop_reason,
      endOfGeneration: false,
    };
  }
  return { tokens, text: choice.text, finishReason: "stop", endOfGeneration: true };
}

/**
 * Check that the server does token-id I/O in the dialect its kind speaks (llama.cpp's server, else
 * vLLM's): tokenize "Wait", then ask for one token from those ids with the generated ids returned.
 * A server that cannot is a BackendSetupError: the user asked for exact tokens, and text prompts
 * would silently break that promise.
 */
export async function detectTokenIdProtocol(
  client: CompletionClient,
  server: ServerEndpoint,
  settings: {
    modelName: string;
    dialect: TokenIdDialect;
    /** llama.cpp: the slot count of each server (`total_slots` of the first one). */
    slots?: number;
    extraBody: Readonly<Record<string, unknown>>;
    signal?: AbortSignal;
  },
): Promise<TokenIdProtocol> {
  const { modelName, dialect, extraBody, signal } = settings;
  const pools = new Map<string, SlotPool>();
  const slotsOf = (endpoint: ServerEndpoint) => {
    let pool = pools.get(endpoint.root);
    if (!pool) pools.set(endpoint.root, (pool = new SlotPool(settings.slots ?? 1)));
    return pool;
  };
  const protocol = tokenIdProtocol(
    dialect,
    client,
    modelName,
    dialect === "llama.cpp" ? slotsOf : undefined,
  );
  const pin: ServerPin = { server };
  let reason: string;
  try {
    const prompt = await protocol.tokenize(pin, "Wait", { addSpecial: false, signal });
    const outcome = await protocol.complete(
      pin,
      { model: modelName, prompt, maxTokens: 1, stop: [], sampling: { temperature: 0 }, extraBody },
      signal,
    );
    if (prompt.length > 0 && outcome.tokens.length === 1) return protocol;
    reason = `it returned ${outcome.tokens.length} generated ids for 1 token`;
  } catch (error) {
    // A server that cannot be reached is not a question of what it supports: say so as it is.
    if (error instanceof ConnectionFailedError || error instanceof CancelledError) throw error;
    reason = error instanceof Error ? error.message : String(error);
  }
  const needs =
    dialect === "llama.cpp"
      ? "llama-server's /completion with return_tokens"
      : "vLLM 0.10.2+ (return_token_ids) or llama.cpp's llama-server";
  throw new BackendSetupError(
    `the server at ${server.label} cannot keep token ids for --exact-tokens (it needs ${needs}): ${reason.slice(0, 300)}`,
    "leave out --exact-tokens (exact_tokens: false) to send text prompts, as m1 does",
  );
}

function idArray(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every((id) => Number.isInteger(id)) ? (value as number[]) : undefined;
}

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function unexpected(pin: ServerPin, endpoint: string, what: string, got: unknown) {
  const shown = typeof got === "string" ? got : JSON.stringify(got);
  return new BackendCallError(
    `${pin.server.root}${endpoint} returned an unexpected reply (${what}): ${String(shown).slice(0, 300)}`,
    { isRetryable: false },
  );
}
