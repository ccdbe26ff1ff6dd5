import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppBackend, type LlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { generateWithBudget, type BudgetForcingSettings } from "../../src/engine/budget-forcing.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import type { GenerationRecord } from "../../src/engine/record.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { tinyModelPath } from "../support/tiny-model.js";
import {
  sseEvents,
  startTestServe,
  watchBackend,
  type TestServe,
  type WatchedBackend,
} from "./support.js";

/**
 * `m1 serve` on the smoke model (the embedded llama.cpp engine, for real), called the way users
 * call it: the official `openai` client and the AI SDK's OpenAI-compatible provider.
 */

/** Thinks until the budget ends it (the smoke model wanders off under greedy decoding). */
const LONG = "Which vitamin deficiency causes scurvy?";
/** Stops thinking by itself after about 20 tokens. */
const SHORT = "hello";
const CONFIG = {
  thinking_budget: 256,
  max_completion_tokens: 32,
  reasoning_effort_budgets: { low: 16, medium: 32, high: 64 },
};

let backend: LlamaCppBackend;
let watched: WatchedBackend;
let serve: TestServe;

beforeAll(async () => {
  backend = await createLlamaCppBackend({
    model: await tinyModelPath(),
    gpu: false,
    contextSize: 8192,
    parallelSequences: 2,
  });
  watched = watchBackend(backend);
  serve = await startTestServe(watched, CONFIG);
});

afterAll(async () => {
  await serve?.close();
  await backend?.close();
});

/** m1's thinking keys ride along in the body, as `extra_body` puts them. */
type WithThinking<T> = T & Record<string, unknown>;

async function ask(question: string, extra: Record<string, unknown> = {}) {
  return serve.client.chat.completions.create({
    model: "m1-test",
    messages: [{ role: "user", content: question }],
    ...extra,
  } as WithThinking<{ model: string; messages: { role: "user"; content: string }[] }>);
}

/** What the engine alone gives for the same question and settings. */
async function engineRecord(question: string, settings: Partial<BudgetForcingSettings>) {
  const prompt = await backend.renderChat([{ role: "user", content: question }]);
  return generateWithBudget(backend, prompt, {
    ...DEFAULT_BUDGET_FORCING,
    thinkingFormat: M1_THINKING_FORMAT,
    ...settings,
  });
}

interface M1Choice {
  m1: GenerationRecord & { inserted_tokens: number; seed: number };
  message: { content: string; reasoning_content?: string; reasoning?: string };
}

function m1Choice(reply: { choices: unknown[] }, index = 0): M1Choice {
  return reply.choices[index] as M1Choice;
}

function withoutServeFields(record: M1Choice["m1"]): GenerationRecord {
  const { inserted_tokens: _inserted, seed: _seed, ...engine } = record;
  return engine;
}

describe("chat completions on the smoke model", () => {
  it("answers in content, thinks in reasoning_content, and carries the engine's own record", async () => {
    const reply = await ask(LONG, { thinking_budget: 48, max_completion_tokens: 16 });
    const record = await engineRecord(LONG, { thinkingBudget: 48, answerBudget: 16 });
    const choice = m1Choice(reply);

    expect(withoutServeFields(choice.m1)).toEqual(record);
    expect(record.thinking_finish_reason).toBe("length");
    expect(choice.message.reasoning_content).toBe(record.thinking_text);
    expect(choice.message.reasoning).toBe(record.thinking_text);
    // The forced answer prefix is protocol: only m1.response_text keeps it.
    const prefix = "<|im_start|>answer\nFinal Answer:";
    expect(record.response_text.startsWith(prefix)).toBe(true);
    expect(choice.message.content).toBe(record.response_text.slice(prefix.length).trimStart());
    expect(choice.message.content).not.toContain("Final Answer:");
    expect(reply.usage).toMatchObject({
      prompt_tokens: record.prompt_tokens,
      completion_tokens: record.num_gen_tokens,
      completion_tokens_details: { reasoning_tokens: 48 },
    });
    expect(choice.m1.inserted_tokens).toBe(
      record.num_gen_tokens - record.thinking_tokens - record.answer_tokens,
    );
    expect((reply as unknown as { m1: Record<string, unknown> }).m1).toMatchObject({
      thinking_budget: 48,
      max_completion_tokens: 16,
      thinking: true,
    });
  });

  it("never thinks past thinking_budget, and reaches it exactly when the budget ends thinking", async () => {
    for (const budget of [1, 7, 33]) {
      const reply = await ask(LONG, { thinking_budget: budget, max_completion_tokens: 4 });
      expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBe(budget);
      expect(m1Choice(reply).m1.thinking_finish_reason).toBe("length");
    }
    const short = await ask(SHORT, { thinking_budget: 200, max_completion_tokens: 4 });
    expect(m1Choice(short).m1.thinking_finish_reason).toBe("stop");
    expect(short.usage!.completion_tokens_details!.reasoning_tokens).toBeLessThan(200);
  });

  it("runs Wait rounds when thinking stops early, as the engine does", async () => {
    const reply = await ask(SHORT, {
      thinking_budget: 200,
      wait_rounds: 2,
      max_completion_tokens: 8,
    });
    const record = await engineRecord(SHORT, {
      thinkingBudget: 200,
      waitRounds: 2,
      answerBudget: 8,
    });
    const choice = m1Choice(reply);
    expect(withoutServeFields(choice.m1)).toEqual(record);
    expect(record.num_keep_think_below_budget).toBeGreaterThanOrEqual(1);
    expect(choice.message.reasoning_content).toContain("Wait");
    expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBeLessThanOrEqual(200);
  });

  it("keeps thinking up to min_thinking_tokens", async () => {
    const plain = await ask(SHORT, { thinking_budget: 200, max_completion_tokens: 4 });
    const plainThinking = plain.usage!.completion_tokens_details!.reasoning_tokens!;
    expect(plainThinking).toBeLessThan(60);
    const reply = await ask(SHORT, {
      thinking_budget: 200,
      min_thinking_tokens: 60,
      max_completion_tokens: 4,
    });
    expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThanOrEqual(60);
  });

  it("maps reasoning_effort to the configured budgets, also under extra_body", async () => {
    for (const [effort, budget] of Object.entries(CONFIG.reasoning_effort_budgets)) {
      const reply = await ask(LONG, { reasoning_effort: effort, max_completion_tokens: 4 });
      expect((reply as unknown as { m1: { thinking_budget: number } }).m1.thinking_budget).toBe(
        budget,
      );
      expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBe(budget);
    }
    const nested = await ask(LONG, { extra_body: { reasoning_effort: "low" }, max_tokens: 4 });
    expect(nested.usage!.completion_tokens_details!.reasoning_tokens).toBe(16);
  });

  it("thinking: false runs m1's baseline: no reasoning, the whole output as content", async () => {
    const reply = await ask(LONG, { thinking: false, max_completion_tokens: 12 });
    const choice = m1Choice(reply);
    expect(choice.message.reasoning_content).toBeUndefined();
    expect(choice.m1.thinking_text).toBeNull();
    expect(choice.message.content).toBe(choice.m1.response_text);
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(12);
    expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBe(0);
  });

  it("n runs independent sequences, with seeds derived from the request's", async () => {
    const opened = watched.openedSequences;
    const reply = await ask(LONG, {
      n: 3,
      seed: 7,
      temperature: 1.5,
      thinking_budget: 24,
      max_completion_tokens: 4,
    });
    expect(watched.openedSequences - opened).toBe(3);
    expect(reply.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(reply.choices.map((_, index) => m1Choice(reply, index).m1.seed)).toEqual([7, 8, 9]);
    const thoughts = new Set(
      reply.choices.map((_, index) => m1Choice(reply, index).message.reasoning_content),
    );
    expect(thoughts.size).toBeGreaterThan(1);
    const records = reply.choices.map((_, index) => m1Choice(reply, index).m1);
    expect(reply.usage!.completion_tokens).toBe(
      records.reduce((sum, r) => sum + r.num_gen_tokens, 0),
    );
    expect(reply.usage!.prompt_tokens).toBe(records[0]!.prompt_tokens);
  });
});

describe("streaming", () => {
  it("sends the thinking as reasoning_content deltas, then content, then usage, then [DONE]", async () => {
    const body = { thinking_budget: 40, max_completion_tokens: 12, seed: 3 };
    const whole = await ask(LONG, body);
    const stream = await serve.client.chat.completions.create({
      model: "m1-test",
      messages: [{ role: "user", content: LONG }],
      stream: true,
      stream_options: { include_usage: true },
      ...body,
    });
    const kinds: string[] = [];
    let reasoning = "";
    let content = "";
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const delta = chunk.choices[0]?.delta as
        { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) {
        reasoning += delta.reasoning_content;
        kinds.push("reasoning");
      }
      if (delta?.content) {
        content += delta.content;
        kinds.push("content");
      }
    }
    expect(reasoning).toBe(m1Choice(whole).message.reasoning_content);
    expect(content).toBe(m1Choice(whole).message.content);
    // All thinking first, then all of the answer.
    expect(kinds.indexOf("content")).toBeGreaterThan(kinds.lastIndexOf("reasoning"));
    expect(usage).toEqual(whole.usage);
  });

  it("ends the raw event stream with the final chunk's record, the usage chunk and [DONE]", async () => {
    const response = await serve.post("/v1/chat/completions", {
      messages: [{ role: "user", content: SHORT }],
      stream: true,
      stream_options: { include_usage: true },
      thinking_budget: 30,
      max_completion_tokens: 6,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = sseEvents(response.text);
    expect(events.at(-1)).toBe("[DONE]");
    const usage = events.at(-2) as { choices: unknown[]; usage: { completion_tokens: number } };
    expect(usage.choices).toEqual([]);
    const final = events.at(-3) as { choices: [{ finish_reason: string; m1: GenerationRecord }] };
    expect(["stop", "length"]).toContain(final.choices[0].finish_reason);
    expect(final.choices[0].m1.num_gen_tokens).toBe(usage.usage.completion_tokens);
  });

  it("a client that disconnects cancels generation and frees its sequence", async () => {
    const controller = new AbortController();
    const opened = watched.openedSequences;
    const stream = await serve.client.chat.completions.create(
      {
        model: "m1-test",
        messages: [{ role: "user", content: LONG }],
        stream: true,
        // Minutes of thinking if nothing stopped it.
        thinking_budget: 6000,
        max_completion_tokens: 32,
      } as WithThinking<{
        model: string;
        messages: { role: "user"; content: string }[];
        stream: true;
      }>,
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _chunk of stream) {
        if (++chunks === 5) controller.abort();
      }
    } catch {
      // The client reports its own abort; what matters is what the server does.
    }
    expect(chunks).toBeGreaterThanOrEqual(5);
    const started = Date.now();
    while (watched.openSequences > 0 && Date.now() - started < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(watched.openSequences).toBe(0);
    expect(serve.served.queue.running).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(watched.openedSequences).toBe(opened + 1);
    const metrics = await (await fetch(`${serve.served.url}/metrics`)).text();
    expect(metrics).toContain('m1_serve_requests_total{endpoint="chat",status="499"} 1');
    // The slot is free at once for the next client.
    const next = await ask(SHORT, { thinking_budget: 8, max_completion_tokens: 2 });
    expect(next.choices).toHaveLength(1);
  });
});

describe("text completions, models and the AI SDK", () => {
  it("/v1/completions takes a raw prompt with the same thinking keys", async () => {
    const prompt = await backend.renderChat([{ role: "user", content: LONG }]);
    const reply = await serve.client.completions.create({
      model: "m1-test",
      prompt,
      max_tokens: 8,
      thinking_budget: 20,
    } as WithThinking<{ model: string; prompt: string; max_tokens: number }>);
    const record = await engineRecord(LONG, { thinkingBudget: 20, answerBudget: 8 });
    const choice = reply.choices[0] as unknown as {
      text: string;
      reasoning_content: string;
      m1: GenerationRecord;
    };
    expect(choice.reasoning_content).toBe(record.thinking_text);
    expect(choice.text).toBe(
      record.response_text.replace("<|im_start|>answer\nFinal Answer:", "").trimStart(),
    );
    expect(reply.usage!.completion_tokens).toBe(record.num_gen_tokens);
  });

  it("/v1/completions streams text_completion chunks that add up to the whole reply", async () => {
    const prompt = await backend.renderChat([{ role: "user", content: LONG }]);
    const body = { model: "m1-test", prompt, max_tokens: 8, thinking_budget: 20 };
    const whole = await serve.client.completions.create(
      body as WithThinking<{ model: string; prompt: string; max_tokens: number }>,
    );
    const stream = await serve.client.completions.create({
      ...body,
      stream: true,
    } as WithThinking<{ model: string; prompt: string; max_tokens: number; stream: true }>);
    let text = "";
    let reasoning = "";
    for await (const chunk of stream) {
      expect(chunk.object).toBe("text_completion");
      const choice = chunk.choices[0] as { text: string; reasoning_content?: string } | undefined;
      text += choice?.text ?? "";
      reasoning += choice?.reasoning_content ?? "";
    }
    expect(text).toBe(whole.choices[0]!.text);
    expect(reasoning).toBe(
      (whole.choices[0] as unknown as { reasoning_content: string }).reasoning_content,
    );
  });

  it("lists the served model", async () => {
    const models = await serve.client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["m1-test"]);
  });

  it("the AI SDK reads the thinking as reasoning and the answer as text", async () => {
    const provider = createOpenAICompatible({
      name: "m1",
      baseURL: serve.baseURL,
      includeUsage: true,
    });
    const options = { m1: { thinking_budget: 24 } };
    const whole = await ask(LONG, { thinking_budget: 24, max_completion_tokens: 8 });
    const result = await generateText({
      model: provider("m1-test"),
      prompt: LONG,
      maxOutputTokens: 8,
      providerOptions: options,
    });
    expect(result.reasoningText).toBe(m1Choice(whole).message.reasoning_content);
    expect(result.text).toBe(m1Choice(whole).message.content);
    expect(result.usage.outputTokenDetails.reasoningTokens).toBe(24);

    const streamed = streamText({
      model: provider("m1-test"),
      prompt: LONG,
      maxOutputTokens: 8,
      providerOptions: options,
    });
    const order: string[] = [];
    for await (const part of streamed.fullStream) {
      if (part.type === "reasoning-delta" || part.type === "text-delta") order.push(part.type);
    }
    expect(await streamed.reasoningText).toBe(result.reasoningText);
    expect(await streamed.text).toBe(result.text);
    expect(order.indexOf("text-delta")).toBeGreaterThan(order.lastIndexOf("reasoning-delta"));
  });
});

describe("under load", () => {
  let gated: WatchedBackend;
  let small: TestServe;

  beforeAll(async () => {
    gated = watchBackend(backend);
    small = await startTestServe(gated, { ...CONFIG, parallel: 1, max_queue: 1 });
  });

  afterAll(async () => {
    gated?.openGate();
    await small?.close();
  });

  const request = (question: string) =>
    small.post("/v1/chat/completions", {
      messages: [{ role: "user", content: question }],
      thinking_budget: 8,
      max_completion_tokens: 4,
    });

  it("queues beyond the slots and answers 429 with Retry-After beyond --max-queue", async () => {
    gated.closeGate();
    const running = request(SHORT);
    await gated.whenOpen(1);
    const queued = request(LONG);
    while (small.served.queue.waiting < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await request(SHORT);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.json).toMatchObject({ error: { type: "rate_limit_error", code: "queue_full" } });
    gated.openGate();
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it("shuts down gracefully: in-flight requests finish, new ones get 503", async () => {
    gated.closeGate();
    const inFlight = small.post("/v1/chat/completions", {
      messages: [{ role: "user", content: SHORT }],
      stream: true,
      thinking_budget: 8,
      max_completion_tokens: 4,
    });
    await gated.whenOpen(1);
    const stopped = small.served.shutdown();
    const late = await request(SHORT);
    expect(late.status).toBe(503);
    expect(late.json).toMatchObject({ error: { code: "shutting_down" } });
    expect((await fetch(`${small.served.url}/health`)).status).toBe(503);
    gated.openGate();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(sseEvents(finished.text).at(-1)).toBe("[DONE]");
    await stopped;
    await expect(fetch(`${small.served.url}/health`)).rejects.toThrow();
  });
});
