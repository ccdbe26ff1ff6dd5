import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppBackend, type LlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import { generateWithBudget, type BudgetForcingSettings } from "../../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { CancelledError } from "../../src/errors.js";
import { SMOKE_MODEL_SHAPE } from "../../src/smoke/tiny-model.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * Several questions at once, each on its own sequence: by default in a llama.cpp context each
 * (deterministic), or batched in one shared context (`deterministic: false`).
 */
let backend: LlamaCppBackend;
const PARALLEL = 3;
const QUESTIONS = [
  "hello",
  "What is the most likely diagnosis?",
  "Which drug treats hypertension?",
  "Why?",
];
const SETTINGS: BudgetForcingSettings = {
  ...DEFAULT_BUDGET_FORCING,
  thinkingFormat: M1_THINKING_FORMAT,
  thinkingBudget: 100,
  answerBudget: 8,
  waitRounds: 1,
};

beforeAll(async () => {
  backend = await createLlamaCppBackend({
    model: await tinyModelPath(),
    gpu: false,
    contextSize: 512,
    parallelSequences: PARALLEL,
  });
});

afterAll(async () => {
  await backend?.close();
});

async function run(question: string) {
  const prompt = await backend.renderChat([{ role: "user", content: question }]);
  return generateWithBudget(backend, prompt, SETTINGS);
}

describe("embedded backend with parallel sequences", () => {
  it("gives the same records when questions run side by side as one at a time", async () => {
    expect(backend.capabilities.maxParallelSequences).toBe(PARALLEL);
    const sequential = [];
    for (const question of QUESTIONS) sequential.push(await run(question));
    // Four questions on three sequences: openSequence waits for a free one.
    const together = await Promise.all(QUESTIONS.map((question) => run(question)));
    expect(together).toEqual(sequential);
    for (const record of together) {
      expect(record.evaluated_tokens).toBe(record.prompt_tokens + record.num_gen_tokens);
    }
  });

  it("lets a caller waiting for a free sequence give up through its signal", async () => {
    const prompt = await backend.renderChat([{ role: "user", content: "hello" }]);
    const held = await Promise.all(
      Array.from({ length: PARALLEL }, () => backend.openSequence(prompt)),
    );
    try {
      const controller = new AbortController();
      const waiting = backend.openSequence(prompt, { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    } finally {
      await Promise.all(held.map((sequence) => sequence.dispose()));
    }
    // Every slot came back.
    const again = await Promise.all(
      Array.from({ length: PARALLEL }, () => backend.openSequence(prompt)),
    );
    await Promise.all(again.map((sequence) => sequence.dispose()));
  });

  it("describes its layout: a context per sequence by default", () => {
    expect(backend.deterministic).toBe(true);
    expect(backend.description).toMatch(
      /\(cpu, 1 thread, 3 contexts x 1 sequence x 512 tokens, deterministic\)$/,
    );
  });
});

describe("embedded backend contexts", () => {
  it("are sized on request, up to the model's trained context, when no size is given", async () => {
    const sized = await createLlamaCppBackend({
      model: await tinyModelPath(),
      gpu: false,
      parallelSequences: 2,
    });
    try {
      expect(sized.contextSize).toBe(0);
      expect(sized.contextLimit).toEqual({
        tokens: SMOKE_MODEL_SHAPE.contextLength,
        source: "the model's trained context",
        raise: "use a model trained on longer contexts",
      });
      await sized.reserveContext(1000);
      // llama.cpp rounds context sizes up to a multiple of 256.
      expect(sized.contextSize).toBe(1024);
      expect(sized.description).toContain("2 contexts x 1 sequence x 1024 tokens, deterministic");
      const record = await generateWithBudget(
        sized,
        await sized.renderChat([{ role: "user", content: "hello" }]),
        SETTINGS,
      );
      expect(record.evaluated_tokens).toBe(record.prompt_tokens + record.num_gen_tokens);
      // A larger need, with no sequence open, makes larger contexts.
      await sized.reserveContext(2000);
      expect(sized.contextSize).toBe(2048);
    } finally {
      await sized.close();
    }
  });

  it("can share one context among all sequences (batched, not deterministic)", async () => {
    const batched = await createLlamaCppBackend({
      model: await tinyModelPath(),
      gpu: false,
      contextSize: 512,
      parallelSequences: PARALLEL,
      deterministic: false,
    });
    try {
      expect(batched.deterministic).toBe(false);
      expect(batched.description).toMatch(
        /\(cpu, 1 thread, 3 sequences x 512 tokens in one context, not deterministic\)$/,
      );
      const records = await Promise.all(
        QUESTIONS.map(async (question) =>
          generateWithBudget(
            batched,
            await batched.renderChat([{ role: "user", content: question }]),
            SETTINGS,
          ),
        ),
      );
      for (const record of records) {
        expect(record.thinking_tokens).toBeLessThanOrEqual(SETTINGS.thinkingBudget);
        expect(record.evaluated_tokens).toBe(record.prompt_tokens + record.num_gen_tokens);
      }
    } finally {
      await batched.close();
    }
  });
});
