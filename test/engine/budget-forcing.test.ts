import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import {
  generateWithBudget,
  validateBudgetForcingSettings,
  waitString,
  type BudgetForcingSettings,
  type EngineEvent,
} from "../../src/engine/budget-forcing.js";
import {
  M1_THINKING_FORMAT,
  NO_THINKING_FORMAT,
  QWEN3_FORCED_CLOSE_MESSAGE,
  resolveThinkingFormat,
  thinkTagsThinkingFormat,
} from "../../src/engine/thinking-formats.js";
import { CancelledError, ConfigError } from "../../src/errors.js";
import { createScriptedBackend, toyTokenize } from "../support/scripted-backend.js";

const PROMPT = "<|im_start|>user\nWhich vitamin?<|im_end|>\n<|im_start|>assistant\n";

function settings(overrides: Partial<BudgetForcingSettings> = {}): BudgetForcingSettings {
  return { ...DEFAULT_BUDGET_FORCING, thinkingFormat: M1_THINKING_FORMAT, ...overrides };
}

/** A model that thinks `thought`, then opens the answer turn, and answers `answer` after a prefix. */
function thinkThenAnswer(thought: string, answer = " The answer is \\boxed{B}.<|im_end|>") {
  return (text: string) =>
    text.endsWith("answer") || text.endsWith("Final Answer:")
      ? answer
      : `${thought}<|im_start|>answer`;
}

describe("budget forcing on m1's format", () => {
  it("ends thinking at the model's own stop, adds the newline and the plain answer prefix", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("Vitamin K is needed."));
    const record = await generateWithBudget(backend, PROMPT, settings({ thinkingBudget: 100 }));

    expect(record.thinking_text).toBe("Vitamin K is needed.\n");
    expect(record.thinking_finish_reason).toBe("stop");
    expect(record.response_text).toBe("<|im_start|>answer The answer is \\boxed{B}.");
    expect(record.finish_reason).toBe("stop");
    // 8 thinking tokens + the stop token <|im_start|> = 9 generated.
    expect(record.thinking_tokens).toBe(toyTokenize("Vitamin K is needed.<|im_start|>").length);
    // The final prompt is the previous prompt plus the new text, byte for byte.
    expect(backend.calls.map((call) => call.prompt)).toEqual([
      `${PROMPT}<|im_start|>think\n`,
      `${PROMPT}<|im_start|>think\nVitamin K is needed.\n<|im_start|>answer`,
    ]);
    const prefixTokens = toyTokenize("<|im_start|>answer").length;
    expect(record.num_gen_tokens).toBe(
      record.thinking_tokens + 1 + prefixTokens + record.answer_tokens,
    );
    expect(record.evaluated_tokens).toBeGreaterThan(record.prompt_tokens);
  });

  it("stops thinking at exactly the budget and appends Final Answer:", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("word ".repeat(500)));
    const record = await generateWithBudget(backend, PROMPT, settings({ thinkingBudget: 37 }));

    expect(record.thinking_finish_reason).toBe("length");
    expect(record.thinking_tokens).toBe(37);
    expect(backend.calls[0]!.maxTokens).toBe(37);
    expect(record.response_text.startsWith("<|im_start|>answer\nFinal Answer:")).toBe(true);
    expect(backend.calls[1]!.prompt.endsWith("\n<|im_start|>answer\nFinal Answer:")).toBe(true);
  });

  it("does not add a newline when thinking already ends with one", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("Done.\n"));
    const record = await generateWithBudget(backend, PROMPT, settings());
    expect(record.thinking_text).toBe("Done.\n");
    expect(record.num_gen_tokens).toBe(record.thinking_tokens + 2 + record.answer_tokens);
  });

  it("runs K Wait rounds, each continuation getting exactly the budget left", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("Hmm ok."));
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingBudget: 100, waitRounds: 2 }),
    );

    expect(record.num_keep_think_below_budget).toBe(2);
    expect(record.thinking_text).toBe("Hmm ok.WaitHmm ok.WaitHmm ok.\n");
    const perRound = toyTokenize("Hmm ok.<|im_start|>").length;
    expect(backend.calls.map((call) => call.maxTokens)).toEqual([
      100,
      100 - perRound - 1,
      100 - 2 * perRound - 2,
      1024,
    ]);
    expect(record.thinking_tokens).toBe(3 * perRound + 2);
  });

  it("never inserts a Wait that would reach the budget, even when K allows more rounds", async () => {
    const perRound = toyTokenize("Hmm ok.<|im_start|>").length; // 5
    const backend = createScriptedBackend(thinkThenAnswer("Hmm ok."));
    const budget = 2 * perRound + 1 + 1; // room for one Wait round, and then Wait would reach it
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingBudget: budget, waitRounds: 8 }),
    );
    expect(record.num_keep_think_below_budget).toBe(1);
    expect(record.thinking_tokens).toBeLessThanOrEqual(budget);
    expect(record.thinking_text).toBe("Hmm ok.WaitHmm ok.\n");
    // The last thinking call stopped by itself, so the plain prefix is used.
    expect(record.response_text.startsWith("<|im_start|>answer ")).toBe(true);
  });

  it("gives no Wait round to a sequence that already hit the budget", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("long ".repeat(100)));
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingBudget: 20, waitRounds: 4 }),
    );
    expect(record.num_keep_think_below_budget).toBe(0);
    expect(record.thinking_tokens).toBe(20);
    expect(backend.calls).toHaveLength(2);
  });

  it("puts a space before Wait only when the text ends with a space (m1's rule)", async () => {
    expect(waitString("thinking ", "Wait")).toBe(" Wait");
    expect(waitString("thinking\n", "Wait")).toBe("Wait");
    expect(waitString("thinking", "Wait")).toBe("Wait");
    const backend = createScriptedBackend(thinkThenAnswer("So "));
    const record = await generateWithBudget(backend, PROMPT, settings({ waitRounds: 1 }));
    expect(record.thinking_text).toBe("So  WaitSo \n");
  });

  it("keeps thinking past early stops until the minimum when the backend cannot refuse stops", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("Short."));
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingBudget: 200, minThinkingTokens: 10 }),
    );
    // "Short.<|im_start|>" is 3 tokens: Wait rounds bring it to >= 10.
    expect(record.thinking_tokens).toBeGreaterThanOrEqual(10);
    expect(record.num_min_thinking_waits).toBe(2);
    expect(record.num_keep_think_below_budget).toBe(0);
    expect(record.thinking_text).toBe("Short.WaitShort.WaitShort.\n");
  });

  it("asks a backend that can refuse stops to do so for the minimum", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("Short."), { stopSuppression: true });
    await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingBudget: 200, minThinkingTokens: 10 }),
    );
    expect(backend.calls[0]!.suppressStopForTokens).toBe(10);
    expect(backend.calls.at(-1)!.suppressStopForTokens).toBeUndefined();
  });

  it("streams thinking, inserted strings and the answer in order", async () => {
    const events: EngineEvent[] = [];
    const backend = createScriptedBackend(thinkThenAnswer("Hmm."));
    await generateWithBudget(backend, PROMPT, settings({ waitRounds: 1 }), {
      onEvent: (event) => events.push(event),
    });
    const shown = events.map((event) => `${event.phase}:${event.text}`).join("|");
    expect(shown).toBe(
      "thinking:Hmm.|thinking:Wait|thinking:Hmm.|thinking:\n|answer:<|im_start|>answer|answer: The answer is \\boxed{B}.",
    );
  });

  it("ends the answer, never thinking, at the caller's own stop strings", async () => {
    const backend = createScriptedBackend(
      thinkThenAnswer("The end is near.", " The answer is B. END more text<|im_end|>"),
    );
    const record = await generateWithBudget(backend, PROMPT, settings(), { answerStop: ["END"] });
    expect(record.thinking_text).toBe("The end is near.\n");
    expect(backend.calls[0]!.stop).toEqual(M1_THINKING_FORMAT.stopStrings);
    expect(backend.calls[1]!.stop).toEqual([...M1_THINKING_FORMAT.stopStrings, "END"]);
    expect(record.response_text).toBe("<|im_start|>answer The answer is B. ");
    expect(record.finish_reason).toBe("stop");
  });

  it("throws CancelledError when the signal is already aborted", async () => {
    const backend = createScriptedBackend(thinkThenAnswer("x"));
    const controller = new AbortController();
    controller.abort();
    await expect(
      generateWithBudget(backend, PROMPT, settings(), { signal: controller.signal }),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("other thinking formats", () => {
  it("baseline makes one call with the whole budget and no stop strings", async () => {
    const backend = createScriptedBackend(() => "The answer is B.<|im_end|>");
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingFormat: NO_THINKING_FORMAT, thinkingBudget: 64 }),
    );
    expect(backend.calls).toHaveLength(1);
    expect(backend.calls[0]).toMatchObject({ prompt: PROMPT, maxTokens: 64, stop: [] });
    expect(record.thinking_text).toBeNull();
    expect(record.thinking_finish_reason).toBeNull();
    expect(record.response_text).toBe("The answer is B.<|im_end|>");
  });

  it("baseline ends the output at the caller's stop strings", async () => {
    const backend = createScriptedBackend(() => "The answer is B.\n\nMore.<|im_end|>");
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingFormat: NO_THINKING_FORMAT, thinkingBudget: 64 }),
      { answerStop: ["\n\n"] },
    );
    expect(backend.calls[0]!.stop).toEqual(["\n\n"]);
    expect(record.response_text).toBe("The answer is B.");
  });

  it("think-tags closes with Qwen3's sentence when the budget ends thinking", async () => {
    const format = thinkTagsThinkingFormat({ forcedCloseMessage: QWEN3_FORCED_CLOSE_MESSAGE });
    const backend = createScriptedBackend((text) =>
      text.endsWith("</think>\n\n") ? "B<|im_end|>" : "go ".repeat(100),
    );
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ thinkingFormat: format, thinkingBudget: 9 }),
    );
    expect(backend.calls[0]!.prompt.endsWith("<think>\n")).toBe(true);
    expect(record.response_text).toBe(`${QWEN3_FORCED_CLOSE_MESSAGE}\n</think>\n\nB`);
  });

  it("custom delimiters from config replace the preset's", () => {
    const format = resolveThinkingFormat("m1", {
      think_str: "[THINK]",
      stop_strings: ["[/THINK]"],
      start_answer_str: "[/THINK]",
    });
    expect(format).toMatchObject({
      name: "custom",
      thinkStart: "[THINK]",
      stopStrings: ["[/THINK]"],
    });
    expect(format.forcedAnswerPrefix).toBe(M1_THINKING_FORMAT.forcedAnswerPrefix);
  });

  it("rejects an unknown format with the list of known ones", () => {
    expect(() => resolveThinkingFormat("chain")).toThrowError(
      /unknown thinking format 'chain'.*m1, think-tags, none/,
    );
  });
});

describe("settings validation", () => {
  it.each([
    [{ thinkingBudget: 0 }, /max_new_tokens: 0 is not a whole number above 0 \(fix: use e\.g\./],
    [{ thinkingBudget: -5 }, /max_new_tokens/],
    [{ answerBudget: 1.5 }, /max_new_answer_tokens/],
    [{ waitRounds: -1 }, /keep_think_below_budget_times/],
    [{ waitRounds: 1, waitText: "" }, /keep_think_below_budget_str/],
  ])("rejects %o", (overrides, message) => {
    expect(() => validateBudgetForcingSettings(settings(overrides))).toThrowError(ConfigError);
    expect(() => validateBudgetForcingSettings(settings(overrides))).toThrowError(message);
  });
});
