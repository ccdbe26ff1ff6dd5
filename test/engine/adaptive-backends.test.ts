import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppBackend, type LlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { qwen25ChatTemplate } from "../../src/backends/openai/index.js";
import type { AdaptiveSettings } from "../../src/engine/adaptive.js";
import { generateWithBudget, type BudgetForcingSettings } from "../../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { startFakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { Cleanup, backendFor } from "../fixtures/openai/harness.js";
import { toyTokenCount } from "../fixtures/openai/toy-tokenizer.js";
import { adaptiveForcing as settings } from "../support/adaptive-forcing.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * Answer probes, early exit and the loop cut-off on real transports: the OpenAI-compatible backend
 * against the fake server (probes are side requests on the same prefix, scripted to settle at a
 * known point), and the embedded backend on the smoke model (chunking and probe erasure change
 * nothing the model writes; one capped run gives every smaller budget's forced answer).
 */

const boxed = (text: string) => /\\boxed\{([A-Z])\}/.exec(text)?.[1] ?? "";

describe("over HTTP (fake OpenAI-compatible server)", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  const rendered = qwen25ChatTemplate().render([{ role: "user", content: "Anemia?\nA. x\nB. y" }]);
  const thinkPrompt = `${rendered}<|im_start|>think\n`;
  const probeText = `\n${M1_THINKING_FORMAT.forcedAnswerPrefix}`;

  /**
   * Thinks " tick" (one toy token) `words` times. Asked for its answer, it says A or B by turns
   * (every `step` words), and C from `settleAt` words on.
   */
  function settlingModel(words: number, settleAt: number, step: number) {
    return (prompt: string) => {
      const thought = (prompt.slice(thinkPrompt.length).match(/tick/g) ?? []).length;
      if (prompt.endsWith("Final Answer:")) {
        const letter = thought >= settleAt ? "C" : Math.floor(thought / step) % 2 ? "A" : "B";
        return ` \\boxed{${letter}}<|im_end|>`;
      }
      return `${" tick".repeat(Math.max(0, words - thought))}<|im_start|>answer`;
    };
  }

  it("probes with side requests on the same prefix and leaves the sequence's requests as without probes", async () => {
    const server = cleanup.add(await startFakeOpenAIServer({ model: settlingModel(300, 90, 40) }));
    const backend = cleanup.add(await backendFor(server));
    const plain = await generateWithBudget(
      backend,
      rendered,
      settings(undefined, { thinkingBudget: 120, answerBudget: 10 }),
    );
    const plainPrompts = server.completionRequests().map((request) => request.prompt);
    server.requests.length = 0;

    const record = await generateWithBudget(
      backend,
      rendered,
      settings({ probeEvery: 40 }, { thinkingBudget: 120, answerBudget: 10 }),
      { extractAnswer: boxed },
    );
    expect(record.thinking_text).toBe(plain.thinking_text);
    expect(record.response_text).toBe(plain.response_text);
    const requests = server.completionRequests();
    // Probes ask for 16 tokens; the sequence's own requests for the rest.
    const probes = requests.filter((request) => request.max_tokens === 16);
    const sequence = requests.filter((request) => request.max_tokens !== 16);
    // The sequence's own requests: the thinking in chunks of 40, then the forced answer.
    expect(sequence.map((request) => request.max_tokens)).toEqual([40, 40, 40, 10]);
    expect(sequence.at(-1)!.prompt).toBe(plainPrompts.at(-1));
    // Each probe is the sequence's text at that point plus the probe text: a shared prefix.
    expect(probes.map((request) => request.prompt)).toEqual([
      `${thinkPrompt}${" tick".repeat(40)}${probeText}`,
      `${thinkPrompt}${" tick".repeat(80)}${probeText}`,
    ]);
    expect(record.probe_answers.map((probe) => [probe.thinking_tokens, probe.answer])).toEqual([
      [40, "A"],
      [80, "B"],
    ]);
    expect(record.probe_tokens_total).toBe(
      2 * toyTokenCount(probeText) + 2 * (toyTokenCount(" \\boxed{B}") + 1),
    );
    expect(record.evaluated_tokens).toBeUndefined();
  });

  it("exits early once the scripted answer settles, and never on one that flip-flops", async () => {
    const server = cleanup.add(await startFakeOpenAIServer({ model: settlingModel(1000, 90, 30) }));
    const backend = cleanup.add(await backendFor(server));
    const settled = await generateWithBudget(
      backend,
      rendered,
      settings({ probeEvery: 30, earlyExitPatience: 2 }, { thinkingBudget: 600, answerBudget: 10 }),
      { extractAnswer: boxed },
    );
    // Probes at 30 (A), 60 (B), 90 (C), 120 (C): two in a row at 120.
    expect(settled.probe_answers.map((probe) => probe.answer)).toEqual(["A", "B", "C", "C"]);
    expect(settled.stopped_by).toBe("converged");
    expect(settled.thinking_tokens).toBe(120);
    expect(settled.response_text).toBe(`${M1_THINKING_FORMAT.forcedAnswerPrefix} \\boxed{C}`);

    server.setModel(settlingModel(1000, 10_000, 25));
    const flipping = await generateWithBudget(
      backend,
      rendered,
      settings({ probeEvery: 25, earlyExitPatience: 2 }, { thinkingBudget: 200, answerBudget: 10 }),
      { extractAnswer: boxed },
    );
    expect(flipping.stopped_by).toBe("budget");
    expect(flipping.thinking_tokens).toBe(200);
    expect(new Set(flipping.probe_answers.map((probe) => probe.answer))).toEqual(
      new Set(["A", "B"]),
    );
  });

  it("cuts a loop from the text when the server reports no token ids", async () => {
    const server = cleanup.add(
      await startFakeOpenAIServer({
        model: (prompt) =>
          prompt.endsWith("Final Answer:")
            ? " \\boxed{A}<|im_end|>"
            : " the iron is low and".repeat(500),
      }),
    );
    const backend = cleanup.add(await backendFor(server));
    const record = await generateWithBudget(
      backend,
      rendered,
      settings(
        { loopCutoff: { ngram: 6, repeats: 4 } },
        { thinkingBudget: 2000, answerBudget: 10 },
      ),
    );
    expect(record.stopped_by).toBe("loop");
    expect(record.thinking_tokens).toBe(64);
    expect(record.response_text).toBe(`${M1_THINKING_FORMAT.forcedAnswerPrefix} \\boxed{A}`);
  });
});

describe("embedded backend (smoke model)", () => {
  let backend: LlamaCppBackend;
  beforeAll(async () => {
    backend = await createLlamaCppBackend({
      model: await tinyModelPath(),
      gpu: false,
      contextSize: 2048,
    });
  });
  afterAll(() => backend?.close());

  const QUESTIONS = [
    "hello",
    "What is the most likely diagnosis?",
    "Why?",
    "Give the vital signs.",
  ];

  async function ask(
    question: string,
    adaptive: Partial<AdaptiveSettings> | undefined,
    overrides: Partial<BudgetForcingSettings>,
  ) {
    const prompt = await backend.renderChat([{ role: "user", content: question }]);
    return generateWithBudget(
      backend,
      prompt,
      settings(adaptive, { answerBudget: 12, ...overrides }),
    );
  }

  it("probes with early exit off change nothing the model writes, and every probe token is counted", async () => {
    let probed = 0;
    for (const question of QUESTIONS) {
      const plain = await ask(question, undefined, { thinkingBudget: 300 });
      const record = await ask(
        question,
        { probeEvery: 48, probeTokens: 8 },
        { thinkingBudget: 300 },
      );
      expect(record.thinking_text).toBe(plain.thinking_text);
      expect(record.response_text).toBe(plain.response_text);
      expect(record.thinking_tokens).toBe(plain.thinking_tokens);
      expect(record.num_gen_tokens).toBe(plain.num_gen_tokens);
      // Probe erasure re-reads nothing but one token per probe, which the probe total holds.
      expect(plain.evaluated_tokens).toBe(plain.prompt_tokens + plain.num_gen_tokens);
      expect(record.evaluated_tokens).toBe(
        record.prompt_tokens + record.num_gen_tokens + record.probe_tokens_total,
      );
      expect(record.probe_answers.map((probe) => probe.thinking_tokens)).toEqual(
        Array.from({ length: record.probe_answers.length }, (_, index) => 48 * (index + 1)),
      );
      probed += record.probe_answers.length;
    }
    expect(probed).toBeGreaterThan(5);
  });

  it("gives in one capped run the forced answer of every smaller budget (greedy)", async () => {
    let compared = 0;
    for (const question of QUESTIONS) {
      const capped = await ask(
        question,
        { probeEvery: 64, probeTokens: 12 },
        { thinkingBudget: 256 },
      );
      for (const probe of capped.probe_answers) {
        const separate = await ask(question, undefined, { thinkingBudget: probe.thinking_tokens });
        expect(separate.thinking_finish_reason).toBe("length");
        expect(probe.response_text).toBe(separate.response_text);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(3);
  });
});
