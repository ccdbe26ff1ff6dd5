import { describe, it } from "vitest";
import { createOpenAICompatibleBackend } from "../../src/backends/openai/index.js";
import { runBackendContract } from "../support/backend-contract.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { llamaServerAvailable, startLlamaServer } from "./llama-server.js";

/**
 * The backend contract every Backend keeps (test/support/backend-contract.ts), on the
 * OpenAI-compatible backend against a real llama.cpp server on the smoke model: with text
 * prompts (m1's protocol) and with exact tokens.
 */
for (const exactTokens of [false, true]) {
  const name = `OpenAI-compatible, on llama.cpp's server${exactTokens ? ", exact tokens" : ""}`;
  if (!llamaServerAvailable) {
    describe.skip(`backend contract: ${name}`, () => it("needs llama-server", () => {}));
    continue;
  }
  runBackendContract(name, async () => {
    const server = await startLlamaServer({ modelPath: await tinyModelPath() });
    try {
      const backend = await createOpenAICompatibleBackend({
        baseUrls: [server.baseUrl],
        exactTokens,
      });
      return { backend, close: () => server.stop() };
    } catch (error) {
      await server.stop();
      throw error;
    }
  });
}
