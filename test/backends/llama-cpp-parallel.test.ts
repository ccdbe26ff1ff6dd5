import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppBackend, type LlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import { generateWithBudget, type BudgetForcingSettings } from "../../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { CancelledError } from "../../src/errors.js";
import { tinyModelPath } from "../support/tiny-model.js";

/** Several questions sharing one llama.cpp context, each on its own sequence. */
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
  it("gives the same records when questions run together in one context as one at a time", async () => {
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
});
