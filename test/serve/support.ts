import OpenAI from "openai";
import type { Backend, GenerationSequence } from "../../src/backends/types.js";
import { M1_THINKING_FORMAT } from "../../src/engine/thinking-formats.js";
import {
  requestDefaultsOf,
  serveConfigSchema,
  startServe,
  type RunningServe,
  type ServeOptions,
} from "../../src/serve/index.js";

/**
 * `m1 serve` in this process on 127.0.0.1 (a free port) over a given backend, with an `openai`
 * client pointed at it as a user's code would be. `config` holds the serve config keys (the same
 * as the YAML's), so tests set defaults the way users do.
 */
export interface TestServe {
  served: RunningServe;
  /** `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  client: OpenAI;
  /** POST a JSON body (or raw text) to a path under the root; returns status, headers and body. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  close(): Promise<void>;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function startTestServe(
  backend: Backend,
  config: Record<string, unknown> = {},
  options: Partial<ServeOptions> = {},
): Promise<TestServe> {
  const parsed = serveConfigSchema.parse(config);
  const served = await startServe({
    backend,
    modelName: "m1-test",
    thinkingFormat: M1_THINKING_FORMAT,
    defaults: requestDefaultsOf(parsed),
    apiKey: parsed.api_key,
    maxQueue: parsed.max_queue,
    requestTimeoutSeconds: parsed.request_timeout,
    maxBodyBytes: parsed.max_body_bytes,
    corsOrigins: parsed.cors_origins,
    slots: parsed.parallel ?? undefined,
    host: "127.0.0.1",
    port: 0,
    ...options,
  });
  const baseURL = `${served.url}/v1`;
  return {
    served,
    baseURL,
    client: new OpenAI({ baseURL, apiKey: parsed.api_key ?? "unused", maxRetries: 0 }),
    post: (path, body, headers = {}) => postJson(`${served.url}${path}`, body, headers),
    close: () => served.shutdown(),
  };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The `data:` payloads of a server-sent event stream, in order (`[DONE]` as the string). */
export function sseEvents(text: string): unknown[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => {
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? data : JSON.parse(data);
    });
}

/**
 * A backend that counts its open sequences (to see that a cancelled request frees its own) and
 * can hold every generate call at a gate until the test opens it (to fill slots and queues
 * with requests that are still running).
 */
export interface WatchedBackend extends Backend {
  readonly openSequences: number;
  readonly openedSequences: number;
  /** Hold generate calls from now on until `open()`. */
  closeGate(): void;
  openGate(): void;
  /** Resolves when `count` sequences are open. */
  whenOpen(count: number): Promise<void>;
}

export function watchBackend(inner: Backend): WatchedBackend {
  let open = 0;
  let opened = 0;
  let gate: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const waiters: { count: number; resolve: () => void }[] = [];
  const notify = () => {
    for (const waiter of waiters.splice(0)) {
      if (open >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const watch = (sequence: GenerationSequence): GenerationSequence => {
    let disposed = false;
    const dispose = async () => {
      if (!disposed) {
        disposed = true;
        open--;
      }
      await sequence.dispose();
    };
    return {
      get text() {
        return sequence.text;
      },
      get promptTokens() {
        return sequence.promptTokens;
      },
      get evaluatedTokens() {
        return sequence.evaluatedTokens;
      },
      async generate(request) {
        // A held call still hears its abort, as a real backend's would.
        if (gate && request.signal) {
          const signal = request.signal;
          await Promise.race([
            gate,
            new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve())),
          ]);
        } else {
          await gate;
        }
        return sequence.generate(request);
      },
      append: (text, options) => sequence.append(text, options),
      probe: (text, request) => sequence.probe(text, request),
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  };
  return {
    get description() {
      return inner.description;
    },
    get capabilities() {
      return inner.capabilities;
    },
    get warnings() {
      return inner.warnings;
    },
    get openSequences() {
      return open;
    },
    get openedSequences() {
      return opened;
    },
    renderChat: (messages) => inner.renderChat(messages),
    countTokens: (text, options) => inner.countTokens(text, options),
    async openSequence(prompt, options) {
      const sequence = await inner.openSequence(prompt, options);
      open++;
      opened++;
      notify();
      return watch(sequence);
    },
    closeGate() {
      gate ??= new Promise<void>((resolve) => (release = resolve));
    },
    openGate() {
      release?.();
      gate = undefined;
    },
    whenOpen(count) {
      return new Promise<void>((resolve) => {
        waiters.push({ count, resolve });
        notify();
      });
    },
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
}
