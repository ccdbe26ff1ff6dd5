import { BackendCallError, BackendSetupError, CancelledError, M1Error } from "../errors.js";

/**
 * Errors as OpenAI's API sends them: `{error: {message, type, param, code}}` with the HTTP status
 * that says who must act (400 the request, 401 the key, 404 the model, 429/503 wait and retry).
 * Clients (the `openai` package, the AI SDK) turn these into their own typed errors.
 */
export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error";

export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly code: string | null,
    readonly param: string | null = null,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): ApiErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    };
  }
}

/** A bad parameter value or a bad body: 400, naming the parameter. */
export function invalidRequest(
  message: string,
  param: string | null,
  code = "invalid_value",
): ApiError {
  return new ApiError(400, message, "invalid_request_error", code, param);
}

export function unauthorized(message: string): ApiError {
  return new ApiError(401, message, "authentication_error", "invalid_api_key");
}

export function modelNotFound(requested: string, served: string): ApiError {
  return new ApiError(
    404,
    `the model '${requested}' is not served here (fix: use "model": "${served}", as GET /v1/models lists)`,
    "not_found_error",
    "model_not_found",
    "model",
  );
}

export function queueFull(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, message, "rate_limit_error", "queue_full", null, {
    "retry-after": String(retryAfterSeconds),
  });
}

export function shuttingDown(): ApiError {
  return new ApiError(
    503,
    "the server is shutting down and takes no new requests (fix: retry against another instance or after it restarts)",
    "server_error",
    "shutting_down",
  );
}

export function timedOut(seconds: number): ApiError {
  return new ApiError(
    504,
    `the request took longer than ${seconds} s and was cancelled (fix: lower thinking_budget, or start m1 serve with a larger --request-timeout)`,
    "server_error",
    "timeout",
  );
}

/**
 * Any failure as the client should see it. Our own errors keep their one-line message: a model
 * server that failed is 502, a backend that cannot work at all 503, anything else 500.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof BackendCallError) {
    return new ApiError(
      502,
      `the model server failed: ${error.message}`,
      "server_error",
      "upstream_error",
    );
  }
  if (error instanceof BackendSetupError) {
    return new ApiError(503, error.message, "server_error", "backend_unavailable");
  }
  if (error instanceof CancelledError) {
    return new ApiError(503, "the request was cancelled", "server_error", "cancelled");
  }
  if (error instanceof M1Error) return new ApiError(500, error.message, "server_error", null);
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(500, `internal error: ${message}`, "server_error", null);
}
