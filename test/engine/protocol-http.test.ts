import { afterEach, describe, expect, it } from "vitest";
import { qwen25ChatTemplate } from "../../src/backends/openai/index.js";
import { DEFAULT_BUDGET_FORCING } from "../../src/engine/generation-settings.js";
import { generateWithBudget, type BudgetForcingSettings } from "../../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import type { GenerationRecord } from "../../src/engine/record.js";
import { BackendCallError, BackendSetupError } from "../../src/errors.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { Cleanup, backendFor, scriptBySuffix } from "../fixtures/openai/harness.js";

/**
 * The m1 protocol when the HTTP side misbehaves: retried failures leave the record exactly as a
 * clean run would, real errors surface with the server's words, and several servers share work.
 */

const RENDERED = qwen25ChatTemplate().render([{ role: "user", content: "Scurvy?\nA. A\nB. C" }]);
const THINK_PROMPT = `${RENDERED}<|im_start|>think\n`;
const SETTINGS: BudgetForcingSettings = {
  ...DEFAULT_BUDGET_FORCING,
  thinkingFormat: M1_THINKING_FORMAT,
  thinkingBudget: 100,
  answerBudget: 50,
};
const MODEL = scriptBySuffix({
  "<|im_start|>think\n": "Vitamin C.<|im_start|>",
  "<|im_start|>answer": "\nB<|im_end|>",
});
const CLEAN_RECORD: Partial<GenerationRecord> = {
  thinking_text: "Vitamin C.\n",
  response_text: "<|im_start|>answer\nB",
  num_gen_tokens: 4 + 1 + 2 + 3,
};

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function fakeServer(): Promise<FakeOpenAIServer> {
  return cleanup.add(await startFakeOpenAIServer({ model: MODEL }));
}

describe("retries and errors", () => {
  it("retries 429 (after Retry-After) and 500, resending the same prompt, and the record is unchanged", async () => {
    const server = await fakeServer();
    const backend = cleanup.add(await backendFor(server));
    server.failNext({ status: 429, retryAfter: "0.3" });
    server.failNext({ status: 500 });
    const started = Date.now();
    const record = await generateWithBudget(backend, RENDERED, SETTINGS);

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(record).toMatchObject(CLEAN_RECORD);
    const prompts = server.completionRequests().map((request) => request.prompt);
    expect(prompts).toEqual([
      THINK_PROMPT,
      THINK_PROMPT,
      THINK_PROMPT,
      `${THINK_PROMPT}Vitamin C.\n<|im_start|>answer`,
    ]);
  });

  it("retries a request that timed out", async () => {
    const server = await fakeServer();
    const backend = cleanup.add(await backendFor(server, { requestTimeoutMs: 200 }));
    server.failNext({ delayMs: 600 });
    const record = await generateWithBudget(backend, RENDERED, SETTINGS);
    expect(record).toMatchObject(CLEAN_RECORD);
    expect(server.completionRequests()).toHaveLength(3);
  });

  it("retries a dropped connection", async () => {
    const server = await fakeServer();
    const backend = cleanup.add(await backendFor(server));
    server.failNext({ drop: true });
    expect(await generateWithBudget(backend, RENDERED, SETTINGS)).toMatchObject(CLEAN_RECORD);
  });

  it("gives up after the configured retries with the last error", async () => {
    const server = await fakeServer();
    const backend = cleanup.add(await backendFor(server));
    server.failNext({ status: 503 }, 4);
    const failure = await generateWithBudget(backend, RENDERED, SETTINGS).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BackendCallError);
    expect((failure as BackendCallError).message).toMatch(
      /failed with 503: injected failure 503 \(gave up after 4 attempts\)/,
    );
    expect(server.completionRequests()).toHaveLength(4);
  });

  it("fails at once on a 400 with the server's explanation", async () => {
    const server = cleanup.add(await startFakeOpenAIServer({ model: MODEL, maxModelLen: 60 }));
    const backend = cleanup.add(await backendFor(server));
    const failure = await generateWithBudget(backend, RENDERED, SETTINGS).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(BackendCallError);
    const error = failure as BackendCallError;
    expect(error.status).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain(
      "/v1/completions failed with 400: This model's maximum context length is 60 tokens",
    );
    expect(server.completionRequests()).toHaveLength(1);
  });
});

describe("setting up", () => {
  it("reports an unreachable server as a setup error naming the URL and the fix", async () => {
    const server = await fakeServer();
    const url = server.baseUrl;
    await server.close();
    const failure = await backendFor(server).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(BackendSetupError);
    const message = (failure as BackendSetupError).message;
    expect(message).toContain(`cannot reach the OpenAI-compatible server at ${url}`);
    expect(message).toContain("ECONNREFUSED");
    expect(message).toContain("(fix: start the server");
    expect(message).not.toContain("\n");
  });

  it("asks for --tokenizer when the server has no /tokenize and none was given", async () => {
    const server = cleanup.add(await startFakeOpenAIServer({ model: MODEL, tokenize: "none" }));
    const failure = await backendFor(server).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(BackendSetupError);
    expect((failure as Error).message).toBe(
      `the server at ${server.url} has no /tokenize endpoint, and m1 must count the tokens of the text it inserts (Wait, answer prefixes) (fix: pass the model's tokenizer.json, the model folder holding it, or its .gguf file (--tokenizer; tokenizer_path in m1 eval))`,
    );
  });
});

describe("several servers", () => {
  it("spreads sequences round robin, keeping each sequence on one server", async () => {
    const first = await fakeServer();
    const second = await fakeServer();
    const backend = cleanup.add(await backendFor([first, second]));
    await Promise.all([0, 1, 2, 3].map(() => generateWithBudget(backend, RENDERED, SETTINGS)));

    // 4 sequences x 2 calls, 2 sequences per server, both calls of a sequence on the same server.
    for (const server of [first, second]) {
      const prompts = server.completionRequests().map((request) => request.prompt);
      expect(prompts.filter((prompt) => prompt === THINK_PROMPT)).toHaveLength(2);
      expect(prompts.filter((prompt) => prompt.endsWith("<|im_start|>answer"))).toHaveLength(2);
    }
  });

  it("sends no work to a server that is down at start-up, and says so", async () => {
    const down = await fakeServer();
    const up = await fakeServer();
    await down.close();
    const backend = cleanup.add(await backendFor([down, up]));

    expect(
      backend.warnings.some((warning) => warning.startsWith(`${down.baseUrl} is not answering`)),
    ).toBe(true);
    const records = await Promise.all(
      [0, 1, 2].map(() => generateWithBudget(backend, RENDERED, SETTINGS)),
    );
    for (const record of records) expect(record).toMatchObject(CLEAN_RECORD);
    expect(up.completionRequests()).toHaveLength(6);
  });

  it("moves a sequence to another server when its server goes down mid-question", async () => {
    const first = await fakeServer();
    const second = await fakeServer();
    const backend = cleanup.add(await backendFor([first, second]));
    // The sequence starts on `first`, which answers the thinking call and dies before the answer.
    let closing: Promise<void> | undefined;
    const record = await generateWithBudget(backend, RENDERED, SETTINGS, {
      onEvent: (event) => {
        if (event.type === "inserted" && event.reason === "answer-prefix") closing = first.close();
      },
    });
    await closing;

    expect(record).toMatchObject(CLEAN_RECORD);
    expect(first.completionRequests().map((request) => request.prompt)).toEqual([THINK_PROMPT]);
    expect(second.completionRequests().map((request) => request.prompt)).toEqual([
      `${THINK_PROMPT}Vitamin C.\n<|im_start|>answer`,
    ]);
  });
});
