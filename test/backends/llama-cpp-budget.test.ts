import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppBackend, type LlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import {
  generateWithBudget,
  waitString,
  type BudgetForcingSettings,
  type EngineEvent,
} from "../../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import type { GenerationRecord } from "../../src/engine/record.js";
import { CancelledError } from "../../src/errors.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * The budget-forcing engine driving the embedded backend on the smoke model, greedy unless said.
 * Under greedy decoding the smoke model stops by itself after ~10 to ~600 tokens depending on the
 * question, or runs on; these questions were picked to cover both.
 */
const STOPS_EARLY = ["hello", "Which drug treats hypertension?", "Blood glucose is 420 mg/dL."];
const RUNS_LONG = ["What is the most likely diagnosis?", "Why?", "Think step by step."];
const MIXED = [
  ...STOPS_EARLY,
  ...RUNS_LONG,
  "Describe the mechanism of insulin.",
  "Give the vital signs.",
];

let backend: LlamaCppBackend;

beforeAll(async () => {
  backend = await createLlamaCppBackend({
    model: await tinyModelPath(),
    gpu: false,
    contextSize: 2048,
  });
});

afterAll(async () => {
  await backend?.close();
});

async function ask(
  question: string,
  overrides: Partial<BudgetForcingSettings> = {},
  onEvent?: (event: EngineEvent) => void,
  signal?: AbortSignal,
): Promise<GenerationRecord> {
  const prompt = await backend.renderChat([{ role: "user", content: question }]);
  return generateWithBudget(
    backend,
    prompt,
    {
      ...DEFAULT_BUDGET_FORCING,
      thinkingFormat: M1_THINKING_FORMAT,
      answerBudget: 12,
      ...overrides,
    },
    { onEvent, signal },
  );
}

/** No round re-reads the context: every token was fed or produced once. */
function expectNothingReRead(record: GenerationRecord): void {
  expect(record.evaluated_tokens).toBe(record.prompt_tokens + record.num_gen_tokens);
}

describe("embedded backend under the budget-forcing engine (m1 format)", () => {
  it("caps thinking at exactly the budget for budgets from 1 to 600, and answers at theirs", async () => {
    const budgets = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 600];
    const reasons = new Set<string>();
    for (const [index, budget] of budgets.entries()) {
      const record = await ask(MIXED[index % MIXED.length], { thinkingBudget: budget });
      reasons.add(record.thinking_finish_reason ?? "none");
      expect(record.thinking_tokens).toBeLessThanOrEqual(budget);
      if (record.thinking_finish_reason === "length") {
        expect(record.thinking_tokens).toBe(budget);
        expect(record.response_text.startsWith("<|im_start|>answer\nFinal Answer:")).toBe(true);
      } else {
        expect(record.thinking_finish_reason).toBe("stop");
        expect(record.response_text.startsWith("<|im_start|>answer")).toBe(true);
        expect(record.response_text.startsWith("<|im_start|>answer\nFinal Answer:")).toBe(false);
      }
      expect(record.answer_tokens).toBeLessThanOrEqual(12);
      if (record.finish_reason === "length") expect(record.answer_tokens).toBe(12);
      expect(record.thinking_text?.endsWith("\n")).toBe(true);
      expect(record.thinking_text).not.toContain("<|im_end|>");
      expectNothingReRead(record);
    }
    // The sweep saw both thinking that stopped by itself and thinking cut by the budget.
    expect(reasons).toEqual(new Set(["stop", "length"]));
  });

  it("runs Wait rounds on one sequence, spaced by m1's rule, without re-reading the context", async () => {
    let sawWait = false;
    for (const question of STOPS_EARLY) {
      const events: EngineEvent[] = [];
      const record = await ask(question, { thinkingBudget: 200, waitRounds: 3 }, (event) =>
        events.push(event),
      );
      const waits = events.filter((event) => event.type === "inserted" && event.reason === "wait");
      expect(record.num_keep_think_below_budget).toBe(waits.length);
      expect(record.thinking_tokens).toBeLessThanOrEqual(200);

      // Rebuild the thinking text from the stream: every Wait is spaced from what preceded it.
      let thinking = "";
      for (const event of events) {
        if (event.phase !== "thinking") continue;
        if (event.type === "inserted" && event.reason === "wait") {
          expect(event.text).toBe(waitString(thinking, "Wait"));
        }
        thinking += event.text;
      }
      expect(thinking).toBe(record.thinking_text);
      if (waits.length > 0) {
        sawWait = true;
        expect(record.thinking_text).toContain("Wait");
      }
      expectNothingReRead(record);
    }
    expect(sawWait).toBe(true);
  });

  it("continues after Wait exactly as if the Wait text had been generated (KV cache kept)", async () => {
    const question = STOPS_EARLY[0];
    const withWait = await ask(question, { thinkingBudget: 300, waitRounds: 1 });
    expect(withWait.num_keep_think_below_budget).toBe(1);
    // Rebuild the same thinking in one sequence by hand: first call, Wait, second call.
    const prompt =
      (await backend.renderChat([{ role: "user", content: question }])) + "<|im_start|>think\n";
    const sequence = await backend.openSequence(prompt);
    try {
      const sampling = { temperature: 0, seed: 42 };
      const first = await sequence.generate({
        maxTokens: 300,
        stop: M1_THINKING_FORMAT.stopStrings,
        sampling,
      });
      const wait = waitString(first.text, "Wait");
      const waitTokens = await sequence.append(wait);
      const second = await sequence.generate({
        maxTokens: 300 - first.tokens - waitTokens,
        stop: M1_THINKING_FORMAT.stopStrings,
        sampling,
      });
      expect(withWait.thinking_text?.startsWith(first.text + wait + second.text)).toBe(true);
    } finally {
      await sequence.dispose();
    }
  });

  it("gives identical records for identical seeds, greedy and sampled", async () => {
    const question = RUNS_LONG[0];
    const greedy = { thinkingBudget: 120, waitRounds: 1 };
    expect(await ask(question, greedy)).toEqual(await ask(question, greedy));

    const sampled = (seed: number) => ({
      thinkingBudget: 120,
      sampling: { temperature: 0.9, topP: 0.95, seed, frequencyPenalty: 0.2 },
    });
    const first = await ask(question, sampled(7));
    expect(await ask(question, sampled(7))).toEqual(first);
    expect((await ask(question, sampled(8))).thinking_text).not.toBe(first.thinking_text);
    expect(first.thinking_text).not.toBe((await ask(question, greedy)).thinking_text);
  });

  it("honours a minimum thinking length by banning stop tokens, with no Wait inserted", async () => {
    const question = STOPS_EARLY[0];
    const free = await ask(question, { thinkingBudget: 300 });
    expect(free.thinking_finish_reason).toBe("stop");
    expect(free.thinking_tokens).toBeLessThan(100);

    const events: EngineEvent[] = [];
    const forced = await ask(question, { thinkingBudget: 300, minThinkingTokens: 100 }, (event) =>
      events.push(event),
    );
    expect(forced.thinking_tokens).toBeGreaterThanOrEqual(100);
    expect(forced.num_min_thinking_waits).toBe(0);
    expect(
      events.some(
        (event) =>
          event.type === "inserted" &&
          event.reason !== "newline" &&
          event.reason !== "answer-prefix",
      ),
    ).toBe(false);
    // Same greedy path up to where the free run stopped: the ban only removes the stop tokens.
    expect(forced.thinking_text?.startsWith(free.thinking_text!.slice(0, -1))).toBe(true);
    expectNothingReRead(forced);
  });

  it("stops with CancelledError when the signal aborts mid-generation", async () => {
    const controller = new AbortController();
    let chunks = 0;
    const run = ask(
      RUNS_LONG[0],
      { thinkingBudget: 600 },
      (event) => {
        if (event.type === "text" && ++chunks === 5) controller.abort();
      },
      controller.signal,
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    // The backend is still usable afterwards.
    expect((await ask(STOPS_EARLY[0], { thinkingBudget: 8 })).thinking_tokens).toBe(8);
  });
});
