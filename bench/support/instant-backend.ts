import type {
  Backend,
  GenerateRequest,
  GenerateResult,
  GenerationSequence,
  ProbeResult,
} from "../../src/backends/types.js";
import { toyTokenize, type ModelScript } from "../../test/support/scripted-backend.js";

/**
 * A zero-latency backend for benchmarks: the same scripted "model" and toy tokenizer as the test
 * backend, but with the model's cost taken out: each distinct output is tokenized once and cached,
 * stop strings are found with one `indexOf`, and the prompt is not re-tokenized (its count is an
 * estimate). What remains measurable is the harness around it.
 */
export function createInstantBackend(script: ModelScript): Backend {
  const tokenized = new Map<string, { tokens: string[]; ends: Int32Array }>();
  const tokenize = (text: string) => {
    let entry = tokenized.get(text);
    if (!entry) {
      const tokens = toyTokenize(text);
      const ends = new Int32Array(tokens.length);
      let position = 0;
      tokens.forEach((token, index) => (ends[index] = position += token.length));
      entry = { tokens, ends };
      tokenized.set(text, entry);
    }
    return entry;
  };

  const complete = (prompt: string, request: GenerateRequest): GenerateResult => {
    const wanted = script(prompt, 0);
    const { tokens, ends } = tokenize(wanted);
    let limit = Math.min(tokens.length, request.maxTokens);
    let stopAt = -1;
    let stopString: string | undefined;
    for (const stop of request.stop) {
      const index = wanted.indexOf(stop);
      if (index !== -1 && (stopAt === -1 || index < stopAt)) {
        stopAt = index;
        stopString = stop;
      }
    }
    if (stopString !== undefined) {
      // Tokens up to the one that completes the stop string.
      let count = 0;
      while (count < tokens.length && ends[count]! < stopAt + stopString.length) count++;
      if (count + 1 <= limit) {
        return {
          text: wanted.slice(0, stopAt),
          tokens: count + 1,
          finishReason: "stop",
          stopString,
        };
      }
    }
    limit = Math.min(limit, tokens.length);
    const generated = limit === 0 ? "" : wanted.slice(0, ends[limit - 1]!);
    return {
      text: generated,
      tokens: limit,
      finishReason: limit >= request.maxTokens ? "length" : "stop",
    };
  };

  const openSequence = async (prompt: string): Promise<GenerationSequence> => {
    let text = prompt;
    const sequence: GenerationSequence = {
      get text() {
        return text;
      },
      promptTokens: Math.ceil(prompt.length / 4),
      async generate(request: GenerateRequest): Promise<GenerateResult> {
        const result = complete(text, request);
        text += result.text;
        return result;
      },
      async append(extra: string) {
        text += extra;
        return tokenize(extra).tokens.length;
      },
      async probe(extra: string, request: GenerateRequest): Promise<ProbeResult> {
        const result = complete(text + extra, request);
        return { ...result, textTokens: tokenize(extra).tokens.length, reReadTokens: 0 };
      },
      async dispose() {},
      async [Symbol.asyncDispose]() {},
    };
    return sequence;
  };

  return {
    description: "instant (benchmark)",
    capabilities: { stopSuppression: false, evaluatedTokens: false, maxParallelSequences: 64 },
    warnings: [],
    async renderChat(messages) {
      return (
        messages
          .map((message) => `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`)
          .join("") + "<|im_start|>assistant\n"
      );
    },
    async countTokens(text) {
      return tokenize(text).tokens.length;
    },
    openSequence,
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
}
