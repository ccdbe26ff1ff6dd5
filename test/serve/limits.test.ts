import { afterEach, describe, expect, it } from "vitest";
import { createScriptedBackend } from "../support/scripted-backend.js";
import { sseEvents, startTestServe, watchBackend, type TestServe } from "./support.js";

/** Timeouts, whole-request admission and the metrics, on the scripted backend. */

const MODEL = (text: string) =>
  text.endsWith("answer") || text.endsWith("Final Answer:")
    ? "\nVitamin C.<|im_end|>"
    : "Scurvy is vitamin C deficiency.<|im_start|>answer";
const QUESTION = {
  messages: [{ role: "user", content: "Which vitamin deficiency causes scurvy?" }],
};

const started: TestServe[] = [];
afterEach(async () => {
  for (const serve of started.splice(0)) await serve.close();
});

async function serveOn(...args: Parameters<typeof startTestServe>): Promise<TestServe> {
  const serve = await startTestServe(...args);
  started.push(serve);
  return serve;
}

describe("limits", () => {
  it("cancels a request past --request-timeout (504), streamed or not, and frees its sequence", async () => {
    const backend = watchBackend(createScriptedBackend(MODEL));
    const serve = await serveOn(backend, { request_timeout: 0.3 });
    backend.closeGate();
    const plain = await serve.post("/v1/chat/completions", QUESTION);
    expect(plain.status).toBe(504);
    expect(plain.json).toMatchObject({
      error: { type: "server_error", code: "timeout", message: expect.stringContaining("0.3 s") },
    });

    const streamed = await serve.post("/v1/chat/completions", { ...QUESTION, stream: true });
    expect(streamed.status).toBe(200);
    const events = sseEvents(streamed.text);
    expect(events.at(-1)).toMatchObject({ error: { code: "timeout" } });
    expect(events).not.toContain("[DONE]");
    backend.openGate();
    expect(backend.openSequences).toBe(0);
    expect(serve.served.queue.running).toBe(0);
  });

  it("admits all choices of a request or none, and refuses n no queue could hold", async () => {
    const backend = watchBackend(createScriptedBackend(MODEL));
    const serve = await serveOn(backend, { parallel: 2, max_queue: 2 });
    backend.closeGate();
    const first = serve.post("/v1/chat/completions", { ...QUESTION, n: 3 });
    await backend.whenOpen(2);
    expect(serve.served.queue.waiting).toBe(1);
    // Two more choices would make three waiting: refused whole, nothing queued.
    const refused = await serve.post("/v1/chat/completions", { ...QUESTION, n: 2 });
    expect(refused.status).toBe(429);
    expect(serve.served.queue.waiting).toBe(1);
    const tooMany = await serve.post("/v1/chat/completions", { ...QUESTION, n: 5 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ error: { param: "n" } });
    backend.openGate();
    const reply = (await first).json as { choices: unknown[] };
    expect(reply.choices).toHaveLength(3);
  });

  it("lets the configured web origins call it from a browser (CORS), others not", async () => {
    const serve = await serveOn(createScriptedBackend(MODEL), {
      api_key: "k",
      cors_origins: ["http://localhost:3000"],
    });
    const preflight = await fetch(`${serve.baseURL}/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const call = await serve.post("/v1/chat/completions", QUESTION, {
      origin: "http://localhost:3000",
      authorization: "Bearer k",
    });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const other = await serve.post("/v1/chat/completions", QUESTION, {
      origin: "http://evil.example",
      authorization: "Bearer k",
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("counts requests, tokens, thinking tokens and latency in /metrics", async () => {
    const serve = await serveOn(createScriptedBackend(MODEL));
    const reply = await serve.client.chat.completions.create({
      model: "m1-test",
      messages: QUESTION.messages as never,
    });
    const usage = reply.usage!;
    const response = await fetch(`${serve.served.url}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const metrics = await response.text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metrics)?.[1]);
    expect(value("m1_serve_prompt_tokens_total")).toBe(usage.prompt_tokens);
    expect(value("m1_serve_completion_tokens_total")).toBe(usage.completion_tokens);
    expect(value("m1_serve_reasoning_tokens_total")).toBe(
      usage.completion_tokens_details!.reasoning_tokens,
    );
    expect(metrics).toContain('m1_serve_requests_total{endpoint="chat",status="200"} 1');
    expect(metrics).toContain(
      'm1_serve_request_duration_seconds_count{endpoint="chat",stream="false"} 1',
    );
    expect(value("m1_serve_queue_depth")).toBe(0);
    expect(value("m1_serve_slots")).toBe(64);
    expect(metrics).toContain("m1_serve_process_cpu_seconds_total");
  });
});
