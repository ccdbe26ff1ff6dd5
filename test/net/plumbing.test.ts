import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_SETTINGS,
  retryAfterSeconds,
  retryDelayMs,
  serverErrorMessage,
  serverSentEventData,
  withRetries,
} from "../../src/net/index.js";
import { BackendCallError } from "../../src/errors.js";

async function collect(chunks: string[]): Promise<string[]> {
  async function* body() {
    for (const chunk of chunks) yield Buffer.from(chunk, "utf8");
  }
  const events: string[] = [];
  for await (const data of serverSentEventData(body())) events.push(data);
  return events;
}

describe("server-sent events", () => {
  it("yields one payload per event however the bytes are split, CRLF or not", async () => {
    const stream =
      'data: {"a":1}\r\n\r\n: comment\n\ndata: {"b":\ndata: 2}\n\nevent: x\ndata: [DONE]\n\n';
    const whole = await collect([stream]);
    expect(whole).toEqual(['{"a":1}', '{"b":\n2}', "[DONE]"]);
    // Every split point, including inside "\r\n" and inside a multi-byte character.
    for (let cut = 1; cut < stream.length; cut++) {
      expect(await collect([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
    }
    const bytes = Buffer.from('data: "é"\n\n', "utf8");
    async function* split() {
      yield bytes.subarray(0, 8);
      yield bytes.subarray(8);
    }
    const events: string[] = [];
    for await (const data of serverSentEventData(split())) events.push(data);
    expect(events).toEqual(['"é"']);
  });
});

describe("retry timing", () => {
  const error = (retryAfter?: number) =>
    new BackendCallError("x", { status: 503, isRetryable: true, retryAfterSeconds: retryAfter });

  it("doubles the delay each retry, with jitter in the upper half, up to the cap", () => {
    const settings = { ...DEFAULT_RETRY_SETTINGS, initialDelayMs: 100, maxDelayMs: 1_000 };
    expect(retryDelayMs(0, error(), settings, () => 0)).toBe(50);
    expect(retryDelayMs(0, error(), settings, () => 1)).toBe(100);
    expect(retryDelayMs(3, error(), settings, () => 1)).toBe(800);
    expect(retryDelayMs(9, error(), settings, () => 1)).toBe(1_000);
  });

  it("waits at least what Retry-After asks, but no more than the cap", () => {
    const settings = { ...DEFAULT_RETRY_SETTINGS, initialDelayMs: 100, maxRetryAfterMs: 5_000 };
    expect(retryDelayMs(0, error(2), settings, () => 0)).toBe(2_000);
    expect(retryDelayMs(0, error(3_600), settings, () => 0)).toBe(5_000);
  });

  it("reads Retry-After as seconds, as an HTTP date, and OpenAI's retry-after-ms", () => {
    expect(retryAfterSeconds({ "retry-after": "3" })).toBe(3);
    expect(retryAfterSeconds({ "retry-after-ms": "250" })).toBe(0.25);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterSeconds({ "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }, now)).toBe(10);
    expect(retryAfterSeconds({})).toBeUndefined();
  });

  it("does not retry errors that are not retryable", async () => {
    let attempts = 0;
    const failure = await withRetries(
      async () => {
        attempts++;
        throw new BackendCallError("bad request", { status: 400, isRetryable: false });
      },
      { ...DEFAULT_RETRY_SETTINGS, initialDelayMs: 1 },
    ).catch((caught: unknown) => caught);
    expect(attempts).toBe(1);
    expect((failure as Error).message).toBe("bad request");
  });
});

describe("server error messages", () => {
  it("finds the message in OpenAI, vLLM, llama.cpp and FastAPI error bodies", () => {
    expect(serverErrorMessage('{"error":{"message":"Invalid key","code":401}}')).toBe(
      "Invalid key",
    );
    expect(serverErrorMessage('{"object":"error","message":"too long","code":400}')).toBe(
      "too long",
    );
    expect(
      serverErrorMessage('{"detail":[{"loc":["body","max_tokens"],"msg":"must be > 0"}]}'),
    ).toBe("body.max_tokens: must be > 0");
    expect(serverErrorMessage("<html>\n Bad Gateway \n</html>")).toBe("<html> Bad Gateway </html>");
  });
});
