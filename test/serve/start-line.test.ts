import { describe, expect, it } from "vitest";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import { requestDefaultsOf, serveConfigSchema, startLine } from "../../src/serve/index.js";
import type { RunningServe } from "../../src/serve/index.js";
import { SequenceQueue } from "../../src/serve/sequence-queue.js";

/** The start line for a serve config, without a backend or a listener. */
function lineFor(config: Record<string, unknown>): string {
  const served = {
    url: "http://127.0.0.1:8000",
    queue: new SequenceQueue(4, 256),
    options: {
      modelName: "m1-test",
      backend: { description: "fake" },
      thinkingFormat: M1_THINKING_FORMAT,
      defaults: requestDefaultsOf(serveConfigSchema.parse(config)),
      apiKey: null,
    },
  } as unknown as RunningServe;
  return startLine(served);
}

describe("the start line", () => {
  it("names the budget a reasoning_effort default stands for", () => {
    expect(lineFor({ reasoning_effort: "high", max_completion_tokens: 16 })).toContain(
      "defaults: thinking_budget 8192 (reasoning_effort high), max_completion_tokens 16,",
    );
  });

  it("with thinking off, names the cap a request runs with (the whole output's)", () => {
    const line = lineFor({ thinking: false, thinking_budget: 300, max_completion_tokens: 16 });
    expect(line).toContain("defaults: thinking off, max_completion_tokens 300,");
  });
});
