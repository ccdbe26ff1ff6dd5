import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  Backend,
  GenerateRequest,
  GenerateResult,
  GenerationSequence,
  SamplingOptions,
} from "../../src/backends/types.js";
import { CancelledError, M1Error } from "../../src/errors.js";

/**
 * The behaviour every Backend (src/backends/types.ts) keeps, whatever runs the model: one suite,
 * run on each implementation (as hono runs one router suite on each of its routers). It needs no
 * script: it lets the model write freely once, greedy, and checks the other calls against that
 * (greedy output is the same for the same text), so a real model or server can run it too:
 *
 *     runBackendContract("llama.cpp server", async () =>
 *       createOpenAICompatibleBackend({ baseUrls: [server.baseUrl] }));
 *
 * The model must write at least MIN_FREE_TOKENS tokens, partly printable ASCII, on the contract's
 * prompt before it stops on its own.
 */
export interface BackendContractSubject {
  backend: Backend;
  /** Releases what the backend ran on (a server), after the backend is closed. */
  close?: () => Promise<void>;
}

export interface BackendContractOptions {
  /** The user message the contract's prompt is rendered from. */
  question?: string;
  /** Default greedy, seeded. The suite compares calls, so sampling must be deterministic. */
  sampling?: SamplingOptions;
}

/** Tokens of the free generation every other call is compared with. */
const FREE_TOKENS = 24;
const MIN_FREE_TOKENS = 6;
const NEVER_GENERATED = "\u0000never-generated\u0000";
/** What the engine appends for an answer probe (m1's forced answer prefix). */
const PROBE_TEXT = "\n<|im_start|>answer\nFinal Answer:";

interface Generation {
  result: GenerateResult;
  /** What onText was called with, in order. */
  pieces: string[];
}

export function runBackendContract(
  name: string,
  newBackend: () => Promise<Backend | BackendContractSubject>,
  options: BackendContractOptions = {},
): void {
  const sampling = options.sampling ?? { temperature: 0, seed: 42 };
  const question = options.question ?? "A 54-year-old man has fatigue and pallor. Diagnosis?";

  describe(`backend contract: ${name}`, () => {
    const opened: BackendContractSubject[] = [];
    let backend: Backend;
    let prompt: string;
    /** The model's free writing on the prompt, with no stop strings. */
    let free: Generation;

    const open = async (): Promise<Backend> => {
      const made = await newBackend();
      const subject = "backend" in made ? made : { backend: made };
      opened.push(subject);
      return subject.backend;
    };
    const generate = async (
      sequence: GenerationSequence,
      request: Partial<GenerateRequest> = {},
    ): Promise<Generation> => {
      const pieces: string[] = [];
      const result = await sequence.generate({
        maxTokens: FREE_TOKENS,
        stop: [],
        sampling,
        onText: (piece) => pieces.push(piece),
        ...request,
      });
      return { result, pieces };
    };
    /** A fresh sequence on the prompt, disposed after `use`. */
    const withSequence = async <T>(use: (sequence: GenerationSequence) => Promise<T>) => {
      const sequence = await backend.openSequence(prompt);
      try {
        return await use(sequence);
      } finally {
        await sequence.dispose();
      }
    };

    beforeAll(async () => {
      backend = await open();
      prompt = await backend.renderChat([{ role: "user", content: question }]);
      free = await withSequence((sequence) => generate(sequence));
      expect(
        free.result.tokens,
        `the model must write ${MIN_FREE_TOKENS}+ tokens on the contract's prompt`,
      ).toBeGreaterThanOrEqual(MIN_FREE_TOKENS);
    });

    afterAll(async () => {
      for (const subject of opened.splice(0).reverse()) {
        await subject.backend.close();
        await subject.close?.();
      }
    });

    it("describes itself: a description, capabilities and warnings", () => {
      expect(backend.description).toMatch(/\S/);
      const { capabilities } = backend;
      expect(Number.isInteger(capabilities.maxParallelSequences)).toBe(true);
      expect(capabilities.maxParallelSequences).toBeGreaterThanOrEqual(1);
      expect(typeof capabilities.stopSuppression).toBe("boolean");
      expect(typeof capabilities.evaluatedTokens).toBe("boolean");
      expect(backend.warnings.every((warning) => typeof warning === "string")).toBe(true);
    });

    it("renders a chat into a prompt holding every message, the same every time", async () => {
      const messages = [
        { role: "system" as const, content: "You are a careful physician." },
        { role: "user" as const, content: question },
      ];
      const rendered = await backend.renderChat(messages);
      expect(rendered).toContain("You are a careful physician.");
      expect(rendered).toContain(question);
      expect(await backend.renderChat(messages)).toBe(rendered);
      expect(await backend.renderChat([{ role: "user", content: "Another question?" }])).not.toBe(
        prompt,
      );
    });

    it("counts tokens as whole numbers: none in nothing, more in more, the same every time", async () => {
      expect(await backend.countTokens("")).toBe(0);
      const one = await backend.countTokens("Wait");
      expect(Number.isInteger(one)).toBe(true);
      expect(one).toBeGreaterThanOrEqual(1);
      expect(await backend.countTokens("Wait")).toBe(one);
      expect(await backend.countTokens(Array(8).fill("Wait").join(" "))).toBeGreaterThan(one);
      await expect(
        backend.countTokens("Wait", { signal: AbortSignal.abort() }),
      ).rejects.toBeInstanceOf(CancelledError);
    });

    it("starts a sequence as the prompt and counts the prompt's tokens", async () => {
      const promptTokens = await backend.countTokens(prompt);
      await withSequence(async (sequence) => {
        expect(sequence.text).toBe(prompt);
        const { result } = await generate(sequence, { maxTokens: 1 });
        expect(sequence.promptTokens).toBe(promptTokens);
        if (backend.capabilities.evaluatedTokens) {
          expect(sequence.evaluatedTokens).toBeGreaterThanOrEqual(promptTokens);
          expect(sequence.evaluatedTokens).toBeLessThanOrEqual(promptTokens + result.tokens);
        }
      });
    });

    it("finishes a free call with stop or length, counting its tokens and streaming exactly its text", () => {
      const { result, pieces } = free;
      expect(["stop", "length"]).toContain(result.finishReason);
      expect(Number.isInteger(result.tokens)).toBe(true);
      expect(result.tokens).toBeLessThanOrEqual(FREE_TOKENS);
      if (result.finishReason === "length") expect(result.tokens).toBe(FREE_TOKENS);
      expect(pieces.join("")).toBe(result.text);
    });

    it("honours maxTokens exactly: a shorter call ends on length after that many tokens", async () => {
      for (const maxTokens of [1, 2, MIN_FREE_TOKENS - 1]) {
        const { result, pieces } = await withSequence(async (sequence) => {
          const generation = await generate(sequence, { maxTokens });
          expect(sequence.text).toBe(prompt + generation.result.text);
          return generation;
        });
        expect([maxTokens, result.finishReason, result.tokens]).toEqual([
          maxTokens,
          "length",
          maxTokens,
        ]);
        expect(free.result.text.startsWith(result.text), JSON.stringify(result.text)).toBe(true);
        expect(pieces.join("")).toBe(result.text);
      }
    });

    it("ends on a stop string, which is in neither the text, the stream nor the sequence", async () => {
      const stop = stopStringIn(free.result.text);
      const before = free.result.text.slice(0, free.result.text.indexOf(stop));
      await withSequence(async (sequence) => {
        const { result, pieces } = await generate(sequence, { stop: [NEVER_GENERATED, stop] });
        expect(result).toMatchObject({ text: before, finishReason: "stop" });
        // Servers that do not say which stop string matched (llama.cpp's /v1/completions) leave
        // it out; one that is given must be the one that matched.
        if (result.stopString !== undefined) expect(result.stopString).toBe(stop);
        // The tokens that formed the stop string were generated, so they count.
        expect(result.tokens).toBeGreaterThanOrEqual(1);
        expect(result.tokens).toBeLessThanOrEqual(FREE_TOKENS);
        expect(pieces.join("")).toBe(before);
        expect(sequence.text).toBe(prompt + before);
      });
    });

    it("grows only by what generate returns and append inserts, counting what append adds", async () => {
      await withSequence(async (sequence) => {
        const first = await generate(sequence, { maxTokens: 3 });
        expect(sequence.text).toBe(prompt + first.result.text);
        const inserted = "\nWait";
        const added = await sequence.append(inserted);
        expect(added).toBe(await backend.countTokens(inserted));
        expect(sequence.text).toBe(prompt + first.result.text + inserted);
        const second = await generate(sequence, { maxTokens: 3 });
        expect(second.result.tokens).toBeLessThanOrEqual(3);
        expect(sequence.text).toBe(prompt + first.result.text + inserted + second.result.text);
      });
    });

    it("continues the same way for the same steps (its state is its text)", async () => {
      const steps = (sequence: GenerationSequence) =>
        (async () => {
          const first = await generate(sequence, { maxTokens: 4 });
          await sequence.append("\nWait");
          const second = await generate(sequence, { maxTokens: 4 });
          return [first.result, second.result, sequence.text];
        })();
      expect(await withSequence(steps)).toEqual(await withSequence(steps));
    });

    it("refuses a maxTokens that is not a whole number above 0 with a typed error, changing nothing", async () => {
      await withSequence(async (sequence) => {
        for (const maxTokens of [0, -1, 1.5]) {
          await expect(generate(sequence, { maxTokens })).rejects.toBeInstanceOf(M1Error);
          expect(sequence.text).toBe(prompt);
        }
      });
    });

    it("stops at once on an aborted signal, changing nothing", async () => {
      const signal = AbortSignal.abort();
      await expect(backend.openSequence(prompt, { signal })).rejects.toBeInstanceOf(CancelledError);
      await withSequence(async (sequence) => {
        const outcome = await generate(sequence, { signal }).catch((error: unknown) => error);
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(CancelledError);
        else
          expect((outcome as Generation).result).toEqual({
            text: "",
            tokens: 0,
            finishReason: "abort",
          });
        await expect(sequence.append("Wait", { signal })).rejects.toBeInstanceOf(CancelledError);
        expect(sequence.text).toBe(prompt);
      });
    });

    it("stops a call whose signal aborts mid-way, and the sequence stays consistent and usable", async () => {
      await withSequence(async (sequence) => {
        const controller = new AbortController();
        const outcome = await generate(sequence, {
          signal: controller.signal,
          onText: () => controller.abort(),
        }).catch((error: unknown) => error);
        if (outcome instanceof Error) {
          expect(outcome).toBeInstanceOf(CancelledError);
          expect(sequence.text).toBe(prompt);
        } else {
          // A backend that hands over its text in one piece may have finished already.
          const { result } = outcome as Generation;
          expect(["abort", "stop", "length"]).toContain(result.finishReason);
          expect(sequence.text).toBe(prompt + result.text);
          expect(free.result.text.startsWith(result.text)).toBe(true);
        }
        const before = sequence.text;
        const next = await generate(sequence, { maxTokens: 2 });
        expect(["stop", "length"]).toContain(next.result.finishReason);
        expect(sequence.text).toBe(before + next.result.text);
      });
    });

    it("runs sequences side by side, each growing by its own text", async () => {
      const count = Math.min(2, backend.capabilities.maxParallelSequences);
      const sequences = await Promise.all(
        Array.from({ length: count }, (_, index) => backend.openSequence(`${prompt}${index}`)),
      );
      try {
        const results = await Promise.all(
          sequences.map((sequence) => generate(sequence, { maxTokens: 3 })),
        );
        sequences.forEach((sequence, index) => {
          expect(sequence.text).toBe(`${prompt}${index}${results[index]!.result.text}`);
          expect(results[index]!.result.tokens).toBeLessThanOrEqual(3);
        });
      } finally {
        await Promise.all(sequences.map((sequence) => sequence.dispose()));
      }
    });

    // ---- answer probes: generate on a branch, then the sequence is as if none had run ----

    /** Some generated text, then probes or not, then more: the sequence's view of it all. */
    const probedRun = (probes: number) =>
      withSequence(async (sequence) => {
        const first = await generate(sequence, { maxTokens: 3 });
        const before = sequence.text;
        const results = [];
        for (let index = 0; index < probes; index++) {
          results.push(await sequence.probe(PROBE_TEXT, { maxTokens: 3, stop: [], sampling }));
          expect(sequence.text).toBe(before);
        }
        const second = await generate(sequence, { maxTokens: 4 });
        return {
          results,
          text: sequence.text,
          calls: [first.result, second.result],
          evaluated: sequence.evaluatedTokens,
        };
      });

    it("probes on a branch: the text, what it generates next and its token counts stay as without", async () => {
      const plain = await probedRun(0);
      for (const probes of [1, 3]) {
        const probed = await probedRun(probes);
        expect(probed.text).toBe(plain.text);
        expect(probed.calls).toEqual(plain.calls);
        for (const result of probed.results) {
          expect(result.textTokens).toBe(await backend.countTokens(PROBE_TEXT));
          expect(result.tokens).toBeLessThanOrEqual(3);
          expect([0, 1]).toContain(result.reReadTokens);
        }
        if (backend.capabilities.evaluatedTokens) {
          // Every token a probe fed or generated, and what restoring read again: nothing hidden.
          const probeCost = probed.results.reduce(
            (sum, result) => sum + result.textTokens + result.tokens + result.reReadTokens,
            0,
          );
          expect(probed.evaluated! - plain.evaluated!).toBe(probeCost);
        }
      }
    });

    it("generates in a probe what appending its text and generating would", async () => {
      const appended = await withSequence(async (sequence) => {
        await generate(sequence, { maxTokens: 3 });
        await sequence.append(PROBE_TEXT);
        return (await generate(sequence, { maxTokens: FREE_TOKENS })).result;
      });
      const probe = await withSequence(async (sequence) => {
        await generate(sequence, { maxTokens: 3 });
        const pieces: string[] = [];
        const result = await sequence.probe(PROBE_TEXT, {
          maxTokens: FREE_TOKENS,
          stop: [],
          sampling,
          onText: (piece) => pieces.push(piece),
        });
        expect(pieces.join("")).toBe(result.text);
        return result;
      });
      expect([probe.text, probe.tokens, probe.finishReason]).toEqual([
        appended.text,
        appended.tokens,
        appended.finishReason,
      ]);
    });

    it("ends a probe on a stop string, which is not in its text nor the sequence", async () => {
      await withSequence(async (sequence) => {
        await generate(sequence, { maxTokens: 3 });
        const before = sequence.text;
        const request = { maxTokens: FREE_TOKENS, stop: [] as string[], sampling };
        const free = await sequence.probe(PROBE_TEXT, request);
        const stop = stopStringIn(free.text);
        const cut = await sequence.probe(PROBE_TEXT, { ...request, stop: [stop] });
        expect(cut).toMatchObject({
          text: free.text.slice(0, free.text.indexOf(stop)),
          finishReason: "stop",
        });
        expect(sequence.text).toBe(before);
      });
    });

    it("reports token ids, where it does, one per generated token", async () => {
      await withSequence(async (sequence) => {
        const ids: number[] = [];
        const { result } = await generate(sequence, { onToken: (id) => ids.push(id) });
        if (ids.length > 0) expect(ids).toHaveLength(result.tokens);
        expect(ids.every((id) => Number.isInteger(id))).toBe(true);
      });
    });

    it("disposes a sequence twice, after which it refuses work with a typed error", async () => {
      const sequence = await backend.openSequence(prompt);
      await sequence.dispose();
      await sequence.dispose();
      await sequence[Symbol.asyncDispose]();
      await expect(generate(sequence, { maxTokens: 1 })).rejects.toBeInstanceOf(M1Error);
      await expect(sequence.append("Wait")).rejects.toBeInstanceOf(M1Error);
      await expect(
        sequence.probe("Wait", { maxTokens: 1, stop: [], sampling }),
      ).rejects.toBeInstanceOf(M1Error);
      expect(sequence.text).toBe(prompt);
    });

    it("closes twice, after which opening a sequence fails with a typed error", async () => {
      const own = await open();
      await own.close();
      await own.close();
      await own[Symbol.asyncDispose]();
      await expect(own.openSequence(prompt)).rejects.toBeInstanceOf(M1Error);
    });
  });
}

/**
 * A stop string the free text contains after some text: two printable ASCII characters from its
 * second third (the model's text may hold other characters; a stop string of those is the
 * backends' business too, but a portable choice keeps the suite about the contract).
 */
function stopStringIn(text: string): string {
  for (let index = Math.max(1, Math.floor(text.length / 3)); index + 2 <= text.length; index++) {
    const candidate = text.slice(index, index + 2);
    if (/^[!-~]{2}$/.test(candidate)) return candidate;
  }
  throw new Error(`no printable ASCII in the model's free text ${JSON.stringify(text)}`);
}
