import http from "node:http";
import https from "node:https";
import { BackendCallError, CancelledError, M1Error, isRetryableStatus } from "../errors.js";

/**
 * HTTP for the OpenAI-compatible backend, on node:http rather than fetch: fetch's dispatcher gives
 * up waiting for response headers after 300 s, while a non-streamed 8K-token completion may take
 * longer (m1 allows 600 s). Every failure comes out as one of three errors: CancelledError (our
 * signal), BackendCallError (a status, a timeout, a bad body) or ConnectionFailedError.
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

/** The connection failed or was dropped: always retryable. */
export class ConnectionFailedError extends BackendCallError {
  /**
   * True when the server could not be reached at all (refused, unknown host): the pool then stops
   * sending it work for a while. A dropped connection (e.g. a kept-alive socket the server had just
   * closed) is only retried.
   */
  readonly serverDown: boolean;

  constructor(message: string, options: { serverDown: boolean; cause?: unknown }) {
    super(message, { isRetryable: true, cause: options.cause });
    this.serverDown = options.serverDown;
  }
}

/** Keep-alive connection pools, one per backend, destroyed when it closes. */
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
  apiKey?: string;
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
      throw errorFromStatus(call, response.status, response.headers, text);
    }
    return await read(response);
  } catch (error) {
    throw classifyFailure(error, call, deadline);
  }
}

/** GET or POST and parse a JSON body. */
export function requestJson(call: HttpCall): Promise<unknown> {
  return httpExchange(call, async (response) => {
    const text = await readBodyText(response.body);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BackendCallError(
        `${call.method} ${call.url} returned a body that is not JSON: ${clip(text)}`,
        { status: response.status, isRetryable: false },
      );
    }
  });
}

export async function readBodyText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
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
    const secure = url.protocol === "https:";
    const agent = secure ? call.agents?.https : call.agents?.http;
    const request = (secure ? https : http).request(
      url,
      { method: call.method, headers, agent, signal },
      (response) =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response }),
    );
    request.on("error", reject);
    request.end(payload);
  });
}

function classifyFailure(error: unknown, call: HttpCall, deadline: AbortSignal): M1Error {
  if (call.signal?.aborted) return new CancelledError();
  if (error instanceof M1Error) return error;
  if (deadline.aborted) {
    return new BackendCallError(
      `${call.method} ${call.url} timed out after ${formatSeconds(call.timeoutMs)}`,
      { isRetryable: true, cause: error },
    );
  }
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message ?? String(error);
  const reason =
    code === "ECONNRESET" || message === "aborted"
      ? `the connection was dropped (${message})`
      : message;
  return new ConnectionFailedError(`${call.method} ${call.url} failed: ${reason}`, {
    serverDown: code !== undefined && SERVER_DOWN_CODES.has(code),
    cause: error,
  });
}

function errorFromStatus(
  call: HttpCall,
  status: number,
  headers: http.IncomingHttpHeaders,
  bodyText: string,
): BackendCallError {
  const serverMessage = serverErrorMessage(bodyText) || http.STATUS_CODES[status] || "no message";
  return new BackendCallError(
    `${call.method} ${call.url} failed with ${status}: ${serverMessage}`,
    {
      status,
      isRetryable: isRetryableStatus(status),
      retryAfterSeconds: retryAfterSeconds(headers),
    },
  );
}

/** The message inside the error bodies of OpenAI, vLLM, SGLang, llama.cpp and FastAPI. */
export function serverErrorMessage(bodyText: string): string {
  const text = bodyText.trim();
  if (text === "") return "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return clip(text);
  }
  const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const error = record.error;
  if (typeof error === "object" && error !== null) {
    const message = (error as Record<string, unknown>).message;
    if (typeof message === "string") return clip(message);
  }
  if (typeof error === "string") return clip(error);
  if (typeof record.message === "string") return clip(record.message);
  const detail = record.detail;
  if (typeof detail === "string") return clip(detail);
  if (Array.isArray(detail)) {
    const parts = detail.map((entry) => {
      const item = (entry ?? {}) as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(item.loc) ? `${item.loc.join(".")}: ` : "";
      return `${where}${typeof item.msg === "string" ? item.msg : JSON.stringify(entry)}`;
    });
    return clip(parts.join("; "));
  }
  return clip(text);
}

/** Seconds to wait from `retry-after-ms` (OpenAI) or `retry-after` (seconds or an HTTP date). */
export function retryAfterSeconds(
  headers: http.IncomingHttpHeaders,
  now: number = Date.now(),
): number | undefined {
  const milliseconds = Number(headerValue(headers["retry-after-ms"]));
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(milliseconds) && milliseconds >= 0)
    return milliseconds / 1000;
  const value = headerValue(headers["retry-after"])?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function clip(text: string, limit = 400): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > limit ? `${oneLine.slice(0, limit)}...` : oneLine;
}

function formatSeconds(milliseconds: number): string {
  return `${milliseconds / 1000} s`;
}
