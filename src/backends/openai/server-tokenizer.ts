import { BackendCallError, BackendSetupError, M1Error } from "../../errors.js";
import {
  ConnectionFailedError,
  DEFAULT_RETRY_SETTINGS,
  requestJson,
  withRetries,
  type HttpAgents,
  type RetrySettings,
} from "../../net/index.js";
import {
  TOKENIZER_FLAG_FIX,
  loadLocalTokenCounter,
  withCountCache,
  type TokenCounter,
} from "../../tokenizers/index.js";
import { parseServerUrl, type ServerEndpoint } from "./server-pool.js";

/**
 * The two shapes of `POST /tokenize` in the wild:
 * - "vllm" (vLLM, SGLang): `{model, prompt, add_special_tokens}` -> `{count, tokens, ...}`;
 * - "llama.cpp" (llama.cpp server): `{content, add_special, parse_special}` -> `{tokens}`.
 * Both parse special-token text in the string as special tokens, as HF's encode does.
 */
export type TokenizeDialect = "vllm" | "llama.cpp";

export interface ServerTokenizerOptions {
  /** Servers to ask, in order; the next one is used when one cannot be reached. */
  servers: readonly ServerEndpoint[];
  /** Sent as `model` in vLLM's form (vLLM checks it). */
  modelName: string;
  apiKey?: string;
  timeoutMs?: number;
  retry?: RetrySettings;
  agents?: HttpAgents;
}

type Json = Record<string, unknown>;

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

/**
 * Find out whether the servers count tokens, and in which dialect. Resolves to undefined when no
 * server has `/tokenize` (a 404 or a reply of neither shape).
 */
export async function detectServerTokenizer(
  options: ServerTokenizerOptions,
  callOptions: { signal?: AbortSignal } = {},
): Promise<TokenCounter | undefined> {
  let lastConnectionError: ConnectionFailedError | undefined;
  for (const server of options.servers) {
    try {
      const dialect = await probeDialect(server, options, callOptions.signal);
      return dialect ? createServerTokenizer(options, dialect) : undefined;
    } catch (error) {
      if (!(error instanceof ConnectionFailedError)) throw error;
      lastConnectionError = error;
    }
  }
  throw lastConnectionError ?? new BackendSetupError("no server to ask for /tokenize");
}

/** A counter on `/tokenize` of a known dialect (no probing). */
export function createServerTokenizer(
  options: ServerTokenizerOptions,
  dialect: TokenizeDialect,
): TokenCounter {
  const retry = options.retry ?? DEFAULT_RETRY_SETTINGS;
  let serverIndex = 0;
  // Each call goes to the current server and moves on to the next one it cannot reach.
  const call = <T>(work: (server: ServerEndpoint) => Promise<T>, signal?: AbortSignal) =>
    withRetries(
      async () => {
        const server = options.servers[serverIndex % options.servers.length]!;
        try {
          return await work(server);
        } catch (error) {
          if (error instanceof ConnectionFailedError) serverIndex++;
          throw error;
        }
      },
      retry,
      {
        signal,
        retryAtOnce: (error) =>
          error instanceof ConnectionFailedError && options.servers.length > 1,
      },
    );
  return {
    description: `server /tokenize (${dialect}): ${options.servers.map((s) => s.root).join(", ")}`,
    async countTokens(text, callOptions = {}) {
      if (text.length === 0) return 0;
      return call(
        (server) => tokenizeCount(server, options, dialect, text, callOptions.signal),
        callOptions.signal,
      );
    },
    async tokenize(text, callOptions = {}) {
      if (text.length === 0) return [];
      return call(
        (server) => tokenizeIds(server, options, dialect, text, callOptions.signal),
        callOptions.signal,
      );
    },
    async detokenize(ids, callOptions = {}) {
      if (ids.length === 0) return "";
      return call(
        (server) => detokenizeIds(server, options, dialect, ids, callOptions.signal),
        callOptions.signal,
      );
    },
    async close() {},
  };
}

async function probeDialect(
  server: ServerEndpoint,
  options: ServerTokenizerOptions,
  signal: AbortSignal | undefined,
): Promise<TokenizeDialect | undefined> {
  for (const dialect of ["vllm", "llama.cpp"] as const) {
    try {
      const reply = await postTokenize(server, options, dialect, "Wait", signal);
      if (readCount(reply, dialect) !== undefined) return dialect;
    } catch (error) {
      // A 4xx means "not this endpoint or not this shape"; anything else is a real failure.
      const status = error instanceof BackendCallError ? error.status : undefined;
      if (status === undefined || status < 400 || status >= 500) throw error;
    }
  }
  return undefined;
}

async function tokenizeCount(
  server: ServerEndpoint,
  options: ServerTokenizerOptions,
  dialect: TokenizeDialect,
  text: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const reply = await postTokenize(server, options, dialect, text, signal);
  const count = readCount(reply, dialect);
  if (count === undefined) {
    throw new BackendCallError(
      `POST ${server.root}/tokenize returned no token list: ${JSON.stringify(reply).slice(0, 200)}`,
      { isRetryable: false },
    );
  }
  return count;
}

async function tokenizeIds(
  server: ServerEndpoint,
  options: ServerTokenizerOptions,
  dialect: TokenizeDialect,
  text: string,
  signal: AbortSignal | undefined,
): Promise<number[]> {
  const reply = await postTokenize(server, options, dialect, text, signal);
  const tokens = (reply as Json | null)?.tokens;
  if (!Array.isArray(tokens) || !tokens.every((id) => Number.isInteger(id))) {
    throw new BackendCallError(
      `POST ${server.root}/tokenize returned no token ids: ${JSON.stringify(reply).slice(0, 200)}`,
      { isRetryable: false },
    );
  }
  return tokens as number[];
}

/** vLLM/SGLang: `{model, tokens}` -> `{prompt}`; llama.cpp: `{tokens}` -> `{content}`. */
async function detokenizeIds(
  server: ServerEndpoint,
  options: ServerTokenizerOptions,
  dialect: TokenizeDialect,
  ids: readonly number[],
  signal: AbortSignal | undefined,
): Promise<string> {
  const reply = await requestJson({
    method: "POST",
    url: `${server.root}/detokenize`,
    body: dialect === "vllm" ? { model: options.modelName, tokens: ids } : { tokens: ids },
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 60_000,
    signal,
    agents: options.agents,
  });
  const text = (reply as Json | null)?.[dialect === "vllm" ? "prompt" : "content"];
  if (typeof text !== "string") {
    throw new BackendCallError(
      `POST ${server.root}/detokenize returned no text: ${JSON.stringify(reply).slice(0, 200)}`,
      { isRetryable: false },
    );
  }
  return text;
}

function postTokenize(
  server: ServerEndpoint,
  options: ServerTokenizerOptions,
  dialect: TokenizeDialect,
  text: string,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const body =
    dialect === "vllm"
      ? { model: options.modelName, prompt: text, add_special_tokens: false }
      : { content: text, add_special: false, parse_special: true };
  return requestJson({
    method: "POST",
    url: `${server.root}/tokenize`,
    body,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 60_000,
    signal,
    agents: options.agents,
  });
}

/**
 * vLLM answers with `count` and `tokens`; llama.cpp with `tokens` only, and with an empty list when
 * it was sent vLLM's shape (no `content`), which is how the probe tells them apart.
 */
function readCount(reply: unknown, dialect: TokenizeDialect): number | undefined {
  if (typeof reply !== "object" || reply === null) return undefined;
  const { count, tokens } = reply as Json;
  if (dialect === "vllm") {
    if (typeof count === "number") return count;
    return undefined;
  }
  return Array.isArray(tokens) && tokens.length > 0 ? tokens.length : undefined;
}
