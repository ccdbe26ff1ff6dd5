import { describe, expect, it } from "vitest";
import {
  endsInLoop,
  textUnits,
  type AdaptiveSettings,
  type ProbeEvent,
} from "../../src/engine/adaptive.js";
import {
  generateWithBudget,
  validateBudgetForcingSettings,
  type BudgetForcingSettings,
} from "../../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { ConfigError } from "../../src/errors.js";
import { adaptiveForcing } from "../support/adaptive-forcing.js";
import { createScriptedBackend, toyTokenize } from "../support/scripted-backend.js";

const PROMPT = "<|im_start|>user\nWhich vitamin?<|im_end|>\n<|im_start|>assistant\n";
const THINK_START = M1_THINKING_FORMAT.thinkStart;

/** m1's forcing with these adaptive settings, at a 200-token budget and a 20-token answer. */
const settings = (
  adaptive: Partial<AdaptiveSettings> | undefined,
  overrides: Partial<BudgetForcingSettings> = {},
) => adaptiveForcing(adaptive, { thinkingBudget: 200, answerBudget: 20, ...overrides });

/** Thinking so far, from a prompt (everything after the thinking delimiter). */
function thinkingOf(prompt: string): string {
  return prompt.slice(prompt.lastIndexOf(THINK_START) + THINK_START.length);
}

/** The letter in a probe's or an answer's \boxed{}, or "". */
const boxed = (text: string) => /\\boxed\{([A-Z])\}/.exec(text)?.[1] ?? "";

/**
 * A model that thinks " tick" (2 tokens: the space and the word) `thoughtWords` times, then stops,
 * and whose answer, when asked, depends on how many words it has thought: `answerAt(words)`.
 */
function wordModel(thoughtWords: number, answerAt: (words: number) => string) {
  return (text: string) => {
    const thinking = thinkingOf(text);
    const words = (thinking.match(/tick/g) ?? []).length;
    if (text.endsWith("Final Answer:") || text.endsWith("<|im_start|>answer")) {
      const letter = answerAt(words);
      return letter === "" ? " not sure yet<|im_end|>" : ` \\boxed{${letter}}<|im_end|>`;
    }
    return `${" tick".repeat(Math.max(0, thoughtWords - words))}<|im_start|>answer`;
  };
}

describe("answer probes", () => {
  it("probe every N thinking tokens, record the answers, and leave the thinking as without probes", async () => {
    const model = wordModel(150, (words) => (words < 40 ? "A" : "C"));
    const plain = await generateWithBudget(
      createScriptedBackend(model),
      PROMPT,
      settings(undefined),
    );
    const events: ProbeEvent[] = [];
    const backend = createScriptedBackend(model);
    const probed = await generateWithBudget(backend, PROMPT, settings({ probeEvery: 50 }), {
      extractAnswer: boxed,
      onEvent: (event) => {
        if (event.type === "probe") events.push(event);
      },
    });

    expect(probed.thinking_text).toBe(plain.thinking_text);
    expect(probed.response_text).toBe(plain.response_text);
    expect(probed.thinking_tokens).toBe(200);
    expect(probed.num_gen_tokens).toBe(plain.num_gen_tokens);
    expect(probed.stopped_by).toBe("budget");
    expect(plain.stopped_by).toBe("budget");
    // Probes at 50, 100 and 150 thinking tokens (none at the budget: the answer follows anyway).
    expect(probed.probe_answers.map((probe) => [probe.thinking_tokens, probe.answer])).toEqual([
      [50, "A"],
      [100, "C"],
      [150, "C"],
    ]);
    expect(events.map((event) => event.thinkingTokens)).toEqual([50, 100, 150]);
    // Each probe asked on the thinking so far plus "\n" and the forced answer prefix.
    const probeCalls = backend.calls.filter((call) => call.maxTokens === 16);
    expect(probeCalls.map((call) => call.prompt)).toEqual(
      probed.probe_answers.map(
        (probe) =>
          `${PROMPT}${THINK_START}${probed.thinking_text!.slice(0, probe.thinking_chars)}\n${M1_THINKING_FORMAT.forcedAnswerPrefix}`,
      ),
    );
    expect(probed.probe_answers[0]!.response_text).toBe(
      "<|im_start|>answer\nFinal Answer: \\boxed{A}",
    );
    // Each probe: "\n" + the forced answer prefix, then what it generated; all counted apart.
    const prefixTokens = toyTokenize(`\n${M1_THINKING_FORMAT.forcedAnswerPrefix}`).length;
    const generated = probed.probe_answers
      .map(
        (probe) =>
          toyTokenize(probe.response_text.slice(M1_THINKING_FORMAT.forcedAnswerPrefix.length))
            .length + 1,
      )
      .reduce((sum, count) => sum + count, 0);
    expect(probed.probe_tokens_total).toBe(3 * prefixTokens + generated);
    expect(probed.evaluated_tokens).toBe(
      probed.prompt_tokens + probed.num_gen_tokens + probed.probe_tokens_total,
    );
    // The main sequence never saw a probe: every thinking call continues the thinking text.
    const thinkingCalls = backend.calls.filter(
      (call) => call.maxTokens !== 16 && !call.prompt.endsWith("Final Answer:"),
    );
    expect(thinkingCalls.map((call) => call.maxTokens)).toEqual([50, 50, 50, 50]);
  });

  it("lands probes on multiples of probe_every across Wait rounds", async () => {
    const model = wordModel(30, () => "B"); // stops by itself after 61 tokens
    const record = await generateWithBudget(
      createScriptedBackend(model),
      PROMPT,
      settings({ probeEvery: 40 }, { thinkingBudget: 300, waitRounds: 1 }),
      { extractAnswer: boxed },
    );
    expect(record.num_keep_think_below_budget).toBe(1);
    expect(record.probe_answers.map((probe) => probe.thinking_tokens)).toEqual([40]);
    expect(record.stopped_by).toBe("model");
  });
});

describe("early exit", () => {
  it("ends thinking when k probes in a row agree on a non-empty answer, then answers as forced", async () => {
    // Unsure before 30 words, then B until 45 words, then C for good.
    const model = wordModel(500, (words) => (words < 30 ? "" : words < 45 ? "B" : "C"));
    const record = await generateWithBudget(
      createScriptedBackend(model),
      PROMPT,
      settings({ probeEvery: 20, earlyExitPatience: 3 }, { thinkingBudget: 1000 }),
      { extractAnswer: boxed },
    );
    // Probes at 20 and 40 tokens (""), 60 and 80 (B), 100, 120, 140 (C): settled at 140.
    expect(record.probe_answers.map((probe) => probe.answer)).toEqual([
      "",
      "",
      "B",
      "B",
      "C",
      "C",
      "C",
    ]);
    expect(record.stopped_by).toBe("converged");
    expect(record.thinking_tokens).toBe(140);
    expect(record.thinking_finish_reason).toBe("length");
    expect(record.response_text).toBe("<|im_start|>answer\nFinal Answer: \\boxed{C}");
  });

  it("never stops on answers that flip-flop or never settle, and never with patience 0", async () => {
    const flipFlop = wordModel(500, (words) => (Math.floor(words / 10) % 2 === 0 ? "A" : "B"));
    const never = wordModel(500, (words) => "ABCDEFGHIJ"[Math.floor(words / 10) % 10]!);
    const settled = wordModel(500, () => "D");
    for (const [model, patience] of [
      [flipFlop, 2],
      [never, 2],
      [settled, 0],
    ] as const) {
      const record = await generateWithBudget(
        createScriptedBackend(model),
        PROMPT,
        settings({ probeEvery: 20, earlyExitPatience: patience }, { thinkingBudget: 200 }),
        { extractAnswer: boxed },
      );
      expect(record.stopped_by).toBe("budget");
      expect(record.thinking_tokens).toBe(200);
      expect(record.probe_answers).toHaveLength(9);
    }
  });

  it("keeps the minimum thinking: no early exit below min_thinking_tokens", async () => {
    const model = wordModel(500, () => "D");
    const record = await generateWithBudget(
      createScriptedBackend(model),
      PROMPT,
      settings(
        { probeEvery: 20, earlyExitPatience: 2 },
        { thinkingBudget: 400, minThinkingTokens: 90 },
      ),
      { extractAnswer: boxed },
    );
    expect(record.stopped_by).toBe("converged");
    expect(record.thinking_tokens).toBe(100);
  });
});

describe("loop cut-off", () => {
  it("finds a span of at least ngram units written `repeats` times at the end", () => {
    const cutoff = { ngram: 3, repeats: 3 };
    expect(endsInLoop([9, 1, 2, 3, 1, 2, 3, 1, 2, 3], cutoff)).toBe(true);
    expect(endsInLoop([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4], cutoff)).toBe(true);
    expect(endsInLoop([1, 2, 3, 1, 2, 3, 1, 2, 4], cutoff)).toBe(false);
    expect(endsInLoop([1, 2, 1, 2, 1, 2], cutoff)).toBe(false); // period 2 is below ngram 3...
    expect(endsInLoop([1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2], cutoff)).toBe(true); // ...4 is not
    expect(endsInLoop([1, 2, 3, 1, 2, 3], cutoff)).toBe(false); // only twice
    expect(textUnits("the cat,  sat\n")).toEqual(["the", " ", "cat", ",", "  ", "sat", "\n"]);
  });

  it("ends thinking that loops and forces the answer (stopped_by: loop)", async () => {
    const loop = " and so the iron is low".repeat(200);
    const model = (text: string) =>
      text.endsWith("Final Answer:") ? " \\boxed{A}<|im_end|>" : `First, anemia.${loop}`;
    const backend = createScriptedBackend(model);
    const record = await generateWithBudget(
      backend,
      PROMPT,
      settings({ loopCutoff: { ngram: 8, repeats: 3 } }, { thinkingBudget: 2000 }),
    );
    expect(record.stopped_by).toBe("loop");
    // The span is 12 tokens; three of them and the opening 4 tokens fit in the first 64-token check.
    expect(record.thinking_tokens).toBe(64);
    expect(record.response_text).toBe("<|im_start|>answer\nFinal Answer: \\boxed{A}");
    expect(record.probe_answers).toEqual([]);
  });

  it("does not fire on thinking that repeats less than asked", async () => {
    const model = (text: string) =>
      text.endsWith("<|im_start|>answer")
        ? " \\boxed{A}<|im_end|>"
        : `${" the iron is low".repeat(2)} done.<|im_start|>answer`;
    const record = await generateWithBudget(
      createScriptedBackend(model),
      PROMPT,
      settings({ loopCutoff: { ngram: 4, repeats: 3 } }),
    );
    expect(record.stopped_by).toBe("model");
  });
});

describe("adaptive settings", () => {
  it("refuses settings that cannot run, naming the key", () => {
    const refused = (adaptive: Partial<AdaptiveSettings>) => {
      try {
        validateBudgetForcingSettings(settings(adaptive, { thinkingBudget: 100 }));
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message;
      }
      return "accepted";
    };
    expect(refused({ probeEvery: 200 })).toMatch(/probe_every.*above the thinking budget 100/);
    expect(refused({ probeEvery: 0 })).toMatch(/probe_every.*not a whole number above 0/);
    expect(refused({ earlyExitPatience: 2 })).toMatch(
      /early_exit_patience.*probe_every is not set/,
    );
    expect(refused({ loopCutoff: { ngram: 8, repeats: 1 } })).toMatch(/loop_cutoff: repeats 1/);
    expect(refused({ loopCutoff: { ngram: 60, repeats: 2 } })).toMatch(/could never fire/);
    expect(refused({ probeEvery: 25, earlyExitPatience: 2 })).toBe("accepted");
  });
});
