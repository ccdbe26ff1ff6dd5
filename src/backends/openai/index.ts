export { createOpenAICompatibleBackend, type OpenAICompatibleBackendOptions } from "./backend.js";
export type { RetryEvent } from "./completion-client.js";
export {
  ConnectionFailedError,
  DEFAULT_RETRY_SETTINGS,
  type RetrySettings,
} from "../../net/index.js";
export { parseServerUrl, type ServerEndpoint } from "./server-pool.js";
export {
  connectServerTokenCounter,
  createServerTokenizer,
  createTokenCounter,
  detectServerTokenizer,
  type ServerTokenizerSource,
  type TokenizeDialect,
} from "./server-tokenizer.js";
export {
  QWEN25_CHAT_TEMPLATE,
  QWEN25_DEFAULT_SYSTEM_PROMPT,
  qwen25ChatTemplate,
} from "./qwen-chat-template.js";
