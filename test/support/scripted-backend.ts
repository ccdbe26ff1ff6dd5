import type {
  Backend,
  ChatMessage,
  GenerateRequest,
  GenerateResult,
  GenerationSequence,
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
        if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
          throw new ConfigError(
            `maxTokens must be a whole number above 0, got ${request.maxTokens}`,
          );
        }
        if (request.signal?.aborted) throw new CancelledError();
        calls.push({
          prompt: text,
          maxTokens: request.maxTokens,
          stop: request.stop,
          suppressStopForTokens: request.suppressStopForTokens,
        });
        const wanted = toyTokenize(script(text, callCount++));
        let generated = "";
        let tokens = 0;
        for (const token of wanted) {
          if (tokens >= request.maxTokens) break;
          generated += token;
          tokens++;
          const suppressed = (request.suppressStopForTokens ?? 0) >= tokens;
          const stop = request.stop.find((candidate) => generated.includes(candidate));
          if (stop !== undefined && !suppressed) {
            const kept = generated.slice(0, generated.indexOf(stop));
            text += kept;
            evaluatedTokens += toyTokenize(kept).length;
            request.onText?.(kept);
            return { text: kept, tokens, finishReason: "stop", stopString: stop };
          }
          if (stop !== undefined && suppressed) {
            // A suppressed stop string is refused: drop it as a real token ban would.
            generated = generated.slice(0, generated.indexOf(stop));
            tokens--;
          }
        }
        text += generated;
        evaluatedTokens += tokens;
        request.onText?.(generated);
        const finishReason = tokens >= request.maxTokens ? "length" : "stop";
        return { text: generated, tokens, finishReason };
      },
      async append(extra: string, appendOptions: { signal?: AbortSignal } = {}): Promise<number> {
        assertUsable();
        if (appendOptions.signal?.aborted) throw new CancelledError();
        text += extra;
        const count = toyTokenize(extra).length;
        evaluatedTokens += count;
        return count;
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
