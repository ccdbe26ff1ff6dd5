/**
 * `m1 serve`: budget forcing as an OpenAI-compatible service (docs/serve.md). The CLI builds the
 * config and the backend; this module does the rest.
 */
export { ApiError, type ApiErrorBody } from "./api-error.js";
export {
  DEFAULT_EFFORT_BUDGETS,
  DEFAULT_EMBEDDED_PARALLEL,
  requestDefaultsOf,
  serveConfigSchema,
  type RequestDefaults,
  type ServeConfig,
} from "./config.js";
export {
  buildServeApp,
  startServe,
  type RunningServe,
  type ServeApp,
  type ServeOptions,
} from "./server.js";
export { startLine } from "./start-line.js";
