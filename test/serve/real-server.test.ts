import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBackend } from "../../src/backends/factory.js";
import { createLlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import type { Backend } from "../../src/backends/types.js";
import { generateWithBudget } from "../../src/engine/budget-forcing.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import type { GenerationRecord } from "../../src/engine/record.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import {
  llamaServerAvailable,
  startLlamaServer,
  type RunningLlamaServer,
} from "../real-server/llama-server.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { startTestServe, type TestServe } from "./support.js";

/**
 * `m1 serve --base-url` in front of a real llama.cpp `llama-server` (built by npm test's pretest)
 * on the smoke model, called with the official `openai` client: m1's thinking control over a
 * server that knows nothing of it, its slot context enforced, and with `--exact-tokens` the very
 * records the embedded engine gives.
 */

const SLOT_CONTEXT = 2048;
const QUESTION = "Which vitamin deficiency causes scurvy? Explain the mechanism in detail.";
let server: RunningLlamaServer;
const closing: { close(): Promise<void> }[] = [];

async function serveOver(exactTokens: boolean): Promise<TestServe> {
  const opened = await openBackend({
    kind: "openai",
    baseUrls: [server.baseUrl],
    retries: 1,
    requestTimeoutSeconds: 60,
    exactTokens,
  });
  closing.push(opened.backend);
  const serve = await startTestServe(
    opened.backend,
    { thinking_budget: 64, max_completion_tokens: 16, temperature: 0, seed: 1 },
    { modelName: opened.modelName },
  );
  closing.unshift(serve);
  return serve;
}

beforeAll(async () => {
  if (!llamaServerAvailable) return;
  // One slot: exact-token records equal the embedded engine's every time (openai-backend.md).
  server = await startLlamaServer({
    modelPath: await tinyModelPath(),
    parallel: 1,
    slotContext: SLOT_CONTEXT,
  });
});

afterAll(async () => {
  for (const each of closing) await each.close();
  await server?.stop();
});

/** m1's thinking keys ride along in the body, as `extra_body` puts them. */
type Body = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming & Record<string, unknown>;
type StreamBody = OpenAI.Chat.ChatCompletionCreateParamsStreaming & Record<string, unknown>;

interface M1Message {
  content: string;
  reasoning_content: string;
}

describe.skipIf(!llamaServerAvailable)("m1 serve in front of a real llama.cpp server", () => {
  it("cuts thinking at the budget, runs Wait rounds, and splits reasoning from the answer", async () => {
    const serve = await serveOver(false);
    const model = (await serve.client.models.list()).data[0]!.id;
    const reply = await serve.client.chat.completions.create({
      model,
      messages: [{ role: "user", content: QUESTION }],
      thinking_budget: 24,
      wait_rounds: 1,
    } as Body);
    const choice = reply.choices[0]!;
    const message = choice.message as unknown as M1Message;
    const record = (choice as unknown as { m1: GenerationRecord }).m1;
    expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBeLessThanOrEqual(24);
    expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBe(record.thinking_tokens);
    expect(message.reasoning_content).toBe(record.thinking_text);
    expect(
      record.thinking_finish_reason === "length" || record.num_keep_think_below_budget > 0,
    ).toBe(true);
    expect(message.content).not.toContain("<|im_start|>");
    expect(message.content).not.toContain("Final Answer:");

    // Streamed: every reasoning delta before the first content delta, then usage.
    const stream = await serve.client.chat.completions.create({
      model,
      messages: [{ role: "user", content: QUESTION }],
      thinking_budget: 24,
      stream: true,
      stream_options: { include_usage: true },
    } as StreamBody);
    const kinds: string[] = [];
    let reasoning = 0;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string };
      if (delta?.reasoning_content) kinds.push("reasoning");
      if (delta?.content) kinds.push("content");
      if (chunk.usage) reasoning = chunk.usage.completion_tokens_details!.reasoning_tokens!;
    }
    expect(kinds[0]).toBe("reasoning");
    expect(kinds.lastIndexOf("reasoning")).toBeLessThan(kinds.indexOf("content"));
    expect(reasoning).toBeGreaterThan(0);
    expect(reasoning).toBeLessThanOrEqual(24);
  });

  it("refuses a budget the server's slot context cannot hold, naming thinking_budget", async () => {
    const serve = await serveOver(false);
    const response = await serve.post("/v1/chat/completions", {
      messages: [{ role: "user", content: QUESTION }],
      thinking_budget: SLOT_CONTEXT,
    });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({
      error: { param: "thinking_budget", type: "invalid_request_error" },
    });
    expect((response.json as { error: { message: string } }).error.message).toContain(
      `holds ${SLOT_CONTEXT}`,
    );
  });

  it("with exact tokens, answers with the embedded engine's own record", async () => {
    const serve = await serveOver(true);
    const embedded: Backend = await createLlamaCppBackend({
      model: await tinyModelPath(),
      gpu: false,
      contextSize: SLOT_CONTEXT,
    });
    closing.push(embedded);
    const messages = [{ role: "user" as const, content: QUESTION }];
    const expected = await generateWithBudget(embedded, await embedded.renderChat(messages), {
      ...DEFAULT_BUDGET_FORCING,
      thinkingFormat: M1_THINKING_FORMAT,
      thinkingBudget: 48,
      answerBudget: 16,
      waitRounds: 1,
      sampling: { temperature: 0, seed: 1 },
    });
    const reply = await serve.client.chat.completions.create({
      model: (await serve.client.models.list()).data[0]!.id,
      messages,
      thinking_budget: 48,
      max_completion_tokens: 16,
      wait_rounds: 1,
    } as Body);
    const record = (reply.choices[0] as unknown as { m1: GenerationRecord }).m1;
    const { evaluated_tokens: _ignored, ...compared } = expected;
    expect(record).toMatchObject(compared);
  });
});
