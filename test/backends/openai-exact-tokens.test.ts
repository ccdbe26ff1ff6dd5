import { afterEach, describe, expect, it } from "vitest";
import { createOpenAICompatibleBackend } from "../../src/backends/openai/index.js";
import { BackendSetupError } from "../../src/errors.js";
import { runM1 } from "../support/cli.js";
import { startFakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { Cleanup } from "../fixtures/openai/harness.js";

/**
 * `--exact-tokens` against a server that cannot keep token ids: the fake server speaks vLLM's
 * completions without `return_token_ids`. (What it does against a server that can is tested on
 * llama.cpp's real server: test/real-server/exact-parity.test.ts.)
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe("--exact-tokens on a server without token-id I/O", () => {
  it("is a setup error naming the server and what it lacks", async () => {
    const server = cleanup.add(await startFakeOpenAIServer());
    const opening = createOpenAICompatibleBackend({
      baseUrls: server.baseUrl,
      exactTokens: true,
      retry: { maxRetries: 0 },
    });
    await expect(opening).rejects.toThrow(BackendSetupError);
    await expect(opening).rejects.toThrow(
      `the server at ${server.baseUrl} cannot keep token ids for --exact-tokens`,
    );
  });

  it("m1 ask says so in one line and exits 2", async () => {
    const server = cleanup.add(await startFakeOpenAIServer());
    const result = await runM1([
      "ask",
      "Which drug reverses heparin?",
      ...["--budget", "8", "--exact-tokens", "--base-url", server.baseUrl],
    ]);
    expect(result.code).toBe(2);
    const errorLines = result.stderr
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("m1:"));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(
      /^m1: error: the server at .* cannot keep token ids for --exact-tokens \(it needs vLLM 0\.10\.2\+ .*\(fix: leave out --exact-tokens/,
    );
    expect(result.stdout).toBe("");
  });
});
