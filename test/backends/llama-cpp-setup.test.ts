import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { compileChatTemplate } from "../../src/backends/chat-template.js";
import { createLlamaCppBackend, type LlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { IncrementalDetokenizer } from "../../src/backends/llama-cpp/incremental-detokenizer.js";
import { isRemoteModelReference } from "../../src/backends/llama-cpp/model-source.js";
import { loadLlamaRuntime } from "../../src/backends/llama-cpp/runtime.js";
import { BackendCallError, BackendSetupError } from "../../src/errors.js";
import { rejectionOf } from "../support/rejection.js";
import { tinyModelPath } from "../support/tiny-model.js";

/** Loading models: clear errors for bad files, chat templates, tokenizer facts of the smoke model. */
let scratch: string;
let modelPath: string;
let backend: LlamaCppBackend;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "m1-llama-setup-"));
  modelPath = await tinyModelPath();
  backend = await createLlamaCppBackend({ model: modelPath, gpu: false, contextSize: 256 });
});

afterAll(async () => {
  await backend?.close();
  await rm(scratch, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

/** A local HTTP server (127.0.0.1 only) answering every request with `handler`. */
async function localServer(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { server, origin: `http://127.0.0.1:${port}` };
}

function setupError(model: string): Promise<BackendSetupError> {
  return rejectionOf(createLlamaCppBackend({ model, gpu: false }), BackendSetupError);
}

describe("embedded backend setup", () => {
  it("fails with a one-line setup error (exit 2) naming a missing model file and the fix", async () => {
    const missing = join(scratch, "nope.gguf");
    const error = await setupError(missing);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`model file not found: ${missing}`);
    expect(error.message).toContain("m1 smoke-model");
    expect(error.message).not.toContain("\n");
  });

  it("refuses a file that is not a GGUF, and a folder, before loading anything", async () => {
    const text = join(scratch, "model.bin");
    await writeFile(text, "this is not a model");
    expect((await setupError(text)).message).toContain(`not a GGUF file: ${text}`);
    expect((await setupError(scratch)).message).toContain("model path is not a file");
  });

  it("reports a truncated GGUF as a load failure with a fix", async () => {
    const truncated = join(scratch, "truncated.gguf");
    await writeFile(truncated, (await readFile(modelPath)).subarray(0, 4096));
    const error = await setupError(truncated);
    expect(error.message).toContain(`llama.cpp cannot load ${truncated}`);
    expect(error.message).toContain("fix:");
  });

  it("downloads a model URL into the m1 cache with node-llama-cpp's resolver, then loads it", async () => {
    vi.stubEnv("M1_CACHE_DIR", join(scratch, "cache"));
    const bytes = await readFile(modelPath);
    const { server, origin } = await localServer((request, response) => {
      response.setHeader("content-length", bytes.length);
      response.end(request.method === "HEAD" ? undefined : bytes);
    });
    try {
      const progress: number[] = [];
      const downloaded = await createLlamaCppBackend({
        model: `${origin}/models/tiny.gguf`,
        gpu: false,
        contextSize: 256,
        onDownloadProgress: ({ downloadedBytes }) => progress.push(downloadedBytes),
      });
      await downloaded.close();
      expect(downloaded.modelPath).toBe(join(scratch, "cache", "models", "tiny.gguf"));
      expect((await readFile(downloaded.modelPath)).equals(bytes)).toBe(true);
      expect(progress.at(-1)).toBe(bytes.length);
    } finally {
      server.close();
    }
  });

  it("fails fast with a setup error when the model's host is unreachable or has no such file", async () => {
    vi.stubEnv("M1_CACHE_DIR", join(scratch, "cache"));
    const { server: closed, origin: closedOrigin } = await localServer(() => {});
    closed.close();
    const unreachable = await setupError(`${closedOrigin}/model.gguf`);
    expect(unreachable.exitCode).toBe(2);
    expect(unreachable.message).toContain(`${closedOrigin} is unreachable`);
    expect(unreachable.message).toContain("ECONNREFUSED");

    const { server, origin } = await localServer((_request, response) => {
      response.statusCode = 404;
      response.end();
    });
    try {
      const missing = await setupError(`${origin}/model.gguf`);
      expect(missing.message).toContain(`cannot download model ${origin}/model.gguf`);
      expect(missing.message).toContain("404");
    } finally {
      server.close();
    }
  });

  it("treats hf: URIs and URLs as downloads and everything else as a path", () => {
    expect(isRemoteModelReference("hf:bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M")).toBe(true);
    expect(isRemoteModelReference("https://example.com/model.gguf")).toBe(true);
    expect(isRemoteModelReference("./models/hf-model.gguf")).toBe(false);
  });

  it("renders prompts with the GGUF's Qwen2.5-style template, default system prompt included", async () => {
    expect(await backend.renderChat([{ role: "user", content: "What is X?\nA. a\nB. b" }])).toBe(
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
        "<|im_start|>user\nWhat is X?\nA. a\nB. b<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(
      await backend.renderChat([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ]),
    ).toBe(
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("uses a chat template passed in instead of the GGUF's", async () => {
    const custom = await createLlamaCppBackend({
      model: modelPath,
      gpu: false,
      contextSize: 256,
      chatTemplate: compileChatTemplate(
        "{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}",
        "test",
        { eosToken: "<|im_end|>" },
      ),
    });
    try {
      expect(await custom.renderChat([{ role: "user", content: "Hi" }])).toBe(
        "[user] Hi<|im_end|>",
      );
    } finally {
      await custom.close();
    }
  });

  it("refuses a call whose prompt and budget cannot fit in the context, as servers do", async () => {
    expect(backend.contextSize).toBe(256);
    const sequence = await backend.openSequence(
      await backend.renderChat([{ role: "user", content: "hi" }]),
    );
    try {
      const call = sequence.generate({ maxTokens: 500, stop: [], sampling: { temperature: 0 } });
      await expect(call).rejects.toBeInstanceOf(BackendCallError);
      await expect(call).rejects.toThrow(/holds 256 tokens per sequence.*raise --context-size/);
      // Nothing was consumed: a call that fits still works on the same sequence.
      const fits = await sequence.generate({
        maxTokens: 5,
        stop: [],
        sampling: { temperature: 0 },
      });
      expect(fits.tokens).toBeGreaterThan(0);
    } finally {
      await sequence.dispose();
    }
  });

  it("describes itself and offers stop suppression and evaluated-token counts", () => {
    expect(backend.description).toMatch(
      /^llama\.cpp: m1-tiny-smoke-\w+\.gguf \(cpu, 1 thread, 1 context x 1 sequence x 256 tokens, deterministic\)$/,
    );
    expect(backend.capabilities).toEqual({
      stopSuppression: true,
      evaluatedTokens: true,
      maxParallelSequences: 1,
    });
    expect(backend.warnings).toEqual([]);
  });

  it("decodes tokens one at a time without ever splitting a UTF-8 character", async () => {
    const model = await (await loadLlamaRuntime(false)).loadModel({ modelPath });
    try {
      // The smoke vocabulary has no merges for these: every byte is its own token.
      const text = "é中🙂 ok";
      const tokens = model.tokenize(text, false);
      expect(tokens.length).toBeGreaterThan([...text].length);
      const detokenizer = new IncrementalDetokenizer(model);
      const pieces = tokens.map((token: Token) => detokenizer.push(token));
      expect(pieces.join("") + detokenizer.flush()).toBe(text);
      expect(pieces.filter((piece) => piece.length > 0)).toEqual(["é", "中", "🙂", " o", "k"]);
    } finally {
      await model.dispose();
    }
  });

  it("splits common medical words into few tokens with the smoke model's BPE merges", async () => {
    const text = " The patient has a diagnosis of thyroiditis and the treatment is insulin.";
    const tokens = await backend.countTokens(text);
    expect(tokens).toBeLessThan(text.length / 3);
    expect(await backend.countTokens("Wait")).toBe(1);
  });

  it("gives token ids and their text for m1's max_tokens cut, special tokens written out", async () => {
    const prompt = await backend.renderChat([{ role: "user", content: "Which nerve?" }]);
    const ids = await backend.tokenize!(prompt);
    expect(ids).toHaveLength(await backend.countTokens(prompt));
    expect(await backend.detokenize!(ids)).toBe(prompt);
    expect(await backend.detokenize!(ids.slice(0, 1))).toBe("<|im_start|>");
  });
});
