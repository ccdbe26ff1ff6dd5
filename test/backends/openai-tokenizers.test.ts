import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BackendSetupError } from "../../src/errors.js";
import { connectServerTokenCounter, createTokenCounter } from "../../src/backends/openai/index.js";
import {
  loadLocalTokenCounter,
  withCountCache,
  type TokenCounter,
} from "../../src/tokenizers/index.js";
import { startFakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { Cleanup } from "../fixtures/openai/harness.js";
import {
  writeTinyTokenizerJson,
  writeTinyVocabularyGguf,
} from "../fixtures/openai/tiny-tokenizer-files.js";

/** Strings the engine inserts, with their counts in the tiny Qwen2-shaped vocabulary. */
const EXPECTED_COUNTS: [string, number][] = [
  ["Wait", 1],
  [" Wait", 1],
  ["\n", 1],
  ["<|im_start|>", 1],
  ["<|im_start|>answer", 2],
  ["<|im_start|>think\n", 3],
];

let folder: string;
let tokenizerJson: string;
let gguf: string;
const cleanup = new Cleanup();

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "m1-tokenizers-"));
  tokenizerJson = writeTinyTokenizerJson(folder);
  gguf = writeTinyVocabularyGguf(join(folder, "tiny.gguf"));
});
afterEach(() => cleanup.run());
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("local tokenizers", () => {
  it("counts with tokenizer.json without adding special tokens, parsing special-token text as one token", async () => {
    const counter = cleanup.add(await loadLocalTokenCounter(tokenizerJson));
    for (const [text, count] of EXPECTED_COUNTS)
      expect([text, await counter.countTokens(text)]).toEqual([text, count]);
    expect(counter.description).toBe(`tokenizer.json: ${tokenizerJson}`);
  });

  it("accepts the model folder that holds tokenizer.json", async () => {
    const counter = cleanup.add(await loadLocalTokenCounter(folder));
    expect(await counter.countTokens("<|im_start|>answer")).toBe(2);
  });

  it("counts with a GGUF file's vocabulary exactly as with the same tokenizer.json", async () => {
    const fromGguf = cleanup.add(await loadLocalTokenCounter(gguf));
    const fromJson = cleanup.add(await loadLocalTokenCounter(tokenizerJson));
    const samples = [
      ...EXPECTED_COUNTS.map(([text]) => text),
      "<|im_start|>answer\nFinal Answer:",
      "Thinking about it: vitamin C, 42 mg/day.\n\nWait",
      "héllo 🤗  <|im_end|>",
    ];
    for (const text of samples) {
      expect([text, await fromGguf.countTokens(text)]).toEqual([
        text,
        await fromJson.countTokens(text),
      ]);
    }
    expect(fromGguf.description).toBe(`GGUF vocabulary: ${gguf}`);
  });

  it("gives the same token ids and texts from tokenizer.json and the GGUF vocabulary (max_tokens)", async () => {
    const fromGguf = cleanup.add(await loadLocalTokenCounter(gguf));
    const fromJson = cleanup.add(await loadLocalTokenCounter(tokenizerJson));
    const text = "<|im_start|>user\nvitamin C, 42 mg/day?<|im_end|>\n";
    const ids = await fromJson.tokenize!(text);
    expect(await fromGguf.tokenize!(text)).toEqual(ids);
    expect(ids).toHaveLength(await fromJson.countTokens(text));
    for (const counter of [fromJson, fromGguf]) {
      expect(await counter.detokenize!(ids)).toBe(text);
      expect(await counter.detokenize!(ids.slice(0, 1))).toBe("<|im_start|>");
    }
  });

  it("reports a missing, broken or unusable tokenizer file as a one-line setup error with the fix", async () => {
    const broken = join(folder, "broken.json");
    writeFileSync(broken, "{ not json");
    const notTokenizer = join(folder, "not-tokenizer.json");
    writeFileSync(notTokenizer, JSON.stringify({ hello: "world" }));
    const badGguf = join(folder, "bad.gguf");
    writeFileSync(badGguf, "GGUF but not really");

    const cases: [string, RegExp][] = [
      [
        join(folder, "missing.json"),
        /^cannot read the tokenizer file .*missing\.json: ENOENT \(fix: pass the model's tokenizer\.json/,
      ],
      [broken, /^the tokenizer file .*broken\.json is not valid JSON: .* \(fix: /],
      [notTokenizer, /^cannot use the tokenizer file .*not-tokenizer\.json: .* \(fix: /],
      [badGguf, /bad\.gguf is not a GGUF file of version 2 or 3 .* \(fix: pass a readable \.gguf/],
      [join(folder, "missing.gguf"), /^cannot read the GGUF file .*missing\.gguf: ENOENT \(fix: /],
    ];
    for (const [path, message] of cases) {
      const failure = await loadLocalTokenCounter(path).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(BackendSetupError);
      expect((failure as Error).message).toMatch(message);
      expect((failure as Error).message).not.toContain("\n");
    }
  });
});

describe("choosing a tokenizer", () => {
  it("prefers --tokenizer over the server's /tokenize", async () => {
    const server = cleanup.add(await startFakeOpenAIServer());
    const counter = cleanup.add(
      await createTokenCounter({
        tokenizerPath: tokenizerJson,
        server: { baseUrls: server.baseUrl, modelName: "fake-m1" },
      }),
    );
    expect(counter.description).toContain("tokenizer.json");
    expect(server.requests).toHaveLength(0);
  });

  it("uses the server's /tokenize otherwise, and asks for --tokenizer when there is none", async () => {
    const withTokenize = cleanup.add(await startFakeOpenAIServer());
    const counter = cleanup.add(
      await createTokenCounter({
        server: { baseUrls: withTokenize.baseUrl, modelName: "fake-m1" },
      }),
    );
    expect(counter.description).toBe(`server /tokenize (vllm): ${withTokenize.url}`);
    expect(await counter.countTokens("<|im_start|>think\n")).toBe(3);

    const without = cleanup.add(await startFakeOpenAIServer({ tokenize: "none" }));
    const failure = await connectServerTokenCounter({
      baseUrls: without.baseUrl,
      modelName: "fake-m1",
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackendSetupError);
    expect((failure as Error).message).toContain("has no /tokenize endpoint");
    expect((failure as Error).message).toContain("(--tokenizer; tokenizer_path in m1 eval)");
  });

  it("tokenizes and detokenizes through the server in both dialects (/tokenize, /detokenize)", async () => {
    for (const dialect of ["vllm", "llama.cpp"] as const) {
      const server = cleanup.add(await startFakeOpenAIServer({ tokenize: dialect }));
      const counter = cleanup.add(
        await connectServerTokenCounter({ baseUrls: server.baseUrl, modelName: "fake-m1" }),
      );
      const ids = await counter.tokenize!("<|im_start|>think\nWait");
      expect(ids).toHaveLength(4);
      expect(await counter.detokenize!(ids.slice(0, 3))).toBe("<|im_start|>think\n");
      const bodies = server.requests.filter((request) => request.path === "/detokenize");
      expect(bodies.map((request) => request.body)).toEqual([
        dialect === "vllm"
          ? { model: "fake-m1", tokens: ids.slice(0, 3) }
          : { tokens: ids.slice(0, 3) },
      ]);
    }
  });

  it("reports a /tokenize that fails at start-up as a setup error with the server's words", async () => {
    const server = cleanup.add(await startFakeOpenAIServer());
    server.failNext({ status: 500 }, 1, "/tokenize");
    const failure = await connectServerTokenCounter({
      baseUrls: server.baseUrl,
      modelName: "fake-m1",
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackendSetupError);
    expect((failure as Error).message).toBe(
      `cannot ask ${server.url} for /tokenize: POST ${server.url}/tokenize failed with 500: injected failure 500 (fix: pass the model's tokenizer.json, the model folder holding it, or its .gguf file (--tokenizer; tokenizer_path in m1 eval))`,
    );
  });
});

describe("the count cache", () => {
  it("counts a repeated string once, even when asked concurrently, but not a failed count", async () => {
    let calls = 0;
    let fail = true;
    const counter: TokenCounter = {
      description: "counting",
      async countTokens(text) {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (fail) throw new Error("server hiccup");
        return text.length;
      },
      async close() {},
    };
    const cached = withCountCache(counter);

    await expect(cached.countTokens("Wait")).rejects.toThrow("server hiccup");
    fail = false;
    const counts = await Promise.all([cached.countTokens("Wait"), cached.countTokens("Wait")]);
    expect(counts).toEqual([4, 4]);
    expect(await cached.countTokens("Wait")).toBe(4);
    expect(calls).toBe(2);
    expect(await cached.countTokens("")).toBe(0);
  });
});
