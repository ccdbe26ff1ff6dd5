import { afterEach, describe, expect, it } from "vitest";
import { createOpenAICompatibleBackend } from "../../src/backends/openai/index.js";
import { SlotPool } from "../../src/backends/openai/slot-pool.js";
import { generateWithBudget } from "../../src/engine/budget-forcing.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { BackendSetupError, CancelledError } from "../../src/errors.js";
import { runM1 } from "../support/cli.js";
import { startFakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { Cleanup } from "../fixtures/openai/harness.js";
import { toyTokenize } from "../fixtures/openai/toy-tokenizer.js";

/**
 * `--exact-tokens` in vLLM's dialect (`return_token_ids`, id prompts, `/detokenize`) against the
 * fake server, and against a server that cannot keep token ids. (llama.cpp's dialect is tested on
 * llama.cpp's real server: test/real-server/exact-parity.test.ts.)
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe("--exact-tokens on a server without token-id I/O", () => {
  it("is a setup error naming the server and what it lacks", async () => {
    const server = cleanup.add(await startFakeOpenAIServer());
    const opening = createOpenAICompatibleBackend({
      baseUrls: server.baseUrl,
      exactTokens: true,
      retry: { maxRetries: 0 },
    });
    await expect(opening).rejects.toThrow(BackendSetupError);
    await expect(opening).rejects.toThrow(
      `the server at ${server.baseUrl} cannot keep token ids for --exact-tokens`,
    );
  });

  it("m1 ask says so in one line and exits 2", async () => {
    const server = cleanup.add(await startFakeOpenAIServer());
    const result = await runM1([
      "ask",
      "Which drug reverses heparin?",
      ...["--budget", "8", "--exact-tokens", "--base-url", server.baseUrl],
    ]);
    expect(result.code).toBe(2);
    const errorLines = result.stderr
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("m1:"));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(
      /^m1: error: the server at .* cannot keep token ids for --exact-tokens \(it needs vLLM 0\.10\.2\+ .*\(fix: leave out --exact-tokens/,
    );
    expect(result.stdout).toBe("");
  });
});

describe("--exact-tokens in vLLM's dialect", () => {
  /** Thinks, stops at <|im_start|> (then "ignored"), continues after Wait, answers, ends (EOS). */
  const model = (prompt: string) => {
    if (prompt.endsWith("<|im_start|>think\n"))
      return "Scurvy is vitamin C deficiency.<|im_start|>answer\nignored";
    if (prompt.endsWith("Wait")) return " The gums bleed, so C.<|im_start|>answer";
    return "\nThe answer is \\boxed{B}.";
  };
  const settings = {
    ...DEFAULT_BUDGET_FORCING,
    thinkingFormat: M1_THINKING_FORMAT,
    thinkingBudget: 64,
    answerBudget: 32,
    waitRounds: 1,
  };
  const prompt = "<|im_start|>user\nWhich vitamin?<|im_end|>\n<|im_start|>assistant\n";

  it("sends ids, keeps the generated ids before each stop, appends inserted strings as ids, and matches text prompts here", async () => {
    const server = cleanup.add(await startFakeOpenAIServer({ model, tokenIds: true }));
    const text = cleanup.add(await createOpenAICompatibleBackend({ baseUrls: server.baseUrl }));
    const exact = cleanup.add(
      await createOpenAICompatibleBackend({ baseUrls: server.baseUrl, exactTokens: true }),
    );
    expect(exact.description).toContain("exact tokens (vllm)");
    const textRecord = await generateWithBudget(text, prompt, settings);
    const before = server.completionRequests().length;
    const exactRecord = await generateWithBudget(exact, prompt, settings);
    // The toy tokenizer re-tokenizes text the same way, so both modes agree on this model.
    expect(exactRecord).toEqual(textRecord);
    expect(exactRecord.num_keep_think_below_budget).toBe(1);

    const calls = server.completionRequests().slice(before);
    expect(calls.map((call) => call.return_token_ids)).toEqual([true, true, true]);
    const prompts = calls.map((call) => call.prompt as unknown as number[]);
    for (const ids of prompts) expect(ids.every(Number.isInteger)).toBe(true);
    // Each prompt is the previous one plus what came after it, as ids: nothing re-tokenized.
    expect(prompts[1]!.slice(0, prompts[0]!.length)).toEqual(prompts[0]);
    expect(prompts[2]!.slice(0, prompts[1]!.length)).toEqual(prompts[1]);
    const thinking = toyTokenize("Scurvy is vitamin C deficiency.").length;
    expect(prompts[1]!.length).toBe(prompts[0]!.length + thinking + 1); // + "Wait"
    // The stop string's id is not kept; the newline and answer prefix are appended as their ids.
    const afterWait = toyTokenize(" The gums bleed, so C.").length;
    expect(prompts[2]!.length).toBe(prompts[1]!.length + afterWait + 1 + 2);
  });
});

describe("llama.cpp slots lent one per sequence", () => {
  it("lends each slot once, makes the next sequence wait for one, and lets a waiting one give up", async () => {
    const pool = new SlotPool(2);
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect(new Set([first, second])).toEqual(new Set([0, 1]));
    const waiting = pool.acquire();
    const giveUp = new AbortController();
    const givenUp = pool.acquire(giveUp.signal);
    giveUp.abort();
    await expect(givenUp).rejects.toThrow(CancelledError);
    pool.release(second);
    expect(await waiting).toBe(second);
    pool.release(first);
    expect(await pool.acquire()).toBe(first);
  });
});
