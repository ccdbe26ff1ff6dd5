import http from "node:http";
import { BackendCallError, isRetryableStatus } from "../errors.js";

/**
 * The ways an HTTP call fails, as typed BackendCallErrors. `isRetryable` follows HTTP semantics:
 * 408, 409, 429 and 5xx statuses, timeouts, connection failures, and 2xx bodies that are not what
 * the API promises (proxies under load send truncated or empty ones) are worth another attempt.
 */

/** The connection failed or was dropped: always retryable. */
export class ConnectionFailedError extends BackendCallError {
  /**
   * True when the server could not be reached at all (refused, unknown host): a pool then stops
   * sending it work for a while. A dropped connection (e.g. a kept-alive socket the server had just
   * closed) is only retried.
   */
  readonly serverDown: boolean;

  constructor(message: string, options: { serverDown: boolean; cause?: unknown }) {
    super(message, { isRetryable: true, cause: options.cause });
    this.serverDown = options.serverDown;
  }
}

/** The whole exchange, body included, took longer than its limit: retryable. */
export class RequestTimeoutError extends BackendCallError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { isRetryable: true, cause: options.cause });
  }
}

/**
 * A 2xx answer whose body is not what the API promises (not JSON, no `choices`, a stream cut
 * short): retried like a dropped connection, since it is most often a proxy or server under load.
 */
export class MalformedResponseError extends BackendCallError {
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { status: options.status, isRetryable: true, cause: options.cause });
  }
}

/** The error for a non-2xx answer, with the server's own message and its Retry-After. */
export function errorFromStatus(
  request: string,
  status: number,
  headers: http.IncomingHttpHeaders,
  bodyText: string,
): BackendCallError {
  const serverMessage = serverErrorMessage(bodyText) || http.STATUS_CODES[status] || "no message";
  return new BackendCallError(`${request} failed with ${status}: ${serverMessage}`, {
    status,
    isRetryable: isRetryableStatus(status),
    retryAfterSeconds: retryAfterSeconds(headers),
  });
}

/**
 * What kind of failure this is, in a few words, the same for every request that failed the same
 * way (no URL, no per-request detail): "503 Service Unavailable", "the connection was dropped".
 * Used to tell the user about each kind once, not once per attempt.
 */
export function failureKind(error: BackendCallError): string {
  if (error instanceof MalformedResponseError) return "malformed response";
  if (error instanceof RequestTimeoutError) return "timeout";
  if (error instanceof ConnectionFailedError)
    return error.serverDown ? "server unreachable" : "connection dropped";
  if (error.status !== undefined) {
    return `${error.status} ${http.STATUS_CODES[error.status] ?? ""}`.trim();
  }
  return error.message;
}

/**
 * The message inside the error bodies of OpenAI, vLLM, SGLang, llama.cpp and FastAPI, on one line.
 * A message the server wrote is kept whole (up to a limit far above real ones): it is what the user
 * needs to read, e.g. a context limit with its numbers. A body that is not JSON (an HTML page from
 * a proxy) is cut short.
 */
export function serverErrorMessage(bodyText: string): string {
  const text = bodyText.trim();
  if (text === "") return "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return clip(text);
  }
  const whole = (message: string) => clip(message, SERVER_MESSAGE_LIMIT);
  const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const error = record.error;
  if (typeof error === "object" && error !== null) {
    const message = (error as Record<string, unknown>).message;
    if (typeof message === "string") return whole(message);
  }
  if (typeof error === "string") return whole(error);
  if (typeof record.message === "string") return whole(record.message);
  const detail = record.detail;
  if (typeof detail === "string") return whole(detail);
  if (Array.isArray(detail)) {
    const parts = detail.map((entry) => {
      const item = (entry ?? {}) as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(item.loc) ? `${item.loc.join(".")}: ` : "";
      return `${where}${typeof item.msg === "string" ? item.msg : JSON.stringify(entry)}`;
    });
    return whole(parts.join("; "));
  }
  return clip(text);
}

const SERVER_MESSAGE_LIMIT = 4000;

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

/** A text on one line, cut to `limit` characters (server bodies can be whole HTML pages). */
export function clip(text: string, limit = 400): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > limit ? `${oneLine.slice(0, limit)}...` : oneLine;
}
