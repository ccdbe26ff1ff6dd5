import { afterEach, describe, expect, it } from "vitest";
import { compileChatTemplate } from "../../src/backends/chat-template.js";
import type { GenerateRequest } from "../../src/backends/types.js";
import { BackendSetupError, CancelledError } from "../../src/errors.js";
import { retryNotices } from "../../src/net/index.js";
import type { TokenCounter } from "../../src/tokenizers/index.js";
import {
  startFakeOpenAIServer,
  type FakeOpenAIServerOptions,
} from "../fixtures/fake-openai-server.js";
import { Cleanup, backendFor } from "../fixtures/openai/harness.js";
import { toyTokenCount } from "../fixtures/openai/toy-tokenizer.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const GREEDY: GenerateRequest["sampling"] = { temperature: 0, seed: 42, frequencyPenalty: 0 };
const M1_STOPS = ["<|im_end|>", "<|im_start|>"];

async function start(options: FakeOpenAIServerOptions = {}) {
  return cleanup.add(await startFakeOpenAIServer(options));
}

/** A counter on the toy tokenizer that records what it was asked. */
function toyCounter(asked: string[] = []): TokenCounter {
  return {
    description: "toy",
    async countTokens(text) {
      asked.push(text);
      return toyTokenCount(text);
    },
    async close() {},
  };
}

describe("start-up", () => {
  it("uses the first served model, describes itself, and warns that it fell back to Qwen2.5's template", async () => {
    const server = await start({ modelName: "m1-7b-23k" });
    const backend = cleanup.add(await backendFor(server));

    expect(backend.description).toBe(`openai: ${server.baseUrl} (m1-7b-23k)`);
    expect(backend.warnings).toEqual([
      "no chat template given: using Qwen2.5's ChatML template with its default system prompt (m1's models); pass --chat-template for other models",
    ]);
    expect(await backend.renderChat([{ role: "user", content: "Q" }])).toBe(
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("renders with the given chat template and accepts a base URL without /v1", async () => {
    const server = await start();
    const template = compileChatTemplate(
      "{% for m in messages %}[{{ m.content }}]{% endfor %}",
      "test",
    );
    const backend = cleanup.add(
      await backendFor(server, { baseUrls: server.url, chatTemplate: template }),
    );

    expect(backend.warnings).toEqual([]);
    expect(await backend.renderChat([{ role: "user", content: "Q" }])).toBe("[Q]");
    const sequence = await backend.openSequence("P");
    await sequence.generate({ maxTokens: 2, stop: [], sampling: GREEDY });
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toContain(
      "POST /v1/completions",
    );
  });

  it("refuses a model the server does not serve, naming the one it does", async () => {
    const server = await start({ modelName: "m1-7b-23k" });
    const failure = await backendFor(server, { modelName: "m1-32b-1k" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BackendSetupError);
    expect((failure as Error).message).toBe(
      `${server.baseUrl} does not serve the model 'm1-32b-1k' (it serves: m1-7b-23k) (fix: pass --model-name m1-7b-23k (model_name in m1 eval), or leave it out to use the served model)`,
    );
  });

  it("sends the API key as a bearer token, taking OPENAI_API_KEY when none is given", async () => {
    const server = await start({ apiKey: "sk-local" });
    const saved = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = "sk-local";
    try {
      const backend = cleanup.add(await backendFor(server));
      expect(await backend.countTokens("Wait")).toBe(1);
      expect(
        server.requests.every((request) => request.headers.authorization === "Bearer sk-local"),
      ).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });

  it("reports a refused API key as a setup error", async () => {
    const server = await start({ apiKey: "sk-right" });
    const failure = await backendFor(server, { apiKey: "sk-wrong" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BackendSetupError);
    expect((failure as Error).message).toMatch(
      /refused the API key \(401\): .*Invalid API key \(fix: set OPENAI_API_KEY/,
    );
  });
});

describe("sequences", () => {
  it("sends the text so far with the sampling settings and reads usage and vLLM's stop_reason", async () => {
    const server = await start({ model: () => "Vitamin C.<|im_start|>answer" });
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter() }));
    const sequence = await backend.openSequence("Q:<|im_start|>think\n");
    const result = await sequence.generate({
      maxTokens: 30,
      stop: M1_STOPS,
      sampling: { temperature: 0.6, topP: 0.95, seed: 7, frequencyPenalty: 0.1 },
    });

    expect(result).toEqual({
      text: "Vitamin C.",
      tokens: 4,
      finishReason: "stop",
      stopString: "<|im_start|>",
    });
    expect(sequence.text).toBe("Q:<|im_start|>think\nVitamin C.");
    expect(sequence.promptTokens).toBe(toyTokenCount("Q:<|im_start|>think\n"));
    expect(server.completionRequests()[0]).toEqual({
      model: "fake-m1",
      prompt: "Q:<|im_start|>think\n",
      max_tokens: 30,
      temperature: 0.6,
      top_p: 0.95,
      seed: 7,
      frequency_penalty: 0.1,
      stop: M1_STOPS,
      skip_special_tokens: false,
      spaces_between_special_tokens: false,
    });
  });

  it("reads SGLang's matched_stop, and sends no special-token fields when asked not to", async () => {
    const server = await start({ model: () => "Yes.<|im_end|>", stopReasonField: "sglang" });
    const backend = cleanup.add(
      await backendFor(server, {
        tokenizer: toyCounter(),
        keepSpecialTokens: false,
        extraBody: { top_k: 1 },
      }),
    );
    const sequence = await backend.openSequence("Q");
    const result = await sequence.generate({ maxTokens: 9, stop: M1_STOPS, sampling: GREEDY });

    expect(result.stopString).toBe("<|im_end|>");
    const body = server.completionRequests()[0]!;
    expect(body).not.toHaveProperty("skip_special_tokens");
    expect(body.top_k).toBe(1);
  });

  it("appends text counted by the tokenizer, and the next prompt is the old one plus everything new", async () => {
    const server = await start({ model: () => "More." });
    const asked: string[] = [];
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter(asked) }));
    const sequence = await backend.openSequence("Start.");
    await sequence.generate({ maxTokens: 1, stop: [], sampling: GREEDY });
    expect(await sequence.append(" Wait")).toBe(1);
    expect(await sequence.append("<|im_start|>answer\nFinal Answer:")).toBe(6);
    await sequence.generate({ maxTokens: 5, stop: [], sampling: GREEDY });

    const prompts = server.completionRequests().map((request) => request.prompt);
    expect(prompts).toEqual(["Start.", "Start.More Wait<|im_start|>answer\nFinal Answer:"]);
    expect(asked).toEqual([" Wait", "<|im_start|>answer\nFinal Answer:"]);
    expect(sequence.text).toBe("Start.More Wait<|im_start|>answer\nFinal Answer:More.");
  });

  it("streams with include_usage when the caller wants live text", async () => {
    const server = await start({ model: () => "Vitamin C is it.<|im_start|>" });
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter() }));
    const sequence = await backend.openSequence("Q");
    const pieces: string[] = [];
    const result = await sequence.generate({
      maxTokens: 50,
      stop: M1_STOPS,
      sampling: GREEDY,
      onText: (piece) => pieces.push(piece),
    });

    expect(pieces).toEqual(["Vitamin", " C", " is", " it", "."]);
    expect(result).toEqual({
      text: "Vitamin C is it.",
      tokens: 6,
      finishReason: "stop",
      stopString: "<|im_start|>",
    });
    expect(server.completionRequests()[0]).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("does not stream when nobody listens, or when streaming is off (the text then comes in one piece)", async () => {
    const server = await start({ model: () => "Vitamin C." });
    const backend = cleanup.add(
      await backendFor(server, { tokenizer: toyCounter(), stream: false }),
    );
    const sequence = await backend.openSequence("Q");
    await sequence.generate({ maxTokens: 50, stop: [], sampling: GREEDY });
    const pieces: string[] = [];
    await sequence.generate({
      maxTokens: 50,
      stop: [],
      sampling: GREEDY,
      onText: (piece) => pieces.push(piece),
    });

    expect(server.completionRequests().map((request) => request.stream)).toEqual([
      undefined,
      undefined,
    ]);
    expect(pieces).toEqual(["Vitamin C."]);
  });

  it("retries a stream that broke midway without showing its text twice", async () => {
    const server = await start({ model: () => "One two three four five." });
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter() }));
    server.failNext({ dropAfterChunks: 2 });
    const sequence = await backend.openSequence("Q");
    const pieces: string[] = [];
    const result = await sequence.generate({
      maxTokens: 50,
      stop: [],
      sampling: GREEDY,
      onText: (piece) => pieces.push(piece),
    });

    expect(pieces.join("")).toBe("One two three four five.");
    expect(result.text).toBe("One two three four five.");
    expect(server.completionRequests()).toHaveLength(2);
  });

  it("retries a 200 whose body is not JSON or has no choices, streamed or not, and says so once per kind", async () => {
    const server = await start({ model: () => "Vitamin C." });
    const notices: string[] = [];
    const announce = retryNotices((line) => notices.push(line));
    const backend = cleanup.add(
      await backendFor(server, { tokenizer: toyCounter(), onRetry: announce }),
    );
    const sequence = await backend.openSequence("Q");
    for (const body of ['{"choices":[]}', '{"choices":[{"te', ""]) {
      for (const onText of [undefined, () => {}]) {
        server.failNext({ body });
        const before = server.completionRequests().length;
        const result = await sequence.generate({
          maxTokens: 50,
          stop: [],
          sampling: GREEDY,
          onText,
        });
        expect(result.text).toBe("Vitamin C.");
        expect(server.completionRequests().length - before).toBe(2);
      }
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^retrying in 0\.1 s: http:.*\/v1\/completions returned an unexpected completion \(it has no choices\[0\]\.text\): \{"choices":\[\]\}$/,
    );
  });

  it("counts generated text with the tokenizer, and warns once, when the server reports no usage", async () => {
    const server = await start({ model: () => "Vitamin C.", reportUsage: false });
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter() }));
    const sequence = await backend.openSequence("Q");
    const first = await sequence.generate({ maxTokens: 50, stop: [], sampling: GREEDY });
    await sequence.generate({ maxTokens: 50, stop: [], sampling: GREEDY, onText: () => {} });

    expect(first.tokens).toBe(3);
    expect(sequence.promptTokens).toBe(1);
    expect(
      backend.warnings.filter((warning) => warning.includes("no usage.completion_tokens")),
    ).toHaveLength(1);
  });

  it("cancels a call in flight when its signal aborts", async () => {
    const server = await start();
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter() }));
    server.failNext({ delayMs: 5_000 });
    const sequence = await backend.openSequence("Q");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const failure = await sequence
      .generate({ maxTokens: 5, stop: [], sampling: GREEDY, signal: controller.signal })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sequence.text).toBe("Q");
  });
});

describe("the server's /tokenize", () => {
  it("counts with vLLM's /tokenize, without special tokens, asking once per repeated string", async () => {
    const server = await start({ tokenize: "vllm" });
    const backend = cleanup.add(await backendFor(server));
    const before = server.requests.filter((request) => request.path === "/tokenize").length;
    expect(await backend.countTokens("<|im_start|>answer")).toBe(2);
    expect(await backend.countTokens("<|im_start|>answer")).toBe(2);
    expect(await backend.countTokens(" Wait")).toBe(1);

    const tokenizeRequests = server.requests.filter((request) => request.path === "/tokenize");
    expect(tokenizeRequests).toHaveLength(before + 2);
    expect(tokenizeRequests.at(-2)!.body).toEqual({
      model: "fake-m1",
      prompt: "<|im_start|>answer",
      add_special_tokens: false,
    });
  });

  it("detects and speaks llama.cpp's /tokenize", async () => {
    const server = await start({ tokenize: "llama.cpp" });
    const backend = cleanup.add(await backendFor(server));
    expect(await backend.countTokens("<|im_start|>answer\nFinal Answer:")).toBe(6);
    expect(server.requests.at(-1)!.body).toEqual({
      content: "<|im_start|>answer\nFinal Answer:",
      add_special: false,
      parse_special: true,
    });
  });

  it("needs no /tokenize when a tokenizer is given", async () => {
    const server = await start({ tokenize: "none" });
    const backend = cleanup.add(await backendFor(server, { tokenizer: toyCounter() }));
    expect(await backend.countTokens("Wait")).toBe(1);
    expect(server.requests.some((request) => request.path === "/tokenize")).toBe(false);
  });
});
