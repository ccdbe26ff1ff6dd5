import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptedBackend } from "../support/scripted-backend.js";
import { startTestServe, type TestServe } from "./support.js";

/**
 * Every bad request gets one OpenAI-shaped error naming the parameter, with the right status and
 * a fix, and the server goes on serving. The model is the scripted test backend: these are about
 * the gateway, not the model.
 */

const MODEL = (text: string) =>
  text.endsWith("answer") || text.endsWith("Final Answer:")
    ? "\nVitamin C.<|im_end|>"
    : "Scurvy is vitamin C deficiency.<|im_start|>answer";
const QUESTION = [{ role: "user", content: "Which vitamin deficiency causes scurvy?" }];
const CONTEXT_SIZE = 300;

let serve: TestServe;

beforeAll(async () => {
  // A model that holds CONTEXT_SIZE tokens per sequence, as the embedded engine's context says.
  const backend = Object.assign(createScriptedBackend(MODEL), {
    contextLimit: { tokens: CONTEXT_SIZE, source: "context_size", raise: "raise --context-size" },
  });
  serve = await startTestServe(backend, {
    max_body_bytes: 4096,
    thinking_budget: 100,
    max_completion_tokens: 50,
  });
});

afterAll(async () => {
  await serve?.close();
});

interface BadCase {
  name: string;
  body: unknown;
  path?: string;
  status: number;
  param: string | null;
  code?: string;
  /** Words the message must hold (the problem and the fix). */
  says: string[];
}

const chat = (extra: Record<string, unknown>) => ({ messages: QUESTION, ...extra });

const CASES: BadCase[] = [
  {
    name: "thinking_budget 0",
    body: chat({ thinking_budget: 0 }),
    status: 400,
    param: "thinking_budget",
    says: ["0 is not a whole number above 0", '(fix: use e.g. "thinking_budget": 1024)'],
  },
  {
    name: "negative thinking_budget",
    body: chat({ thinking_budget: -5 }),
    status: 400,
    param: "thinking_budget",
    says: ["-5 is not a whole number above 0"],
  },
  {
    name: "thinking_budget not an integer",
    body: chat({ thinking_budget: 10.5 }),
    status: 400,
    param: "thinking_budget",
    says: ["10.5 is not a whole number"],
  },
  {
    name: "thinking_budget as text",
    body: chat({ thinking_budget: "lots" }),
    status: 400,
    param: "thinking_budget",
    says: ['"lots" is not a whole number'],
  },
  {
    name: "thinking_budget above the context",
    body: chat({ thinking_budget: 5000 }),
    status: 400,
    param: "thinking_budget",
    says: ["thinking_budget: 5000 needs up to", "thinking 5000", `holds ${CONTEXT_SIZE}`],
  },
  {
    name: "thinking_budget that fits alone but not with the prompt and answer",
    body: chat({ thinking_budget: 250, max_completion_tokens: 40 }),
    status: 400,
    param: "thinking_budget",
    says: ["thinking 250", "answer 40", `holds ${CONTEXT_SIZE}`, "lower thinking_budget to"],
  },
  {
    name: "max_completion_tokens above the context without thinking",
    body: chat({ thinking: false, max_completion_tokens: 400 }),
    status: 400,
    param: "max_completion_tokens",
    says: ["max_completion_tokens: 400 needs up to", `holds ${CONTEXT_SIZE}`],
  },
  {
    name: "a raw prompt whose thinking_budget cannot fit",
    path: "/v1/completions",
    body: { prompt: "Which vitamin?", thinking_budget: 290 },
    status: 400,
    param: "thinking_budget",
    says: ["thinking 290", `holds ${CONTEXT_SIZE}`],
  },
  {
    name: "unknown reasoning_effort",
    body: chat({ reasoning_effort: "extreme" }),
    status: 400,
    param: "reasoning_effort",
    says: ['"extreme" is not one of low, medium, high'],
  },
  {
    name: "thinking_budget and reasoning_effort together",
    body: chat({ thinking_budget: 100, reasoning_effort: "low" }),
    status: 400,
    param: "reasoning_effort",
    says: ["both set the thinking budget"],
  },
  {
    name: "wait_rounds of the wrong type",
    body: chat({ wait_rounds: "two" }),
    status: 400,
    param: "wait_rounds",
    says: ['"two" is not a whole number of at least 0'],
  },
  {
    name: "Wait rounds with an empty wait_text",
    body: chat({ wait_rounds: 1, wait_text: "" }),
    status: 400,
    param: "wait_text",
    says: ["is empty, but wait_rounds asks for 1"],
  },
  {
    name: "min_thinking_tokens above the budget",
    body: chat({ thinking_budget: 20, min_thinking_tokens: 50 }),
    status: 400,
    param: "min_thinking_tokens",
    says: ["50 is above the thinking budget of 20"],
  },
  {
    name: "thinking not a boolean",
    body: chat({ thinking: "no" }),
    status: 400,
    param: "thinking",
    says: ['"no" is not true or false'],
  },
  {
    name: "a bad key under extra_body",
    body: chat({ extra_body: { thinking_budget: 1.5 } }),
    status: 400,
    param: "extra_body.thinking_budget",
    says: ["1.5 is not a whole number above 0"],
  },
  {
    name: "a typo under extra_body",
    body: chat({ extra_body: { wait_round: 1 } }),
    status: 400,
    param: "extra_body.wait_round",
    code: "unknown_parameter",
    says: ["did you mean 'wait_rounds'?"],
  },
  {
    name: "a typo of a thinking key at the top level",
    body: chat({ thinking_budgt: 100 }),
    status: 400,
    param: "thinking_budgt",
    code: "unknown_parameter",
    says: ["did you mean 'thinking_budget'?"],
  },
  {
    name: "a key given twice with different values",
    body: chat({ wait_rounds: 1, extra_body: { wait_rounds: 2 } }),
    status: 400,
    param: "wait_rounds",
    says: ["given twice"],
  },
  {
    name: "missing messages",
    body: { thinking_budget: 100 },
    status: 400,
    param: "messages",
    code: "missing_required_parameter",
    says: ["messages is missing", "(fix: add e.g. "],
  },
  {
    name: "empty messages",
    body: { messages: [] },
    status: 400,
    param: "messages",
    says: ["[] is not a non-empty list"],
  },
  {
    name: "messages as text",
    body: { messages: "hello" },
    status: 400,
    param: "messages",
    says: ['"hello" is not a non-empty list'],
  },
  {
    name: "an unknown role",
    body: { messages: [{ role: "tool", content: "42" }] },
    status: 400,
    param: "messages[0].role",
    says: ['"tool" is not one of system, developer, user, assistant'],
  },
  {
    name: "an image part",
    body: {
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }],
    },
    status: 400,
    param: "messages[0].content",
    says: ["images and audio are not supported"],
  },
  {
    name: "temperature out of range",
    body: chat({ temperature: -1 }),
    status: 400,
    param: "temperature",
    says: ["-1 is not a number of at least 0"],
  },
  {
    name: "n of 0",
    body: chat({ n: 0 }),
    status: 400,
    param: "n",
    says: ["0 is not a whole number from 1 to 128"],
  },
  {
    name: "max_tokens and max_completion_tokens that differ",
    body: chat({ max_tokens: 10, max_completion_tokens: 20 }),
    status: 400,
    param: "max_tokens",
    says: ["differ"],
  },
  {
    name: "tools",
    body: chat({ tools: [{ type: "function", function: { name: "f" } }] }),
    status: 400,
    param: "tools",
    code: "unsupported_parameter",
    says: ["tools is not supported"],
  },
  {
    name: "logprobs",
    body: chat({ logprobs: true }),
    status: 400,
    param: "logprobs",
    code: "unsupported_parameter",
    says: ["logprobs is not supported"],
  },
  {
    name: "a model that is not served",
    body: chat({ model: "gpt-4o" }),
    status: 404,
    param: "model",
    code: "model_not_found",
    says: ["'gpt-4o' is not served here", '"model": "m1-test"'],
  },
  {
    name: "a body that is not JSON",
    body: '{"messages": [',
    status: 400,
    param: null,
    code: "invalid_json",
    says: ["the body is not valid JSON"],
  },
  {
    name: "a body that is not an object",
    body: "[1, 2]",
    status: 400,
    param: null,
    says: ["the body must be a JSON object"],
  },
  {
    name: "an oversize body",
    body: chat({ user: "x".repeat(5000) }),
    status: 413,
    param: null,
    code: "request_too_large",
    says: ["larger than 4096 bytes", "--max-body-bytes"],
  },
  {
    name: "a completion without a prompt",
    path: "/v1/completions",
    body: { max_tokens: 5 },
    status: 400,
    param: "prompt",
    says: ["prompt is missing"],
  },
  {
    name: "an unknown endpoint",
    path: "/v1/embeddings",
    body: { input: "x" },
    status: 404,
    param: null,
    code: "unknown_url",
    says: ["no endpoint POST /v1/embeddings"],
  },
];

describe("bad requests", () => {
  it.each(CASES)("$name: $status naming the parameter", async (badCase) => {
    const response = await serve.post(badCase.path ?? "/v1/chat/completions", badCase.body);
    expect(response.status).toBe(badCase.status);
    const { error } = response.json as {
      error: { message: string; type: string; param: string | null; code: string | null };
    };
    expect(error.param).toBe(badCase.param);
    if (badCase.code) expect(error.code).toBe(badCase.code);
    expect(typeof error.type).toBe("string");
    for (const words of badCase.says) expect(error.message).toContain(words);
    // One line, always with the fix.
    expect(error.message).not.toContain("\n");
    if (badCase.status !== 404 || badCase.param) expect(error.message).toContain("(fix: ");
  });

  it("keeps serving after every bad request, and counts them in /metrics", async () => {
    const reply = await serve.client.chat.completions.create({
      model: "m1-test",
      messages: [{ role: "user", content: "Which vitamin deficiency causes scurvy?" }],
    });
    expect(reply.choices[0]!.message.content).toBe("Vitamin C.");
    const metrics = await (await fetch(`${serve.served.url}/metrics`)).text();
    const badChats = CASES.filter((c) => !c.path && c.status === 400).length;
    expect(metrics).toContain(`m1_serve_requests_total{endpoint="chat",status="400"} ${badChats}`);
    expect(metrics).toContain('m1_serve_requests_total{endpoint="chat",status="200"} 1');
  });

  it("the official client raises its typed errors with our message", async () => {
    const failing = serve.client.chat.completions.create({
      model: "m1-test",
      messages: [{ role: "user", content: "x" }],
      // @ts-expect-error m1's thinking keys are not in the client's types
      thinking_budget: 0,
    });
    await expect(failing).rejects.toMatchObject({
      status: 400,
      param: "thinking_budget",
      message: expect.stringContaining("0 is not a whole number above 0"),
    });
    await expect(
      serve.client.chat.completions.create({ model: "nope", messages: [] }),
    ).rejects.toMatchObject({ status: 400, param: "messages" });
  });
});

describe("API key", () => {
  let locked: TestServe;

  beforeAll(async () => {
    locked = await startTestServe(createScriptedBackend(MODEL), { api_key: "s3cret-key" });
  });

  afterAll(async () => {
    await locked?.close();
  });

  it("refuses requests without the key or with another one (401), and takes the right one", async () => {
    const none = await locked.post("/v1/chat/completions", chat({}));
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({
      error: { type: "authentication_error", code: "invalid_api_key" },
    });
    const wrong = await locked.post("/v1/chat/completions", chat({}), {
      authorization: "Bearer s3cret-kez",
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${locked.served.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${locked.served.url}/metrics`)).status).toBe(401);
    // Load balancers probe /health without credentials.
    expect((await fetch(`${locked.served.url}/health`)).status).toBe(200);

    const reply = await locked.client.chat.completions.create({
      model: "m1-test",
      messages: [{ role: "user", content: "Scurvy?" }],
    });
    expect(reply.choices[0]!.message.content).toBe("Vitamin C.");
    const wrongClient = locked.client.withOptions({ apiKey: "other" });
    await expect(
      wrongClient.chat.completions.create({ model: "m1-test", messages: QUESTION as never }),
    ).rejects.toMatchObject({ status: 401 });
  });
});
