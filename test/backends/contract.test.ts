import { createLlamaCppBackend } from "../../src/backends/llama-cpp/index.js";
import { createOpenAICompatibleBackend } from "../../src/backends/openai/index.js";
import { startFakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { FAST_RETRY } from "../fixtures/openai/harness.js";
import { runBackendContract } from "../support/backend-contract.js";
import { createScriptedBackend } from "../support/scripted-backend.js";
import { tinyModelPath } from "../support/tiny-model.js";

/** What the scripted stand-ins write, whatever the prompt: long enough for every check. */
const CONTINUATION =
  "The low ferritin and the small red cells point to iron deficiency anemia; the next step is to look for blood loss.";

runBackendContract("llama.cpp, embedded (smoke model)", async () =>
  createLlamaCppBackend({ model: await tinyModelPath(), gpu: false, contextSize: 1024 }),
);

runBackendContract("OpenAI-compatible, on the fake server", async () => {
  const server = await startFakeOpenAIServer({ model: () => CONTINUATION });
  const backend = await createOpenAICompatibleBackend({
    baseUrls: [server.baseUrl],
    retry: FAST_RETRY,
  });
  return { backend, close: () => server.close() };
});

runBackendContract("scripted (engine tests)", async () =>
  createScriptedBackend(() => CONTINUATION),
);
