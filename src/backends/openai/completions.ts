import { BackendCallError, isRetryableStatus } from "../../errors.js";
import { MalformedResponseError, serverSentEventData } from "../../net/index.js";
import type { SamplingOptions } from "../types.js";

/** One `POST /v1/completions` call as the backend makes it. */
export interface CompletionCall {
  model: string;
  /** The whole sequence so far, byte for byte (so server prefix caches hit), or its token ids. */
  prompt: string | readonly number[];
  maxTokens: number;
  stop: readonly string[];
  sampling: SamplingOptions;
  stream: boolean;
  /** Server-specific fields merged into the body (e.g. `skip_special_tokens`). */
  extraBody: Readonly<Record<string, unknown>>;
}

/** What came back, before the sequence accounts for it. */
export interface CompletionOutcome {
  text: string;
  finishReason: "stop" | "length";
  /** The stop string that ended the call (vLLM `stop_reason`, SGLang `matched_stop`). */
  stopString?: string;
  /** `usage.completion_tokens`, when the server reported usage. */
  completionTokens?: number;
  /** `usage.prompt_tokens`, when the server reported usage. */
  promptTokens?: number;
}

export function completionRequestBody(call: CompletionCall): Record<string, unknown> {
  const { sampling } = call;
  return {
    model: call.model,
    prompt: call.prompt,
    max_tokens: call.maxTokens,
    temperature: sampling.temperature,
    ...(sampling.topP === undefined ? {} : { top_p: sampling.topP }),
    ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
    ...(sampling.frequencyPenalty === undefined
      ? {}
      : { frequency_penalty: sampling.frequencyPenalty }),
    // m1 sends no stop strings at all in baseline mode.
    ...(call.stop.length === 0 ? {} : { stop: [...call.stop] }),
    ...(call.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    ...call.extraBody,
  };
}

type Json = Record<string, unknown>;

/** Read a non-streamed completion response (no `choices[0].text`: a retryable malformed reply). */
export function parseCompletionResponse(json: unknown, url: string): CompletionOutcome {
  const body = asObject(json);
  const choice = firstChoice(body);
  if (!choice || typeof choice.text !== "string") {
    throw malformed(url, "it has no choices[0].text", json);
  }
  return {
    text: choice.text,
    ...finishOf(choice, url),
    ...usageOf(body),
  };
}

/**
 * Read a streamed completion (SSE with `stream_options.include_usage`), calling `onText` with each
 * piece as it arrives. Usage comes in a last chunk with no choices (vLLM, SGLang) or with the final
 * choice (llama.cpp); either is accepted.
 */
export async function readCompletionStream(
  body: AsyncIterable<Buffer>,
  url: string,
  onText: (text: string) => void,
): Promise<CompletionOutcome> {
  let text = "";
  let finish: Pick<CompletionOutcome, "finishReason" | "stopString"> | undefined;
  let usage: Pick<CompletionOutcome, "completionTokens" | "promptTokens"> = {};
  let done = false;
  for await (const data of serverSentEventData(body)) {
    // Read on to the end rather than break: an unfinished body would cost the kept-alive socket.
    if (done) continue;
    if (data.trim() === "[DONE]") {
      done = true;
      continue;
    }
    let chunk: Json;
    try {
      chunk = asObject(JSON.parse(data));
    } catch {
      throw malformed(url, "a streamed event is not JSON", data);
    }
    throwIfStreamError(chunk, url);
    const choice = firstChoice(chunk);
    if (choice && typeof choice.text === "string" && choice.text.length > 0) {
      text += choice.text;
      onText(choice.text);
    }
    if (choice && choice.finish_reason !== null && choice.finish_reason !== undefined) {
      finish = finishOf(choice, url);
    }
    const chunkUsage = usageOf(chunk);
    if (chunkUsage.completionTokens !== undefined) usage = chunkUsage;
  }
  if (!finish) {
    throw new MalformedResponseError(`the stream from ${url} ended before the completion finished`);
  }
  return { text, ...finish, ...usage };
}

function finishOf(
  choice: Json,
  url: string,
): Pick<CompletionOutcome, "finishReason" | "stopString"> {
  const reason = choice.finish_reason;
  // vLLM reports the matched stop string in `stop_reason`, SGLang in `matched_stop`; a number there
  // is a stop token id, and null means the end-of-sequence token.
  const matched = choice.stop_reason ?? choice.matched_stop;
  const stopString = typeof matched === "string" ? matched : undefined;
  if (reason === "stop")
    return stopString === undefined
      ? { finishReason: "stop" }
      : { finishReason: "stop", stopString };
  if (reason === "length") return { finishReason: "length" };
  if (reason === "abort") {
    // vLLM aborts requests it had to drop (e.g. preempted, engine restart): try again.
    throw new BackendCallError(`${url}: the server aborted the completion`, { isRetryable: true });
  }
  throw new BackendCallError(
    `${url}: the completion ended with finish_reason ${JSON.stringify(reason)}, expected "stop" or "length"`,
    { isRetryable: false },
  );
}

function usageOf(body: Json): Pick<CompletionOutcome, "completionTokens" | "promptTokens"> {
  const usage = body.usage;
  if (typeof usage !== "object" || usage === null) return {};
  const { completion_tokens: completion, prompt_tokens: prompt } = usage as Json;
  return {
    ...(typeof completion === "number" ? { completionTokens: completion } : {}),
    ...(typeof prompt === "number" ? { promptTokens: prompt } : {}),
  };
}

/** vLLM and SGLang report a failure inside a stream as an event with an error object. */
function throwIfStreamError(chunk: Json, url: string): void {
  const error =
    typeof chunk.error === "object" && chunk.error !== null
      ? (chunk.error as Json)
      : chunk.object === "error"
        ? chunk
        : undefined;
  if (!error) return;
  const status = typeof error.code === "number" ? error.code : undefined;
  const message = typeof error.message === "string" ? error.message : JSON.stringify(error);
  throw new BackendCallError(`${url} failed while streaming: ${message}`, {
    status,
    isRetryable: status !== undefined && isRetryableStatus(status),
  });
}

function firstChoice(body: Json): Json | undefined {
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const choice: unknown = choices[0];
  return typeof choice === "object" && choice !== null ? (choice as Json) : undefined;
}

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

/** A 2xx reply that is not a completion: retried, like a dropped connection. */
function malformed(url: string, what: string, got: unknown): MalformedResponseError {
  const shown = typeof got === "string" ? got : JSON.stringify(got);
  return new MalformedResponseError(
    `${url} returned an unexpected completion (${what}): ${shown.slice(0, 300)}`,
    { status: 200 },
  );
}
