import http from "node:http";
import https from "node:https";
import { CancelledError, M1Error } from "../errors.js";
import {
  ConnectionFailedError,
  MalformedResponseError,
  RequestTimeoutError,
  clip,
  errorFromStatus,
} from "./failures.js";

/**
 * HTTP on node:http rather than fetch: fetch's dispatcher gives up waiting for response headers
 * after 300 s, while a non-streamed 8K-token completion may take longer (m1 allows 600 s). Every
 * failure comes out typed: CancelledError (the caller's signal), BackendCallError for a status
 * (retryable for 408, 409, 429, 5xx, with the server's Retry-After), RequestTimeoutError,
 * ConnectionFailedError or MalformedResponseError (see failures.ts).
 */

/** Connect-phase failures: nothing listens there (any more). */
const SERVER_DOWN_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ETIMEDOUT",
]);

/** Keep-alive connection pools, one per client, destroyed when it closes. */
export interface HttpAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

export function createHttpAgents(): HttpAgents {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

export interface HttpCall {
  method: "GET" | "POST";
  url: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** More request headers (they win over the defaults). */
  headers?: Readonly<Record<string, string>>;
  /** The whole exchange, body included, must finish within this. */
  timeoutMs: number;
  signal?: AbortSignal;
  agents?: HttpAgents;
}

export interface OpenResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/**
 * Send one request; on a 2xx status hand the open response to `read`, otherwise throw the server's
 * error. `read` gets the exchange's signal (aborted on timeout or cancel) for any waiting it does.
 */
export async function httpExchange<T>(
  call: HttpCall,
  read: (response: OpenResponse) => Promise<T>,
): Promise<T> {
  if (call.signal?.aborted) throw new CancelledError();
  const deadline = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
  try {
    const response = await openRequest(call, signal);
    if (response.status < 200 || response.status >= 300) {
      const text = await readBodyText(response.body);
      throw errorFromStatus(describeCall(call), response.status, response.headers, text);
    }
    const result = await read(response);
    // The caller gave up while the body was read (it may have come in one piece): honour that.
    if (call.signal?.aborted) throw new CancelledError();
    return result;
  } catch (error) {
    throw classifyFailure(error, call, deadline);
  }
}

/** GET or POST and parse a JSON body; a 2xx body that is not JSON is a MalformedResponseError. */
export function requestJson(call: HttpCall): Promise<unknown> {
  return httpExchange(call, async (response) =>
    parseJsonBody(await readBodyText(response.body), describeCall(call), response.status),
  );
}

/** Parse a 2xx body as JSON, or throw a (retryable) MalformedResponseError naming the request. */
export function parseJsonBody(text: string, request: string, status?: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const shown = text.trim() === "" ? "an empty body" : `a body that is not JSON: ${clip(text)}`;
    throw new MalformedResponseError(`${request} returned ${shown}`, { status, cause: error });
  }
}

export async function readBodyText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** `POST http://host/v1/completions`, as messages name a request. */
export function describeCall(call: Pick<HttpCall, "method" | "url">): string {
  return `${call.method} ${call.url}`;
}

function openRequest(call: HttpCall, signal: AbortSignal): Promise<OpenResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(call.url);
    const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
    Object.assign(headers, call.headers);
    const secure = url.protocol === "https:";
    const agent = secure ? call.agents?.https : call.agents?.http;
    // The signal is watched here rather than given to node: node destroys an aborted request
    // with an error, which its kept-alive socket then emits with nobody listening (a crash) when
    // the body had already arrived. Destroyed without an error, the exchange simply stops.
    const request = (secure ? https : http).request(
      url,
      { method: call.method, headers, agent },
      (response) => {
        // Errors while reading reach the reader; none may go unheard once it has stopped.
        response.on("error", () => {});
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response });
      },
    );
    const stop = () => request.destroy();
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    request.once("close", () => signal.removeEventListener("abort", stop));
    request.on("error", reject);
    request.end(payload);
  });
}

function classifyFailure(error: unknown, call: HttpCall, deadline: AbortSignal): M1Error {
  if (call.signal?.aborted) return new CancelledError();
  if (error instanceof M1Error) return error;
  if (deadline.aborted) {
    return new RequestTimeoutError(
      `${describeCall(call)} timed out after ${call.timeoutMs / 1000} s`,
      { cause: error },
    );
  }
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message ?? String(error);
  const reason =
    code === "ECONNRESET" || message === "aborted"
      ? `the connection was dropped (${message})`
      : message;
  return new ConnectionFailedError(`${describeCall(call)} failed: ${reason}`, {
    serverDown: code !== undefined && SERVER_DOWN_CODES.has(code),
    cause: error,
  });
}
