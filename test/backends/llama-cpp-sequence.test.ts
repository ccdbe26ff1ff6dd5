import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLlamaCppBackend,
  type LlamaCppBackend,
  type LlamaCppSequence,
} from "../../src/backends/llama-cpp/index.js";
import type { GenerateRequest, GenerateResult } from "../../src/backends/types.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { InputError } from "../../src/errors.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * One sequence at a time on the smoke model: stop strings, end-of-generation, token accounting and
 * the invariant that the model's state always holds exactly the sequence's text.
 */
let backend: LlamaCppBackend;
const GREEDY = { temperature: 0, seed: 42 };

beforeAll(async () => {
  backend = await createLlamaCppBackend({
    model: await tinyModelPath(),
    gpu: false,
    contextSize: 1024,
  });
});

afterAll(async () => {
  await backend?.close();
});

async function thinkingPrompt(question: string): Promise<string> {
  return (
    (await backend.renderChat([{ role: "user", content: question }])) +
    M1_THINKING_FORMAT.thinkStart
  );
}

/** Run one generate call on a fresh sequence; returns the result, the streamed pieces and the sequence. */
async function generateOnce(
  question: string,
  request: Partial<GenerateRequest>,
): Promise<{ result: GenerateResult; pieces: string[]; sequence: LlamaCppSequence }> {
  const sequence = await backend.openSequence(await thinkingPrompt(question));
  const pieces: string[] = [];
  const result = await sequence.generate({
    maxTokens: 200,
    stop: [],
    sampling: GREEDY,
    onText: (piece) => pieces.push(piece),
    ...request,
  });
  return { result, pieces, sequence };
}

describe("embedded backend sequences", () => {
  it("ends a call on a stop string spanning several tokens and removes it from the model state", async () => {
    const free = await generateOnce("What is the most likely diagnosis?", { maxTokens: 120 });
    await free.sequence.dispose();
    // Each streamed piece is one token's text here (no stop strings hold anything back).
    const pieces = free.pieces;
    const start = pieces.slice(0, 30).join("").length;
    const stop = pieces.slice(30, 34).join("");
    expect(await backend.countTokens(stop)).toBeGreaterThan(1);
    const stopAt = free.result.text.indexOf(stop);

    const {
      result,
      pieces: shown,
      sequence,
    } = await generateOnce("What is the most likely diagnosis?", {
      maxTokens: 120,
      stop: ["never-generated", stop],
    });
    try {
      expect(stopAt).toBeLessThanOrEqual(start);
      expect(result).toEqual({
        text: free.result.text.slice(0, stopAt),
        tokens: expect.any(Number),
        finishReason: "stop",
        stopString: stop,
      });
      // Tokens that formed the stop string were generated and count; the stream never shows them.
      expect(result.tokens).toBe(34);
      expect(shown.join("")).toBe(result.text);
      expect(sequence.contextText()).toBe(sequence.text);
      expect(sequence.text.endsWith(stop)).toBe(false);
    } finally {
      await sequence.dispose();
    }
  });

  it("re-reads only the text cut off when a stop string starts inside a token", async () => {
    const free = await generateOnce("Why?", { maxTokens: 80 });
    await free.sequence.dispose();
    const index = free.pieces.findIndex((piece, position) => position > 10 && piece.length >= 4);
    expect(index).toBeGreaterThan(0);
    const before = free.pieces.slice(0, index).join("");
    // Starts two characters into a multi-character token and runs into the next ones.
    const stop = free.pieces
      .slice(index, index + 3)
      .join("")
      .slice(2);
    const stopAt = free.result.text.indexOf(stop);
    expect(stopAt).toBe(before.length + 2);

    const { result, sequence } = await generateOnce("Why?", { maxTokens: 80, stop: [stop] });
    try {
      expect(result.finishReason).toBe("stop");
      expect(result.text).toBe(free.result.text.slice(0, stopAt));
      expect(sequence.contextText()).toBe(sequence.text);
      // The two characters kept from the cut token are read again as new tokens on the next call.
      const leftover = await backend.countTokens(result.text.slice(before.length));
      const next = await sequence.generate({ maxTokens: 5, stop: [], sampling: GREEDY });
      expect(sequence.evaluatedTokens).toBe(
        sequence.promptTokens + result.tokens + leftover + next.tokens,
      );
      expect(sequence.contextText()).toBe(sequence.text);
    } finally {
      await sequence.dispose();
    }
  });

  it("ends on an end-of-generation token without keeping it, named as the stop string when listed", async () => {
    const plain = await generateOnce("hello", { maxTokens: 200, stop: [] });
    await plain.sequence.dispose();
    expect(plain.result.finishReason).toBe("stop");
    expect(plain.result.stopString).toBeUndefined();
    expect(plain.result.text).not.toContain("<|im_end|>");

    const { result, sequence } = await generateOnce("hello", {
      maxTokens: 200,
      stop: M1_THINKING_FORMAT.stopStrings,
    });
    try {
      expect(result).toEqual({ ...plain.result, stopString: "<|im_end|>" });
      expect(sequence.contextText()).toBe(sequence.text);
    } finally {
      await sequence.dispose();
    }
  });

  it("feeds every token through llama.cpp once across stop, append and length", async () => {
    const { result: first, sequence } = await generateOnce("hello", {
      stop: M1_THINKING_FORMAT.stopStrings,
    });
    try {
      expect(first.finishReason).toBe("stop");
      const waitTokens = await sequence.append("Wait");
      const second = await sequence.generate({ maxTokens: 40, stop: [], sampling: GREEDY });
      expect(second.finishReason).toBe("length");
      const appended = await sequence.append("\n<|im_start|>answer");
      const third = await sequence.generate({ maxTokens: 3, stop: [], sampling: GREEDY });

      const total =
        sequence.promptTokens + first.tokens + waitTokens + second.tokens + appended + third.tokens;
      expect(sequence.evaluatedTokens).toBe(total);
      // llama.cpp decoded all of them except the dropped <|im_end|> and the final, unfed token.
      expect(sequence.decodedTokens).toBe(total - 2);
      expect(sequence.contextText()).toBe(sequence.text);
    } finally {
      await sequence.dispose();
    }
  });

  it("parses special tokens in prompts and appended text", async () => {
    expect(await backend.countTokens("<|im_start|>")).toBe(1);
    expect(await backend.countTokens("<|im_start|>answer")).toBe(
      1 + (await backend.countTokens("answer")),
    );
    const sequence = await backend.openSequence(await thinkingPrompt("hello"));
    try {
      expect(await sequence.append("<|im_start|>answer")).toBe(
        await backend.countTokens("<|im_start|>answer"),
      );
    } finally {
      await sequence.dispose();
    }
  });

  it("refuses an empty prompt and gives its sequence back", async () => {
    await expect(backend.openSequence("")).rejects.toBeInstanceOf(InputError);
    // The only sequence of this backend is free again.
    const sequence = await backend.openSequence("hello");
    await sequence.dispose();
  });

  it("returns finishReason abort with a consistent state when cancelled mid-call", async () => {
    const controller = new AbortController();
    let pieces = 0;
    const { result, sequence } = await generateOnce("Why?", {
      maxTokens: 200,
      signal: controller.signal,
      onText: () => {
        if (++pieces === 10) controller.abort();
      },
    });
    try {
      expect(result.finishReason).toBe("abort");
      expect(result.tokens).toBeGreaterThanOrEqual(10);
      expect(result.tokens).toBeLessThan(200);
      expect(sequence.contextText()).toBe(sequence.text);
    } finally {
      await sequence.dispose();
    }
  });
});
