import { afterEach, describe, expect, it } from "vitest";
import { qwen25ChatTemplate } from "../../src/backends/openai/index.js";
import type { Backend } from "../../src/backends/types.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import {
  generateWithBudget,
  type BudgetForcingSettings,
  type EngineEvent,
} from "../../src/engine/budget-forcing.js";
import {
  M1_THINKING_FORMAT,
  NO_THINKING_FORMAT,
  QWEN3_FORCED_CLOSE_MESSAGE,
  thinkTagsThinkingFormat,
} from "../../src/engine/thinking-formats.js";
import {
  startFakeOpenAIServer,
  type FakeOpenAIServer,
  type FakeOpenAIServerOptions,
} from "../fixtures/fake-openai-server.js";
import { Cleanup, backendFor, scriptBySuffix } from "../fixtures/openai/harness.js";
import { toyTokenCount } from "../fixtures/openai/toy-tokenizer.js";

/**
 * Reference section 3 over HTTP: the real engine drives the OpenAI-compatible backend against the
 * fake server. Counts follow the fake's toy tokenizer: words (with one leading space), single
 * punctuation marks, "\n" and special tokens like <|im_start|> are one token each; a stop string
 * counts as generated; a script that runs out ends with one end-of-sequence token.
 */

const QUESTION = "Which vitamin deficiency causes scurvy?\nA. Vitamin A\nB. Vitamin C";
const RENDERED = qwen25ChatTemplate().render([{ role: "user", content: QUESTION }]);
const THINK_PROMPT = `${RENDERED}<|im_start|>think\n`;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function setUp(
  options: FakeOpenAIServerOptions,
): Promise<{ server: FakeOpenAIServer; backend: Backend }> {
  const server = cleanup.add(await startFakeOpenAIServer(options));
  const backend = cleanup.add(await backendFor(server));
  return { server, backend };
}

function settings(overrides: Partial<BudgetForcingSettings>): BudgetForcingSettings {
  return { ...DEFAULT_BUDGET_FORCING, thinkingFormat: M1_THINKING_FORMAT, ...overrides };
}

/** Each request's prompt is the previous prompt plus exactly the text the sequence gained. */
function expectPromptsContinue(server: FakeOpenAIServer, gained: readonly string[]): void {
  const prompts = server.completionRequests().map((request) => request.prompt);
  for (let index = 1; index < prompts.length; index++) {
    expect(prompts[index]).toBe(prompts[index - 1] + gained[index - 1]);
  }
}

describe("m1 thinking format over HTTP", () => {
  it("ends thinking that stopped on <|im_start|> with a counted newline and <|im_start|>answer", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Scurvy is vitamin C deficiency.<|im_start|>answer\nB<|im_end|>",
        "<|im_start|>answer": "\nThe answer is \\boxed{B}.<|im_end|>",
      }),
    });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 100, answerBudget: 50 }),
    );

    // 6 thinking tokens + the <|im_start|> stop token; "\n" 1; "<|im_start|>answer" 2; answer 10 + <|im_end|>.
    expect(record).toMatchObject({
      thinking_text: "Scurvy is vitamin C deficiency.\n",
      thinking_finish_reason: "stop",
      response_text: "<|im_start|>answer\nThe answer is \\boxed{B}.",
      finish_reason: "stop",
      thinking_tokens: 7,
      answer_tokens: 11,
      num_gen_tokens: 7 + 1 + 2 + 11,
      num_keep_think_below_budget: 0,
      num_min_thinking_waits: 0,
      prompt_tokens: toyTokenCount(THINK_PROMPT),
    });
    const requests = server.completionRequests();
    expect(requests.map((request) => request.max_tokens)).toEqual([100, 50]);
    expect(requests[0]!.prompt).toBe(THINK_PROMPT);
    expect(requests[1]!.prompt).toBe(
      `${THINK_PROMPT}Scurvy is vitamin C deficiency.\n<|im_start|>answer`,
    );
    for (const request of requests) {
      expect(request.stop).toEqual(["<|im_end|>", "<|im_start|>"]);
      expect(request).toMatchObject({
        temperature: 0,
        seed: 42,
        frequency_penalty: 0,
        model: "fake-m1",
      });
    }
  });

  it("ends thinking that hit the budget with <|im_start|>answer\\nFinal Answer:", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Scurvy is vitamin C deficiency and more.<|im_start|>",
        "Final Answer:": " B<|im_end|>",
      }),
    });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 5, answerBudget: 50 }),
    );

    // "<|im_start|>answer\nFinal Answer:" is 6 toy tokens; the answer " B" + <|im_end|> is 2.
    expect(record).toMatchObject({
      thinking_text: "Scurvy is vitamin C deficiency\n",
      thinking_finish_reason: "length",
      response_text: "<|im_start|>answer\nFinal Answer: B",
      finish_reason: "stop",
      thinking_tokens: 5,
      answer_tokens: 2,
      num_gen_tokens: 5 + 1 + 6 + 2,
    });
    expect(server.completionRequests().map((request) => request.max_tokens)).toEqual([5, 50]);
    expect(server.completionRequests()[1]!.prompt).toBe(
      `${THINK_PROMPT}Scurvy is vitamin C deficiency\n<|im_start|>answer\nFinal Answer:`,
    );
  });

  it("does not add a newline when thinking already ends with one", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Vitamin C.\n<|im_start|>",
        "<|im_start|>answer": "\nB<|im_end|>",
      }),
    });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 100, answerBudget: 50 }),
    );

    expect(record.thinking_text).toBe("Vitamin C.\n");
    // 4 thinking tokens + stop; no newline inserted; prefix 2; answer "\nB" + stop 3.
    expect(record.num_gen_tokens).toBe(5 + 2 + 3);
    expect(server.completionRequests()[1]!.prompt).toBe(
      `${THINK_PROMPT}Vitamin C.\n<|im_start|>answer`,
    );
  });

  it("runs Wait rounds with m1's spacing rule and gives each call exactly the remaining budget", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Vitamin C.<|im_start|>",
        "Vitamin C.Wait": ", it is C <|im_start|>",
        "C  Wait": "\nSure.<|im_start|>",
        "<|im_start|>answer": "\nB<|im_end|>",
      }),
    });
    const events: EngineEvent[] = [];
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 20, answerBudget: 50, waitRounds: 2 }),
      { onEvent: (event) => events.push(event) },
    );

    // 3+1 tokens, Wait 1 (after "."), 5+1 tokens, " Wait" 1 (after a space), 3+1 tokens.
    expect(record).toMatchObject({
      thinking_text: "Vitamin C.Wait, it is C  Wait\nSure.\n",
      thinking_finish_reason: "stop",
      response_text: "<|im_start|>answer\nB",
      num_keep_think_below_budget: 2,
      thinking_tokens: 4 + 1 + 6 + 1 + 4,
      num_gen_tokens: 16 + 1 + 2 + 3,
    });
    expect(server.completionRequests().map((request) => request.max_tokens)).toEqual([
      20, 15, 8, 50,
    ]);
    expectPromptsContinue(server, [
      "Vitamin C.Wait",
      ", it is C  Wait",
      "\nSure.\n<|im_start|>answer",
    ]);
    const inserted = events.filter((event) => event.type === "inserted");
    expect(inserted.map((event) => [event.reason, event.text, event.tokens])).toEqual([
      ["wait", "Wait", 1],
      ["wait", " Wait", 1],
      ["newline", "\n", 1],
      ["answer-prefix", "<|im_start|>answer", 2],
    ]);
    // Streamed text pieces add up to what was generated, phase by phase.
    const streamed = (phase: string) =>
      events
        .filter((event) => event.type === "text" && event.phase === phase)
        .map((event) => event.text)
        .join("");
    expect(streamed("thinking")).toBe("Vitamin C., it is C \nSure.");
    expect(streamed("answer")).toBe("\nB");
    expect(server.completionRequests().every((request) => request.stream === true)).toBe(true);
  });

  it("does not insert a Wait that would reach the budget, and thinking ends there", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Vitamin C.<|im_start|>",
        "<|im_start|>answer": "\nB<|im_end|>",
      }),
    });
    // 4 tokens used; "Wait" would make 5 = the budget.
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 5, answerBudget: 50, waitRounds: 1 }),
    );

    expect(record).toMatchObject({
      thinking_text: "Vitamin C.\n",
      thinking_finish_reason: "stop",
      num_keep_think_below_budget: 0,
      thinking_tokens: 4,
      num_gen_tokens: 4 + 1 + 2 + 3,
    });
    expect(server.completionRequests()).toHaveLength(2);
    expect(server.completionRequests()[1]!.prompt).toBe(
      `${THINK_PROMPT}Vitamin C.\n<|im_start|>answer`,
    );
  });

  it("runs fewer Wait rounds than asked when the budget runs out first", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Hmm.<|im_start|>",
        Wait: " ok.<|im_start|>",
        "<|im_start|>answer": "\nB<|im_end|>",
      }),
    });
    // 3 -> Wait 4 -> 7 -> Wait 8 -> 11 -> a third Wait would make 12 = the budget.
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 12, answerBudget: 50, waitRounds: 8 }),
    );

    expect(record).toMatchObject({
      thinking_text: "Hmm.Wait ok.Wait ok.\n",
      num_keep_think_below_budget: 2,
      thinking_tokens: 11,
    });
    expect(server.completionRequests().map((request) => request.max_tokens)).toEqual([
      12, 8, 4, 50,
    ]);
  });

  it("ends with Final Answer: when a Wait continuation uses up the budget", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Hmm.<|im_start|>",
        Wait: " ok ok ok ok ok ok ok ok.<|im_start|>",
        "Final Answer:": " B<|im_end|>",
      }),
    });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 10, answerBudget: 50, waitRounds: 4 }),
    );

    expect(record).toMatchObject({
      thinking_text: "Hmm.Wait ok ok ok ok ok ok\n",
      thinking_finish_reason: "length",
      response_text: "<|im_start|>answer\nFinal Answer: B",
      num_keep_think_below_budget: 1,
      thinking_tokens: 10,
      num_gen_tokens: 10 + 1 + 6 + 2,
    });
    expect(server.completionRequests().map((request) => request.max_tokens)).toEqual([10, 6, 50]);
  });

  it("emulates minimum thinking with Wait, since a server cannot refuse a stop string", async () => {
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<|im_start|>think\n": "Hmm.<|im_start|>",
        Wait: " ok.<|im_start|>",
        "<|im_start|>answer": "\nB<|im_end|>",
      }),
    });
    expect(backend.capabilities.stopSuppression).toBe(false);
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingBudget: 50, answerBudget: 50, minThinkingTokens: 8 }),
    );

    // 3 < 8 -> Wait -> 4 + 3 = 7 < 8 -> Wait -> 8 + 3 = 11: enough.
    expect(record).toMatchObject({
      thinking_text: "Hmm.Wait ok.Wait ok.\n",
      num_min_thinking_waits: 2,
      num_keep_think_below_budget: 0,
      thinking_tokens: 11,
    });
    expect(server.completionRequests().map((request) => request.max_tokens)).toEqual([
      50, 46, 42, 50,
    ]);
  });
});

describe("other formats over HTTP", () => {
  it("makes one call with no stop strings in baseline mode", async () => {
    const { server, backend } = await setUp({ model: () => "The answer is B." });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingFormat: NO_THINKING_FORMAT, thinkingBudget: 64, answerBudget: 50 }),
    );

    // 5 tokens and the end-of-sequence token.
    expect(record).toMatchObject({
      thinking_text: null,
      thinking_finish_reason: null,
      response_text: "The answer is B.",
      finish_reason: "stop",
      num_gen_tokens: 6,
    });
    const requests = server.completionRequests();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.prompt).toBe(RENDERED);
    expect(requests[0]!.max_tokens).toBe(64);
    expect(requests[0]).not.toHaveProperty("stop");
  });

  it("cuts a baseline answer at max_new_tokens with finish_reason length", async () => {
    const { backend } = await setUp({ model: () => "The answer is B." });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingFormat: NO_THINKING_FORMAT, thinkingBudget: 3 }),
    );
    expect(record).toMatchObject({
      response_text: "The answer is",
      finish_reason: "length",
      num_gen_tokens: 3,
    });
  });

  it("closes <think> thinking with </think>\\n\\n after </think> stopped it", async () => {
    const format = thinkTagsThinkingFormat();
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<think>\n": "Vitamin C.</think>\n\nB",
        "</think>\n\n": "B<|im_end|>",
      }),
    });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingFormat: format, thinkingBudget: 100, answerBudget: 50 }),
    );

    // "</think>" is 4 toy tokens; "</think>\n\n" 6.
    expect(record).toMatchObject({
      thinking_text: "Vitamin C.\n",
      thinking_finish_reason: "stop",
      response_text: "</think>\n\nB",
      num_gen_tokens: 7 + 1 + 6 + 2,
    });
    expect(server.completionRequests()[0]!.stop).toEqual([
      "</think>",
      "<|im_end|>",
      "<|endoftext|>",
    ]);
    expect(server.completionRequests()[1]!.prompt).toBe(
      `${RENDERED}<think>\nVitamin C.\n</think>\n\n`,
    );
  });

  it("writes Qwen3's closing sentence before </think> when the budget closes thinking", async () => {
    const format = thinkTagsThinkingFormat({ forcedCloseMessage: QWEN3_FORCED_CLOSE_MESSAGE });
    const { server, backend } = await setUp({
      model: scriptBySuffix({
        "<think>\n": "Vitamin C is the one.",
        "</think>\n\n": "B<|im_end|>",
      }),
    });
    const record = await generateWithBudget(
      backend,
      RENDERED,
      settings({ thinkingFormat: format, thinkingBudget: 3, answerBudget: 50 }),
    );

    const forced = `${QWEN3_FORCED_CLOSE_MESSAGE}\n</think>\n\n`;
    expect(record).toMatchObject({
      thinking_text: "Vitamin C is\n",
      thinking_finish_reason: "length",
      response_text: `${forced}B`,
      num_gen_tokens: 3 + 1 + toyTokenCount(forced) + 2,
    });
    expect(server.completionRequests()[1]!.prompt).toBe(
      `${RENDERED}<think>\nVitamin C is\n${forced}`,
    );
  });
});
