/**
 * HTTP plumbing shared by the OpenAI-compatible backend, curation's chat client, the server
 * launcher and the hub: requests with typed failures, retries with backoff that honour
 * Retry-After, and server-sent events. It knows nothing of models (lint keeps it so).
 */
export {
  ConnectionFailedError,
  MalformedResponseError,
  RequestTimeoutError,
  failureKind,
  retryAfterSeconds,
  serverErrorMessage,
} from "./failures.js";
export {
  createHttpAgents,
  describeCall,
  httpExchange,
  parseJsonBody,
  readBodyText,
  requestJson,
  type HttpAgents,
  type HttpCall,
  type OpenResponse,
} from "./http.js";
export {
  DEFAULT_RETRY_SETTINGS,
  retryDelayMs,
  retryNotices,
  sleep,
  withRetries,
  type RetryEvent,
  type RetryHooks,
  type RetrySettings,
} from "./retry.js";
export { serverSentEventData } from "./sse.js";
