import { BackendCallError, BackendSetupError, CancelledError } from "../../errors.js";
import { connectServerTokenCounter } from "./server-tokenizer.js";
import type { TokenCounter } from "../../tokenizers/types.js";
import type { ChatTemplate } from "../chat-template.js";
import type {
  Backend,
  BackendCapabilities,
  ChatMessage,
  ContextLimit,
  GenerationSequence,
} from "../types.js";
import { CompletionClient, type RetryEvent, type ServerPin } from "./completion-client.js";
import {
  createHttpAgents,
  DEFAULT_RETRY_SETTINGS,
  type HttpAgents,
  type RetrySettings,
} from "../../net/index.js";
import { qwen25ChatTemplate } from "./qwen-chat-template.js";
import { LLAMA_CPP_COMPLETION_FIELDS } from "./llama-cpp-server.js";
import { HttpSequence } from "./sequence.js";
import { detectTokenIdProtocol, type TokenIdProtocol } from "./token-ids.js";
import { tokenSequenceContext } from "./token-id-cache.js";
import { TokenSequence, type TokenSequenceContext } from "./token-sequence.js";
import { ServerPool, parseServerUrl, type ServerEndpoint } from "./server-pool.js";
import {
  listServedModels,
  llamaCppProps,
  type LlamaCppProps,
  type ServedModel,
} from "./served-models.js";

export interface OpenAICompatibleBackendOptions {
  /** One base URL or several serving the same model, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrls: string | readonly string[];
  /** Bearer token; defaults to $OPENAI_API_KEY (local servers usually need none). */
  apiKey?: string;
  /** Served model name; defaults to the first model of `GET /v1/models`. */
  modelName?: string;
  /** The model's chat template; defaults to Qwen2.5's ChatML (m1's models), with a warning. */
  chatTemplate?: ChatTemplate;
  /**
   * Counts the strings the engine inserts. The backend owns it (closes it on close). Defaults to
   * the server's /tokenize; a server without one is a BackendSetupError asking for --tokenizer.
   */
  tokenizer?: TokenCounter;
  /** Limit for one request, body included (m1: 600 s). */
  requestTimeoutMs?: number;
  retry?: Partial<RetrySettings>;
  /** Stream (SSE, with usage) when the caller wants live text. Default true. */
  stream?: boolean;
  /** How long a server that failed to connect gets no new work. Default 30 s. */
  unhealthyCooldownMs?: number;
  /** Sequences that may generate at once. Default 64 per server. */
  maxParallelSequences?: number;
  /**
   * Ask for special tokens in the generated text (`skip_special_tokens: false`), so that stop
   * strings which are special tokens, like m1's `<|im_start|>`, are seen by vLLM as they are by
   * SGLang. Default true; turn off for servers that reject unknown fields.
   */
  keepSpecialTokens?: boolean;
  /** More fields for every completion request (they win over the backend's own). */
  extraBody?: Record<string, unknown>;
  /**
   * Keep each sequence as token ids (`exact_tokens`): id prompts, generated ids from the server,
   * inserted strings tokenized on their own, so nothing is re-tokenized between thinking, Wait and
   * answer. Needs llama.cpp's llama-server or vLLM 0.10.2+; other servers are a BackendSetupError.
   */
  exactTokens?: boolean;
  /** Told about every retry (to show "retrying in 2 s: 503 ..." to the user). */
  onRetry?: (event: RetryEvent) => void;
  /** Cancels start-up. */
  signal?: AbortSignal;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 600_000;
/** Start-up checks should fail fast: a server that takes this long to list models is not ready. */
const STARTUP_TIMEOUT_MS = 30_000;

/** The Backend, plus what the servers told us at start-up. */
export interface OpenAICompatibleBackend extends Backend {
  /** The served model name every request uses. */
  readonly modelName: string;
  /** The servers' OpenAI API bases, e.g. `http://127.0.0.1:8000/v1`. */
  readonly apiBases: readonly string[];
}

const NO_TEMPLATE_WARNING =
  "no chat template given: using Qwen2.5's ChatML template with its default system prompt (m1's models); pass --chat-template for other models";

/**
 * A Backend over one or several OpenAI-compatible servers (vLLM, SGLang, llama.cpp server). It
 * checks at start-up that a server answers and which model it serves, and finds a tokenizer.
 */
export async function createOpenAICompatibleBackend(
  options: OpenAICompatibleBackendOptions,
): Promise<OpenAICompatibleBackend> {
  const urls = typeof options.baseUrls === "string" ? [options.baseUrls] : [...options.baseUrls];
  const servers = urls.map(parseServerUrl);
  const pool = new ServerPool(servers, { cooldownMs: options.unhealthyCooldownMs });
  const apiKey = options.apiKey ?? (process.env.OPENAI_API_KEY || undefined);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const retry: RetrySettings = { ...DEFAULT_RETRY_SETTINGS, ...options.retry };
  const agents = createHttpAgents();
  const warnings: string[] = [];
  let tokenizer = options.tokenizer;

  try {
    const { modelName, contextLimit, llamaCppSlots } = await checkServers(servers, pool, {
      modelName: options.modelName,
      apiKey,
      agents,
      timeoutMs: Math.min(requestTimeoutMs, STARTUP_TIMEOUT_MS),
      signal: options.signal,
      warnings,
    });
    // The server's /tokenize, asked of the servers that answered.
    tokenizer ??= await connectServerTokenCounter(
      {
        baseUrls: pool.healthyServers.map((server) => server.label),
        modelName,
        apiKey,
        agents,
        retry,
        timeoutMs: requestTimeoutMs,
      },
      { signal: options.signal },
    );
    let chatTemplate = options.chatTemplate;
    if (!chatTemplate) {
      chatTemplate = qwen25ChatTemplate();
      warnings.push(NO_TEMPLATE_WARNING);
    }
    const client = new CompletionClient({
      pool,
      apiKey,
      requestTimeoutMs,
      retry,
      agents,
      onRetry: options.onRetry,
    });
    const first = pool.healthyServers[0]!;
    const extraBody = {
      ...(options.keepSpecialTokens === false
        ? {}
        : { skip_special_tokens: false, spaces_between_special_tokens: false }),
      ...(llamaCppSlots === undefined ? {} : LLAMA_CPP_COMPLETION_FIELDS),
      ...options.extraBody,
    };
    const tokenIds = options.exactTokens
      ? await detectTokenIdProtocol(client, first, {
          modelName,
          dialect: llamaCppSlots === undefined ? "vllm" : "llama.cpp",
          slots: llamaCppSlots,
          extraBody,
          signal: options.signal,
        })
      : undefined;
    return new HttpBackend({
      pool,
      agents,
      tokenizer,
      chatTemplate,
      modelName,
      warnings,
      contextLimit,
      client,
      tokenIds,
      stream: options.stream ?? true,
      extraBody,
      // With exact tokens on llama.cpp each sequence holds a slot, so no more can run at once.
      maxParallelSequences: Math.min(
        options.maxParallelSequences ?? 64 * servers.length,
        tokenIds?.dialect === "llama.cpp" ? (llamaCppSlots ?? 1) * servers.length : Infinity,
      ),
    });
  } catch (error) {
    agents.destroy();
    await tokenizer?.close();
    throw error;
  }
}

interface BackendParts {
  pool: ServerPool;
  agents: HttpAgents;
  tokenizer: TokenCounter;
  chatTemplate: ChatTemplate;
  modelName: string;
  warnings: string[];
  contextLimit?: ContextLimit;
  client: CompletionClient;
  /** Set when sequences are kept as token ids (`exactTokens`). */
  tokenIds?: TokenIdProtocol;
  stream: boolean;
  extraBody: Readonly<Record<string, unknown>>;
  maxParallelSequences: number;
}

class HttpBackend implements OpenAICompatibleBackend {
  readonly description: string;
  readonly capabilities: BackendCapabilities;
  private closed = false;
  private readonly tokenSequences?: TokenSequenceContext;
  /** Where counts outside a sequence are asked (moved by failover like a sequence's pin). */
  private readonly countPin: ServerPin;

  constructor(private readonly parts: BackendParts) {
    const where = parts.pool.servers.map((server) => server.apiBase).join(", ");
    const exact = parts.tokenIds ? `, exact tokens (${parts.tokenIds.dialect})` : "";
    this.description = `openai: ${where} (${parts.modelName}${exact})`;
    this.countPin = { server: parts.pool.servers[0]! };
    if (parts.tokenIds) {
      this.tokenSequences = tokenSequenceContext(parts.tokenIds, parts.modelName, parts.extraBody);
    }
    this.capabilities = {
      // A server cannot refuse a stop string for N tokens; the engine continues with Wait instead.
      stopSuppression: false,
      evaluatedTokens: false,
      maxParallelSequences: parts.maxParallelSequences,
    };
  }

  get warnings(): readonly string[] {
    return this.parts.warnings;
  }

  get modelName(): string {
    return this.parts.modelName;
  }

  get contextLimit(): ContextLimit | undefined {
    return this.parts.contextLimit;
  }

  get apiBases(): readonly string[] {
    return this.parts.pool.servers.map((server) => server.apiBase);
  }

  async renderChat(messages: readonly ChatMessage[]): Promise<string> {
    return this.parts.chatTemplate.render(messages);
  }

  async countTokens(text: string, options?: { signal?: AbortSignal }): Promise<number> {
    // Checked here too: a local tokenizer never looks at the signal.
    if (options?.signal?.aborted) throw new CancelledError();
    // With exact tokens, counts come from the same ids that append() inserts.
    if (this.tokenSequences) {
      return (await this.tokenSequences.insertedIds(this.countPin, text, options?.signal)).length;
    }
    return this.parts.tokenizer.countTokens(text, options);
  }

  get tokenize(): Backend["tokenize"] {
    const { tokenizer } = this.parts;
    return tokenizer.tokenize?.bind(tokenizer);
  }

  get detokenize(): Backend["detokenize"] {
    const { tokenizer } = this.parts;
    return tokenizer.detokenize?.bind(tokenizer);
  }

  async openSequence(
    prompt: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<GenerationSequence> {
    if (this.closed) throw new BackendSetupError("the backend was closed");
    if (options.signal?.aborted) throw new CancelledError();
    const { parts } = this;
    if (this.tokenSequences) {
      return TokenSequence.open(
        prompt,
        { server: parts.pool.next() },
        this.tokenSequences,
        options.signal,
      );
    }
    return new HttpSequence(
      prompt,
      { server: parts.pool.next() },
      {
        client: parts.client,
        tokenizer: parts.tokenizer,
        modelName: parts.modelName,
        stream: parts.stream,
        extraBody: parts.extraBody,
        warnOnce: (message) => {
          if (!parts.warnings.includes(message)) parts.warnings.push(message);
        },
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.parts.agents.destroy();
    await this.parts.tokenizer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Ask every server for its models. Unreachable servers are marked down (with a warning) as long as
 * one answers; none answering is a BackendSetupError. Resolves to the model name to use, the
 * smallest context limit the servers tell (vLLM/SGLang `max_model_len`, llama.cpp's slot size),
 * and the first answering server's llama.cpp slots (undefined when it is not llama.cpp's server).
 */
async function checkServers(
  servers: readonly ServerEndpoint[],
  pool: ServerPool,
  settings: {
    modelName?: string;
    apiKey?: string;
    agents: HttpAgents;
    timeoutMs: number;
    signal?: AbortSignal;
    warnings: string[];
  },
): Promise<{ modelName: string; contextLimit?: ContextLimit; llamaCppSlots?: number }> {
  const results = await Promise.allSettled(
    servers.map((server) => listServedModels(server, settings)),
  );
  if (settings.signal?.aborted) throw new CancelledError();
  const answered: { server: ServerEndpoint; models: ServedModel[] | undefined }[] = [];
  results.forEach((result, index) => {
    const server = servers[index]!;
    if (result.status === "fulfilled") {
      answered.push({ server, models: result.value });
      return;
    }
    pool.markUnhealthy(server);
    settings.warnings.push(
      `${server.label} is not answering, it gets no work for now: ${describe(result.reason)}`,
    );
  });
  if (answered.length === 0) throw startupFailure(servers, results[0]!);

  const modelName = settings.modelName ?? listedModelName(answered);
  for (const { server, models } of settings.modelName ? answered : []) {
    const ids = models?.map((model) => model.id) ?? [];
    if (ids.length > 0 && !ids.includes(modelName)) {
      throw new BackendSetupError(
        `${server.label} does not serve the model '${modelName}' (it serves: ${ids.join(", ")})`,
        `pass --model-name ${ids[0]} (model_name in m1 eval), or leave it out to use the served model`,
      );
    }
  }
  // One /props read per server that lists no max_model_len (llama.cpp's does not): its slot
  // context is the limit, and the first server's slot count decides how sequences are lent slots.
  const told = await Promise.all(
    answered.map((entry) => serverContextLimit(entry, modelName, settings)),
  );
  let contextLimit: ContextLimit | undefined;
  for (const { limit } of told) {
    if (limit && (!contextLimit || limit.tokens < contextLimit.tokens)) contextLimit = limit;
  }
  return { modelName, contextLimit, llamaCppSlots: told[0]!.llamaCpp?.slots };
}

function listedModelName(
  answered: readonly { server: ServerEndpoint; models: ServedModel[] | undefined }[],
): string {
  const listed = answered.find((entry) => entry.models && entry.models.length > 0);
  if (!listed?.models) {
    throw new BackendSetupError(
      `${answered[0]!.server.label} lists no models at /v1/models`,
      "pass the served model name with --model",
    );
  }
  return listed.models[0]!.id;
}

/** A server's limit: its max_model_len, else (asked at /props) its llama.cpp slot size. */
async function serverContextLimit(
  { server, models }: { server: ServerEndpoint; models: ServedModel[] | undefined },
  modelName: string,
  settings: { apiKey?: string; agents: HttpAgents; timeoutMs: number; signal?: AbortSignal },
): Promise<{ limit?: ContextLimit; llamaCpp?: LlamaCppProps }> {
  const maxModelLen = models?.find((model) => model.id === modelName)?.maxModelLen;
  if (maxModelLen !== undefined) {
    return {
      limit: {
        tokens: maxModelLen,
        source: `max_model_len of ${server.label}`,
        raise: "restart the server with a larger --max-model-len (--context-length for SGLang)",
      },
    };
  }
  const llamaCpp = await llamaCppProps(server, settings);
  if (llamaCpp?.slotContext === undefined) return { llamaCpp };
  return {
    llamaCpp,
    limit: {
      tokens: llamaCpp.slotContext,
      source: `n_ctx per slot of ${server.label} (/props)`,
      raise: "restart llama-server with a larger --ctx-size (shared by its --parallel slots)",
    },
  };
}

function startupFailure(
  servers: readonly ServerEndpoint[],
  result: PromiseSettledResult<unknown>,
): BackendSetupError {
  const reason = result.status === "rejected" ? result.reason : undefined;
  if (reason instanceof BackendSetupError || reason instanceof CancelledError) return reason;
  const first = servers[0]!.label;
  const status = reason instanceof BackendCallError ? reason.status : undefined;
  if (status === 401 || status === 403) {
    return new BackendSetupError(
      `${first} refused the API key (${status}): ${describe(reason)}`,
      "set OPENAI_API_KEY or pass --api-key with the key the server expects",
      { cause: reason },
    );
  }
  const where =
    servers.length === 1
      ? `the OpenAI-compatible server at ${first}`
      : `any of the OpenAI-compatible servers ${servers.map((server) => server.label).join(", ")}`;
  return new BackendSetupError(
    `cannot reach ${where}: ${describe(reason)}`,
    "start the server (vllm serve MODEL, python -m sglang.launch_server, llama-server), check --base-url (base_url), or let m1 start one with --launch (launch)",
    { cause: reason },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
