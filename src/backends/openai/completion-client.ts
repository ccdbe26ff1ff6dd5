import {
  ConnectionFailedError,
  describeCall,
  httpExchange,
  parseJsonBody,
  readBodyText,
  withRetries,
  type HttpAgents,
  type OpenResponse,
  type RetryEvent as NetRetryEvent,
  type RetrySettings,
} from "../../net/index.js";
import {
  completionRequestBody,
  parseCompletionResponse,
  readCompletionStream,
  type CompletionCall,
  type CompletionOutcome,
} from "./completions.js";
import type { ServerEndpoint, ServerPool } from "./server-pool.js";

/** A sequence's hold on one server; moved to another when its server stops answering. */
export interface ServerPin {
  server: ServerEndpoint;
}

/** A retry of a completion call, and the server it went to. */
export interface RetryEvent extends NetRetryEvent {
  server: string;
}

export interface CompletionClientSettings {
  pool: ServerPool;
  apiKey?: string;
  requestTimeoutMs: number;
  retry: RetrySettings;
  agents: HttpAgents;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * `POST /v1/completions` with retries and failover. A sequence stays on its pinned server (so the
 * server's prefix cache holds its text); only when that server fails to connect does the pin move
 * to the next healthy one, which costs one cache miss and nothing else, since every request
 * carries the whole text.
 */
export class CompletionClient {
  constructor(private readonly settings: CompletionClientSettings) {}

  async complete(
    pin: ServerPin,
    call: CompletionCall,
    options: { signal?: AbortSignal; onText?: (text: string) => void } = {},
  ): Promise<CompletionOutcome> {
    // Text already shown through onText: a retried stream only shows what lies beyond it.
    let shownLength = 0;
    return this.post(
      pin,
      {
        url: (server) => `${server.apiBase}/completions`,
        body: completionRequestBody(call),
        read: async (response, url) => {
          if (!call.stream) return parseCompletionResponse(await readJson(response, url), url);
          let attemptText = "";
          return readCompletionStream(response.body, url, (piece) => {
            attemptText += piece;
            if (attemptText.length <= shownLength) return;
            options.onText?.(attemptText.slice(shownLength));
            shownLength = attemptText.length;
          });
        },
      },
      options,
    );
  }

  /** POST a JSON body to the pinned server with retries and failover; `read` takes the 2xx response. */
  async post<T>(
    pin: ServerPin,
    request: {
      url: (server: ServerEndpoint) => string;
      body: unknown;
      read: (response: OpenResponse, url: string) => Promise<T>;
    },
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const { pool, retry } = this.settings;
    return withRetries(
      async () => {
        if (!pool.isHealthy(pin.server)) pin.server = pool.next();
        const server = pin.server;
        const url = request.url(server);
        try {
          const outcome = await httpExchange(
            {
              method: "POST",
              url,
              body: request.body,
              apiKey: this.settings.apiKey,
              timeoutMs: this.settings.requestTimeoutMs,
              signal: options.signal,
              agents: this.settings.agents,
            },
            (response) => request.read(response, url),
          );
          pool.markHealthy(server);
          return outcome;
        } catch (error) {
          if (error instanceof ConnectionFailedError && error.serverDown)
            pool.markUnhealthy(server);
          throw error;
        }
      },
      retry,
      {
        signal: options.signal,
        // Go again at once after a server went down while another is up (failover), and after a
        // first dropped connection (most often a kept-alive socket the server had just closed).
        retryAtOnce: (error, retryNumber) =>
          error instanceof ConnectionFailedError &&
          (error.serverDown ? pool.healthyServers.length > 0 : retryNumber === 0),
        onRetry: (error, retryNumber, delayMs) =>
          this.settings.onRetry?.({
            error,
            retry: retryNumber,
            delayMs,
            server: pin.server.label,
          }),
      },
    );
  }
}

/** A 2xx body as JSON; one that is not JSON is a MalformedResponseError (retried like a drop). */
export async function readJson(response: OpenResponse, url: string): Promise<unknown> {
  return parseJsonBody(
    await readBodyText(response.body),
    describeCall({ method: "POST", url }),
    response.status,
  );
}
