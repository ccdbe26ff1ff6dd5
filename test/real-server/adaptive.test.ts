import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/types.js";
import { createOpenAICompatibleBackend } from "../../src/backends/openai/index.js";
import type { AdaptiveSettings } from "../../src/engine/adaptive.js";
import { generateWithBudget } from "../../src/engine/budget-forcing.js";
import { adaptiveForcing } from "../support/adaptive-forcing.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { llamaServerAvailable, startLlamaServer, type RunningLlamaServer } from "./llama-server.js";

/**
 * Answer probes on llama.cpp's real server (smoke model, greedy). With exact tokens a probe is a
 * side request on the sequence's ids plus the probe's, and thinking in chunks continues from
 * exactly the ids it wrote, so probes change nothing the model writes and one capped run holds
 * every smaller budget's forced answer, as on the embedded engine. With text prompts each chunk
 * is a new prompt the server reads again, so only the thinking up to the first probe is sure to
 * be the same (docs/engine.md says what was measured).
 */

const QUESTIONS = ["hello", "What is the most likely diagnosis?", "Why?", "Give the vital signs."];
/** Probes, early exit off. */
const PROBES: Partial<AdaptiveSettings> = { probeEvery: 48, probeTokens: 8 };

describe.skipIf(!llamaServerAvailable)("answer probes on llama.cpp's server", () => {
  let server: RunningLlamaServer;
  const backends: Record<"exact" | "text", Backend> = {} as Record<"exact" | "text", Backend>;
  beforeAll(async () => {
    server = await startLlamaServer({ modelPath: await tinyModelPath() });
    for (const exactTokens of [true, false]) {
      backends[exactTokens ? "exact" : "text"] = await createOpenAICompatibleBackend({
        baseUrls: [server.baseUrl],
        exactTokens,
      });
    }
  });
  afterAll(async () => {
    for (const backend of Object.values(backends)) await backend.close();
    await server?.stop();
  });

  async function ask(
    backend: Backend,
    question: string,
    thinkingBudget: number,
    adaptive?: Partial<AdaptiveSettings>,
  ) {
    const prompt = await backend.renderChat([{ role: "user", content: question }]);
    return generateWithBudget(
      backend,
      prompt,
      adaptiveForcing(adaptive, { thinkingBudget, answerBudget: 12 }),
    );
  }

  it("exact tokens: probes with early exit off change nothing the model writes", async () => {
    let probed = 0;
    for (const question of QUESTIONS) {
      const plain = await ask(backends.exact, question, 300);
      const record = await ask(backends.exact, question, 300, PROBES);
      expect(record.thinking_text).toBe(plain.thinking_text);
      expect(record.response_text).toBe(plain.response_text);
      expect(record.num_gen_tokens).toBe(plain.num_gen_tokens);
      expect(record.probe_answers.map((probe) => probe.thinking_tokens)).toEqual(
        Array.from({ length: record.probe_answers.length }, (_, index) => 48 * (index + 1)),
      );
      if (record.probe_answers.length > 0) expect(record.probe_tokens_total).toBeGreaterThan(0);
      probed += record.probe_answers.length;
    }
    expect(probed).toBeGreaterThan(5);
  });

  it("exact tokens: one capped run gives the forced answer of every smaller budget", async () => {
    let compared = 0;
    for (const question of QUESTIONS) {
      // Probes as long as the answer budget, so a probe's answer is the whole forced answer.
      const capped = await ask(backends.exact, question, 192, {
        ...PROBES,
        probeEvery: 64,
        probeTokens: 12,
      });
      for (const probe of capped.probe_answers) {
        const separate = await ask(backends.exact, question, probe.thinking_tokens);
        expect(separate.thinking_finish_reason).toBe("length");
        expect(probe.response_text).toBe(separate.response_text);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(3);
  });

  it("text prompts: the thinking is the same up to the first probe", async () => {
    for (const question of QUESTIONS) {
      const plain = await ask(backends.text, question, 300);
      const record = await ask(backends.text, question, 300, PROBES);
      const first = record.probe_answers[0];
      if (!first) {
        expect(record.thinking_text).toBe(plain.thinking_text);
        continue;
      }
      const before = (text: string | null) => (text ?? "").slice(0, first.thinking_chars);
      expect(before(record.thinking_text)).toBe(before(plain.thinking_text));
    }
  });
});
