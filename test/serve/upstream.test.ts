import { afterEach, describe, expect, it } from "vitest";
import { openBackend } from "../../src/backends/factory.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { Cleanup, scriptBySuffix } from "../fixtures/openai/harness.js";
import { sseEvents, startTestServe, type TestServe } from "./support.js";

/**
 * `m1 serve --base-url`: thinking control in front of another OpenAI-compatible server (here the
 * fake one, in vLLM's dialect). The upstream sees m1's protocol (raw completions that grow by
 * exactly the inserted text); the client sees reasoning and answer apart.
 */

const THINK = "<|im_start|>think\n";
const MODEL = scriptBySuffix({
  [THINK]: "Scurvy comes from a lack of vitamin C.<|im_start|>",
  Wait: " Yes, vitamin C.<|im_end|>",
  "<|im_start|>answer": "\nThe answer is B.\n\nExplanation follows.<|im_end|>",
  "Final Answer:": " B<|im_end|>",
});

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function serveInFront(
  fake: FakeOpenAIServer,
  config: Record<string, unknown> = {},
): Promise<TestServe> {
  const opened = await openBackend({
    kind: "openai",
    baseUrls: [fake.baseUrl],
    retries: 1,
    requestTimeoutSeconds: 5,
  });
  cleanup.add(opened.backend);
  return cleanup.add(await startTestServe(opened.backend, config, { modelName: opened.modelName }));
}

async function fakeServer(): Promise<FakeOpenAIServer> {
  return cleanup.add(await startFakeOpenAIServer({ model: MODEL }));
}

const QUESTION = [{ role: "user" as const, content: "Which vitamin deficiency causes scurvy?" }];

describe("m1 serve in front of an OpenAI-compatible server", () => {
  it("splits the upstream's raw completions into reasoning_content and content", async () => {
    const fake = await fakeServer();
    const serve = await serveInFront(fake);
    const reply = await serve.client.chat.completions.create({
      model: "fake-m1",
      messages: QUESTION,
      max_completion_tokens: 20,
      stop: ["\n\n"],
      // @ts-expect-error m1's keys
      thinking_budget: 64,
    });
    const message = reply.choices[0]!.message as { content: string; reasoning_content?: string };
    expect(message.reasoning_content).toBe("Scurvy comes from a lack of vitamin C.\n");
    expect(message.content).toBe("The answer is B.");
    const [think, answer] = fake.completionRequests();
    expect(think!.prompt.endsWith(THINK)).toBe(true);
    expect(think!.max_tokens).toBe(64);
    expect(think!.stop).toEqual(["<|im_end|>", "<|im_start|>"]);
    expect(answer!.prompt).toBe(
      `${think!.prompt}Scurvy comes from a lack of vitamin C.\n<|im_start|>answer`,
    );
    expect(answer!.max_tokens).toBe(20);
    // The client's stop ends the answer, never thinking.
    expect(answer!.stop).toEqual(["<|im_end|>", "<|im_start|>", "\n\n"]);
    expect(reply.usage!.completion_tokens_details!.reasoning_tokens).toBeLessThanOrEqual(64);
  });

  it("cuts thinking at the budget and answers after Final Answer:, streamed", async () => {
    const fake = await fakeServer();
    const serve = await serveInFront(fake);
    const response = await serve.post("/v1/chat/completions", {
      model: "fake-m1",
      messages: QUESTION,
      stream: true,
      stream_options: { include_usage: true },
      thinking_budget: 5,
      max_completion_tokens: 10,
    });
    const events = sseEvents(response.text) as {
      choices?: { delta?: { content?: string; reasoning_content?: string } }[];
      usage?: { completion_tokens_details: { reasoning_tokens: number } };
    }[];
    const reasoning = events.map((event) => event.choices?.[0]?.delta?.reasoning_content ?? "");
    const content = events.map((event) => event.choices?.[0]?.delta?.content ?? "");
    const final = events.at(-3) as unknown as {
      choices: [{ m1: { thinking_text: string; thinking_finish_reason: string } }];
    };
    expect(final.choices[0].m1.thinking_finish_reason).toBe("length");
    expect(reasoning.join("")).toBe(final.choices[0].m1.thinking_text);
    expect(reasoning.join("")).not.toContain("vitamin C.");
    expect(content.join("")).toBe("B");
    expect(events.at(-2)!.usage!.completion_tokens_details.reasoning_tokens).toBe(5);
    expect(
      fake.completionRequests()[1]!.prompt.endsWith("\n<|im_start|>answer\nFinal Answer:"),
    ).toBe(true);
  });

  it("runs Wait rounds and minimum thinking over HTTP", async () => {
    const fake = await fakeServer();
    const serve = await serveInFront(fake, { wait_rounds: 1 });
    const reply = await serve.client.chat.completions.create({
      model: "fake-m1",
      messages: QUESTION,
      // @ts-expect-error m1's keys
      thinking_budget: 200,
    });
    const choice = reply.choices[0] as unknown as {
      message: { reasoning_content: string };
      m1: { num_keep_think_below_budget: number };
    };
    expect(choice.m1.num_keep_think_below_budget).toBe(1);
    expect(choice.message.reasoning_content).toBe(
      "Scurvy comes from a lack of vitamin C.Wait Yes, vitamin C.\n",
    );

    const longer = await serve.client.chat.completions.create({
      model: "fake-m1",
      messages: QUESTION,
      // @ts-expect-error m1's keys
      thinking_budget: 200,
      wait_rounds: 0,
      min_thinking_tokens: 12,
    });
    const record = (
      longer.choices[0] as unknown as {
        m1: { num_min_thinking_waits: number; thinking_tokens: number };
      }
    ).m1;
    expect(record.num_min_thinking_waits).toBeGreaterThanOrEqual(1);
    expect(record.thinking_tokens).toBeGreaterThanOrEqual(12);
  });

  it("names the upstream's model, and reports an upstream that fails as 502 with its words", async () => {
    const fake = await fakeServer();
    const serve = await serveInFront(fake);
    const models = await serve.client.models.list();
    expect(models.data[0]!.id).toBe("fake-m1");

    // The first try and its one retry (retries: 1) both fail.
    fake.failNext({ status: 500 }, 2);
    const failed = await serve.post("/v1/chat/completions", {
      messages: QUESTION,
      thinking_budget: 8,
    });
    expect(failed.status).toBe(502);
    expect(failed.json).toMatchObject({ error: { type: "server_error", code: "upstream_error" } });
    expect((failed.json as { error: { message: string } }).error.message).toContain("500");
    // Still serving.
    const reply = await serve.post("/v1/chat/completions", {
      messages: QUESTION,
      thinking_budget: 8,
    });
    expect(reply.status).toBe(200);
  });

  it("refuses a budget the upstream's max_model_len cannot hold (400 naming it), before calling it", async () => {
    const fake = cleanup.add(await startFakeOpenAIServer({ model: MODEL, maxModelLen: 512 }));
    const serve = await serveInFront(fake, { thinking_budget: 64, max_completion_tokens: 64 });
    const failing = serve.client.chat.completions.create({
      model: "fake-m1",
      messages: QUESTION,
      // @ts-expect-error m1's thinking keys are not in the client's types
      thinking_budget: 1000,
    });
    await expect(failing).rejects.toMatchObject({
      status: 400,
      param: "thinking_budget",
      message: expect.stringMatching(/thinking 1000 .*answer 64\), but fake-m1 holds 512/),
    });
    expect(fake.completionRequests()).toHaveLength(0);
    const reply = await serve.post("/v1/chat/completions", {
      messages: QUESTION,
      thinking_budget: 8,
    });
    expect(reply.status).toBe(200);
  });
});
