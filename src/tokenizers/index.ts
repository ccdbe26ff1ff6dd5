import { BackendCallError, BackendSetupError, M1Error } from "../errors.js";
import { parseServerUrl } from "../backends/openai/server-pool.js";
import type { HttpAgents } from "../net/http.js";
import type { RetrySettings } from "../net/retry.js";
import { withCountCache } from "./count-cache.js";
import { loadGgufVocabulary } from "./gguf-vocabulary.js";
import { detectServerTokenizer } from "./server-tokenizer.js";
import { loadTokenizerJson } from "./tokenizer-json.js";
import type { TokenCounter } from "./types.js";

export type { TokenCounter } from "./types.js";
export { withCountCache } from "./count-cache.js";
export { loadTokenizerJson } from "./tokenizer-json.js";
export { loadGgufVocabulary } from "./gguf-vocabulary.js";
export {
  createServerTokenizer,
  detectServerTokenizer,
  type TokenizeDialect,
} from "./server-tokenizer.js";

export const TOKENIZER_FLAG_FIX =
  "pass the model's tokenizer.json, the model folder holding it, or its .gguf file (--tokenizer; tokenizer_path in m1 eval)";

/**
 * A local tokenizer, chosen by the path: a `.gguf` file uses its vocabulary, anything else is a
 * Hugging Face `tokenizer.json` or a folder holding one. Counts of short strings are cached.
 */
export async function loadLocalTokenCounter(path: string): Promise<TokenCounter> {
  const counter = path.toLowerCase().endsWith(".gguf")
    ? await loadGgufVocabulary(path)
    : loadTokenizerJson(path);
  return withCountCache(counter);
}

export interface ServerTokenizerSource {
  /** One base URL or several (the same model behind each), e.g. `http://127.0.0.1:8000/v1`. */
  baseUrls: string | readonly string[];
  /** The served model name (vLLM checks it on /tokenize). */
  modelName: string;
  apiKey?: string;
  timeoutMs?: number;
  retry?: RetrySettings;
  agents?: HttpAgents;
}

/**
 * The server's `POST /tokenize` (vLLM/SGLang or llama.cpp shape, detected), with counts of short
 * strings cached. A server without it is a BackendSetupError telling the user to pass --tokenizer.
 */
export async function connectServerTokenCounter(
  source: ServerTokenizerSource,
  options: { signal?: AbortSignal } = {},
): Promise<TokenCounter> {
  const urls = typeof source.baseUrls === "string" ? [source.baseUrls] : source.baseUrls;
  const servers = urls.map(parseServerUrl);
  const where = servers.map((server) => server.root).join(", ");
  let counter: TokenCounter | undefined;
  try {
    counter = await detectServerTokenizer({ ...source, servers }, options);
  } catch (error) {
    if (error instanceof M1Error && !(error instanceof BackendCallError)) throw error;
    throw new BackendSetupError(
      `cannot ask ${where} for /tokenize: ${(error as Error).message}`,
      TOKENIZER_FLAG_FIX,
      { cause: error },
    );
  }
  if (!counter) {
    throw new BackendSetupError(
      `the server at ${where} has no /tokenize endpoint, and m1 must count the tokens of the text it inserts (Wait, answer prefixes)`,
      TOKENIZER_FLAG_FIX,
    );
  }
  return withCountCache(counter);
}

/**
 * What `m1 ask`/`m1 eval` use: `--tokenizer PATH` when given (local), else the server's /tokenize.
 */
export async function createTokenCounter(
  source: { tokenizerPath?: string; server?: ServerTokenizerSource },
  options: { signal?: AbortSignal } = {},
): Promise<TokenCounter> {
  if (source.tokenizerPath) return loadLocalTokenCounter(source.tokenizerPath);
  if (source.server) return connectServerTokenCounter(source.server, options);
  throw new BackendSetupError("no tokenizer to count tokens with", TOKENIZER_FLAG_FIX);
}
