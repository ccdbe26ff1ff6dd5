import type {
  Backend,
  ChatMessage,
  GenerateRequest,
  GenerateResult,
  GenerationSequence,
  ProbeResult,
} from "../../src/backends/types.js";
import { CancelledError, ConfigError, M1Error } from "../../src/errors.js";

/**
 * A zero-latency in-process backend for engine tests and benchmarks. A script decides what the
 * "model" would write next given the sequence text so far; the backend applies `maxTokens` and stop
 * strings token by token exactly as a real server would, with a toy tokenizer where special tokens
 * (`<|...|>`), letter runs, digits, whitespace characters and punctuation are one token each.
 */
export type ModelScript = (sequenceText: string, call: number) => string;

const TOKEN_PATTERN = /<\|[^|>]*\|>|[A-Za-z]+|\d|\s|[^\sA-Za-z\d]/gu;

export function toyTokenize(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}

const toyIds = new Map<string, number>();

/** A stable id per distinct toy token (what `onToken` reports). */
export function toyTokenId(token: string): number {
  let id = toyIds.get(token);
  if (id === undefined) {
    id = toyIds.size;
    toyIds.set(token, id);
  }
  return id;
}

export interface ScriptedCall {
  prompt: string;
  maxTokens: number;
  stop: readonly string[];
  suppressStopForTokens?: number;
}

export interface ScriptedBackend extends Backend {
  /** Every generate call, in order (to assert exact budgets and prompts). */
  readonly calls: ScriptedCall[];
}

export function createScriptedBackend(
  script: ModelScript,
  options: { stopSuppression?: boolean; parallel?: number } = {},
): ScriptedBackend {
  const calls: ScriptedCall[] = [];
  let callCount = 0;
  let closed = false;

  const checkRequest = (request: GenerateRequest) => {
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      throw new ConfigError(`maxTokens must be a whole number above 0, got ${request.maxTokens}`);
    }
    if (request.signal?.aborted) throw new CancelledError();
  };

  /** What the script writes after `prompt`, cut by maxTokens and stop strings as a server would. */
  const complete = (prompt: string, request: GenerateRequest): GenerateResult => {
    calls.push({
      prompt,
      maxTokens: request.maxTokens,
      stop: request.stop,
      suppressStopForTokens: request.suppressStopForTokens,
    });
    const wanted = toyTokenize(script(prompt, callCount++));
    let generated = "";
    let tokens = 0;
    for (const token of wanted) {
      if (tokens >= request.maxTokens) break;
      generated += token;
      tokens++;
      const suppressed = (request.suppressStopForTokens ?? 0) >= tokens;
      const stop = request.stop.find((candidate) => generated.includes(candidate));
      if (stop === undefined || !suppressed) request.onToken?.(toyTokenId(token));
      if (stop !== undefined && !suppressed) {
        const kept = generated.slice(0, generated.indexOf(stop));
        request.onText?.(kept);
        return { text: kept, tokens, finishReason: "stop", stopString: stop };
      }
      if (stop !== undefined && suppressed) {
        // A suppressed stop string is refused: drop it as a real token ban would.
        generated = generated.slice(0, generated.indexOf(stop));
        tokens--;
      }
    }
    request.onText?.(generated);
    const finishReason = tokens >= request.maxTokens ? "length" : "stop";
    return { text: generated, tokens, finishReason };
  };

  const openSequence = async (
    prompt: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<GenerationSequence> => {
    if (closed) throw new M1Error("the backend was closed");
    if (options.signal?.aborted) throw new CancelledError();
    let text = prompt;
    let disposed = false;
    const assertUsable = () => {
      if (disposed) throw new M1Error("this sequence was disposed");
    };
    const promptTokens = toyTokenize(prompt).length;
    let evaluatedTokens = promptTokens;
    const sequence: GenerationSequence = {
      get text() {
        return text;
      },
      promptTokens,
      get evaluatedTokens() {
        return evaluatedTokens;
      },
      async generate(request: GenerateRequest): Promise<GenerateResult> {
        assertUsable();
        checkRequest(request);
        const result = complete(text, request);
        text += result.text;
        // Every generated token went through the model, stop-string tokens included.
        evaluatedTokens += result.tokens;
        return result;
      },
      async append(extra: string, appendOptions: { signal?: AbortSignal } = {}): Promise<number> {
        assertUsable();
        if (appendOptions.signal?.aborted) throw new CancelledError();
        text += extra;
        const count = toyTokenize(extra).length;
        evaluatedTokens += count;
        return count;
      },
      async probe(extra: string, request: GenerateRequest): Promise<ProbeResult> {
        assertUsable();
        checkRequest(request);
        const textTokens = toyTokenize(extra).length;
        const result = complete(text + extra, request);
        // The probe's text and generated tokens go through the "model"; the sequence stays as it was.
        evaluatedTokens += textTokens + result.tokens;
        return { ...result, textTokens, reReadTokens: 0 };
      },
      async dispose() {
        disposed = true;
      },
      async [Symbol.asyncDispose]() {
        disposed = true;
      },
    };
    return sequence;
  };

  return {
    description: "scripted (test)",
    capabilities: {
      stopSuppression: options.stopSuppression ?? false,
      evaluatedTokens: true,
      maxParallelSequences: options.parallel ?? 64,
    },
    warnings: [],
    calls,
    async renderChat(messages: readonly ChatMessage[]) {
      return (
        messages
          .map((message) => `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`)
          .join("") + "<|im_start|>assistant\n"
      );
    },
    async countTokens(text: string, options: { signal?: AbortSignal } = {}) {
      if (options.signal?.aborted) throw new CancelledError();
      return toyTokenize(text).length;
    },
    openSequence,
    async close() {
      closed = true;
    },
    async [Symbol.asyncDispose]() {
      closed = true;
    },
  };
}
