import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BackendCallError, CancelledError, isRetryableStatus } from "../../src/errors.js";
import {
  ConnectionFailedError,
  MalformedResponseError,
  RequestTimeoutError,
  httpExchange,
  requestJson,
  retryNotices,
  withRetries,
  type HttpCall,
  type RetryEvent,
} from "../../src/net/index.js";
import { rejectionOf } from "../support/rejection.js";

/** What the test server does with one request. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as it is (default `{"ok":true}` for a 2xx, else nothing). */
  body?: string;
  delayMs?: number;
  /** Destroy the connection without a reply. */
  drop?: boolean;
}

interface ScriptedServer {
  url: string;
  requests: { headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A 127.0.0.1 server answering request n with replies[n] (the last one thereafter). */
async function serve(...replies: Reply[]): Promise<ScriptedServer> {
  const requests: ScriptedServer["requests"] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      const reply = replies[Math.min(requests.length, replies.length - 1)]!;
      requests.push({ headers: request.headers, body });
      setTimeout(() => {
        if (reply.drop) return void request.socket.destroy();
        response.writeHead(reply.status ?? 200, {
          "content-type": "application/json",
          ...reply.headers,
        });
        response.end(reply.body ?? ((reply.status ?? 200) < 300 ? '{"ok":true}' : ""));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const scripted: ScriptedServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/things`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(scripted);
  return scripted;
}

const FAST = { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 };

function post(url: string, extra: Partial<HttpCall> = {}): Promise<unknown> {
  return requestJson({ method: "POST", url, body: { q: 1 }, timeoutMs: 5_000, ...extra });
}

const failureOf = (work: Promise<unknown>) => rejectionOf(work, BackendCallError);

describe("requests", () => {
  it("posts JSON with the bearer key and extra headers, and parses the reply", async () => {
    const server = await serve({ body: '{"answer":42}' });
    const reply = await post(server.url, { apiKey: "sk-local", headers: { "x-trace": "t1" } });
    expect(reply).toEqual({ answer: 42 });
    expect(server.requests[0]!.body).toBe('{"q":1}');
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-local");
    expect(server.requests[0]!.headers["x-trace"]).toBe("t1");
  });

  it("makes 408, 409, 429 and 5xx retryable, other statuses not, with the server's message", async () => {
    for (const status of [400, 401, 404, 408, 409, 422, 429, 500, 502, 503]) {
      const server = await serve({ status, body: `{"error":{"message":"status ${status}"}}` });
      const error = await failureOf(post(server.url));
      expect([error.status, error.isRetryable]).toEqual([status, isRetryableStatus(status)]);
      expect(error.message).toBe(`POST ${server.url} failed with ${status}: status ${status}`);
    }
    expect([408, 409, 429, 500, 599].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422].some(isRetryableStatus)).toBe(false);
  });

  it("reports a 2xx body that is empty or not JSON as a retryable malformed response", async () => {
    const server = await serve({ body: '{"choices": [' }, { body: "" });
    const truncated = await failureOf(post(server.url));
    expect(truncated).toBeInstanceOf(MalformedResponseError);
    expect(truncated.isRetryable).toBe(true);
    expect(truncated.message).toBe(
      `POST ${server.url} returned a body that is not JSON: {"choices": [`,
    );
    const empty = await failureOf(post(server.url));
    expect(empty).toBeInstanceOf(MalformedResponseError);
    expect(empty.message).toBe(`POST ${server.url} returned an empty body`);
  });

  it("types timeouts, dropped connections and unreachable servers, all retryable", async () => {
    const slow = await serve({ delayMs: 2_000 });
    const timeout = await failureOf(post(slow.url, { timeoutMs: 100 }));
    expect(timeout).toBeInstanceOf(RequestTimeoutError);
    expect(timeout.message).toBe(`POST ${slow.url} timed out after 0.1 s`);

    const dropping = await serve({ drop: true });
    const dropped = await failureOf(post(dropping.url));
    expect(dropped).toBeInstanceOf(ConnectionFailedError);
    expect((dropped as ConnectionFailedError).serverDown).toBe(false);

    const gone = await serve({});
    await gone.close();
    const refused = await failureOf(post(gone.url));
    expect(refused).toBeInstanceOf(ConnectionFailedError);
    expect((refused as ConnectionFailedError).serverDown).toBe(true);
    expect([timeout, dropped, refused].every((error) => error.isRetryable)).toBe(true);
  });

  it("stops at once with CancelledError when the signal aborts, even mid-request", async () => {
    const server = await serve({ delayMs: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(post(server.url, { signal: controller.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(post(server.url, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CancelledError,
    );
  });

  it("honours an abort that comes while the body is read, even when it came in one piece", async () => {
    // Many small pieces in one write, as llama.cpp's server sends a short stream.
    const server = await serve({ body: "data: x\n\n".repeat(200) });
    for (let run = 0; run < 50; run++) {
      const controller = new AbortController();
      const reading = httpExchange(
        { method: "POST", url: server.url, timeoutMs: 5_000, signal: controller.signal },
        async (response) => {
          let pieces = 0;
          for await (const chunk of response.body) {
            pieces += (chunk as Buffer).length;
            controller.abort();
          }
          return pieces;
        },
      );
      // No unhandled 'error' from the aborted response may reach the process (vitest fails on it).
      await expect(reading).rejects.toBeInstanceOf(CancelledError);
    }
  });
});

describe("retries", () => {
  it("retries a malformed 2xx like a dropped connection, then succeeds", async () => {
    const server = await serve(
      { body: "<html>proxy error</html>" },
      { body: '{"choices": [' },
      { drop: true },
      { body: '{"choices":[{"text":"ok"}]}' },
    );
    const seen: string[] = [];
    const reply = await withRetries(() => post(server.url), FAST, {
      onRetry: (error) => seen.push(error.constructor.name),
    });
    expect(reply).toEqual({ choices: [{ text: "ok" }] });
    expect(seen).toEqual([
      "MalformedResponseError",
      "MalformedResponseError",
      "ConnectionFailedError",
    ]);
  });

  it("waits at least the server's Retry-After before the next attempt", async () => {
    const server = await serve({ status: 429, headers: { "retry-after-ms": "300" } }, {});
    const delays: number[] = [];
    const started = Date.now();
    await withRetries(() => post(server.url), FAST, {
      onRetry: (_error, _retry, delayMs) => delays.push(delayMs),
    });
    expect(delays).toEqual([300]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("gives up after maxRetries, saying how many attempts it made", async () => {
    const server = await serve({ status: 503 });
    const error = await failureOf(withRetries(() => post(server.url), FAST));
    expect(error.message).toBe(
      `POST ${server.url} failed with 503: Service Unavailable (gave up after 4 attempts)`,
    );
    expect(server.requests).toHaveLength(4);
  });

  it("cancels the wait between attempts when the signal aborts", async () => {
    const server = await serve({ status: 503 });
    const controller = new AbortController();
    const waiting = withRetries(
      () => post(server.url),
      { ...FAST, initialDelayMs: 10_000, maxDelayMs: 10_000 },
      {
        signal: controller.signal,
        onRetry: () => setTimeout(() => controller.abort(), 20),
      },
    );
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(server.requests).toHaveLength(1);
  });
});

describe("retry notices", () => {
  it("tells each kind of failure once, with the wait and the first error's words", async () => {
    const lines: string[] = [];
    const notice = retryNotices((line) => lines.push(line));
    const event = (error: BackendCallError, delayMs: number): RetryEvent => ({
      error,
      retry: 0,
      delayMs,
    });
    const unavailable = (url: string) =>
      new BackendCallError(`POST ${url} failed with 503: overloaded`, {
        status: 503,
        isRetryable: true,
      });
    notice(event(unavailable("http://a/v1/completions"), 2_000));
    notice(event(unavailable("http://b/v1/completions"), 4_000));
    notice(event(new MalformedResponseError("POST http://a returned an empty body"), 1_250));
    notice(event(new MalformedResponseError("POST http://b returned an empty body"), 900));
    notice(
      event(new ConnectionFailedError("POST http://a failed: dropped", { serverDown: false }), 0),
    );
    notice(event(new RequestTimeoutError("POST http://a timed out after 600 s"), 12_400));
    expect(lines).toEqual([
      "retrying in 2 s: POST http://a/v1/completions failed with 503: overloaded",
      "retrying in 1.3 s: POST http://a returned an empty body",
      "retrying now: POST http://a failed: dropped",
      "retrying in 12 s: POST http://a timed out after 600 s",
    ]);
  });

  it("hears about every retry of a real call through withRetries' onRetry", async () => {
    const server = await serve({ status: 502 }, { status: 502 }, { body: "" }, {});
    const lines: string[] = [];
    const notice = retryNotices((line) => lines.push(line));
    await withRetries(() => post(server.url), FAST, {
      onRetry: (error, retry, delayMs) => notice({ error, retry, delayMs }),
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^retrying in 0\\.1 s: POST ${server.url} failed with 502: Bad Gateway$`),
    );
    expect(lines[1]).toMatch(/^retrying in 0\.1 s: POST .* returned an empty body$/);
  });
});
