import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { LlamaModel, Token, TokenBias } from "node-llama-cpp";
import { BackendSetupError, CancelledError, ConfigError, M1Error } from "../../errors.js";
import { CHATML_TEMPLATE, compileChatTemplate, type ChatTemplate } from "../chat-template.js";
import type { Backend, BackendCapabilities, ChatMessage, ContextLimit } from "../types.js";
import { ContextPool } from "./context-pool.js";
import { firstLine, resolveModelPath, type ResolveModelOptions } from "./model-source.js";
import {
  defaultThreadCount,
  loadLlamaRuntime,
  takeLlamaError,
  type GpuSetting,
} from "./runtime.js";
import { LlamaCppSequence, type SequenceHost } from "./sequence.js";
import { SequenceSlots } from "./sequence-slots.js";
import { banTokens, endOfGenerationTokens, supportsEogBias } from "./stop-suppression.js";

export interface LlamaCppBackendOptions {
  /** A GGUF path, or an `hf:<user>/<repo>:<quant>` URI / URL downloaded into `${m1CacheDir()}/models`. */
  model: string;
  /** "auto" (default) offloads to a GPU when node-llama-cpp finds one; false forces the CPU. */
  gpu?: GpuSetting;
  /** CPU threads for evaluation; default 1 for tiny models, else every math core (see runtime.ts). */
  threads?: number;
  /**
   * Tokens per sequence. Default: what `reserveContext` asks for (studies size it from their
   * prompts and budgets), else as large as memory allows up to the model's trained context.
   */
  contextSize?: number;
  /** Sequences open at once (questions generated at once); default 1. */
  parallelSequences?: number;
  /**
   * true (default): one llama.cpp context per sequence, so greedy output never depends on what
   * runs beside it. false: one context for all sequences, batched together (faster where batching
   * pays, e.g. GPUs; output may then change with concurrency and timing). See context-pool.ts.
   */
  deterministic?: boolean;
  /**
   * Load only what checks need (vocabulary, chat template, trained context), not the weights:
   * `renderChat`, `countTokens` and `contextLimit` work, sequences are refused.
   */
  vocabOnly?: boolean;
  /** Overrides the GGUF's `tokenizer.chat_template`. */
  chatTemplate?: ChatTemplate;
  /** Cancels a download or a load in progress. */
  signal?: AbortSignal;
  onDownloadProgress?: ResolveModelOptions["onDownloadProgress"];
}

/** The embedded backend, with the concrete sequence type (tests and benchmarks read its extras). */
export interface LlamaCppBackend extends Backend {
  openSequence(prompt: string, options?: { signal?: AbortSignal }): Promise<LlamaCppSequence>;
  /** Threads each evaluation uses. */
  readonly threads: number;
  /** Tokens per sequence of the contexts created (0 until the first sequence or `reserveContext`). */
  readonly contextSize: number;
  readonly modelPath: string;
  readonly deterministic: boolean;
  readonly contextLimit: ContextLimit;
  reserveContext(tokens: number, options?: { signal?: AbortSignal }): Promise<void>;
}

/**
 * The embedded backend: a GGUF model run by llama.cpp through node-llama-cpp, in this process.
 * Up to `parallelSequences` sequences run at once; each question gets one for its whole
 * think / Wait / answer chain, so its KV cache is kept across rounds. Where they live (a context
 * each, or one shared context) is the ContextPool's business.
 */
export async function createLlamaCppBackend(
  options: LlamaCppBackendOptions,
): Promise<LlamaCppBackend> {
  const parallelSequences = options.parallelSequences ?? 1;
  checkWholeNumber(parallelSequences, "parallel_sequences", 1);
  if (options.threads !== undefined) checkWholeNumber(options.threads, "threads", 1);
  if (options.contextSize !== undefined) checkWholeNumber(options.contextSize, "context_size", 16);

  const modelPath = await resolveModelPath(options.model, options);
  const gpu = options.gpu ?? "auto";
  const llama = await loadLlamaRuntime(gpu);
  if (options.signal?.aborted) throw new CancelledError();

  let model: LlamaModel;
  takeLlamaError();
  try {
    model = await llama.loadModel({
      modelPath,
      gpuLayers: gpu === false || options.vocabOnly ? 0 : "auto",
      vocabOnly: options.vocabOnly,
      loadSignal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw new CancelledError();
    throw new BackendSetupError(
      `llama.cpp cannot load ${modelPath}: ${takeLlamaError() ?? firstLine(error)}`,
      "check that the file is a complete GGUF model (re-download it) supported by this llama.cpp build",
      { cause: error },
    );
  }

  const fileBytes = (await stat(modelPath)).size;
  const threads = options.threads ?? defaultThreadCount(llama, fileBytes);
  const deterministic = options.deterministic ?? true;
  const device = llama.gpu === false || model.gpuLayers === 0 ? "cpu" : llama.gpu;
  const pool = new ContextPool(model, {
    deterministic,
    sequences: parallelSequences,
    threads,
    modelName: basename(modelPath),
    signal: options.signal,
  });
  if (options.contextSize !== undefined && !options.vocabOnly) {
    // A size given up front is final: create the contexts now, so a lack of memory shows here.
    try {
      await pool.ensure(options.contextSize);
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }
  // From the GGUF's metadata: a vocabulary-only load does not read it into llama.cpp.
  const trainedContext = model.fileInsights.trainContextSize ?? model.trainContextSize;
  const contextLimit: ContextLimit =
    options.contextSize !== undefined
      ? {
          tokens: options.contextSize,
          source: "context_size",
          raise: `raise context_size (--context-size; the model was trained on ${trainedContext})`,
        }
      : {
          tokens: trainedContext,
          source: "the model's trained context",
          raise: "use a model trained on longer contexts",
        };
  // Contexts side by side on the CPU each use `threads` threads: at most as many decode at once
  // as the cores allow, since oversubscribed llama.cpp threads spin instead of working.
  const concurrentDecodes = Math.max(1, Math.floor(llama.cpuMathCores / threads));
  const decodeGate =
    deterministic && device === "cpu" && threads > 1 && concurrentDecodes < parallelSequences
      ? new SequenceSlots(concurrentDecodes)
      : undefined;

  const warnings: string[] = [];
  const chatTemplate = options.chatTemplate ?? modelChatTemplate(model, warnings);
  const suppression = supportsEogBias(model);
  let eogTokens: Token[] | undefined;
  const banCache = new Map<string, TokenBias>();
  let closed: Promise<void> | undefined;

  const endOfGeneration = new Map<Token, boolean>();
  const host: Omit<SequenceHost, "release"> = {
    model,
    isEndOfGeneration(token) {
      let isEnd = endOfGeneration.get(token);
      if (isEnd === undefined) {
        isEnd = model.isEogToken(token);
        endOfGeneration.set(token, isEnd);
      }
      return isEnd;
    },
    stopBanBias(stops) {
      if (!suppression) return undefined;
      const key = JSON.stringify(stops);
      let bias = banCache.get(key);
      if (!bias) {
        eogTokens ??= endOfGenerationTokens(model);
        const firstTokens = stops
          .map((stop) => model.tokenize(stop, true)[0])
          .filter((token): token is Token => token !== undefined);
        bias = banTokens(model, [...eogTokens, ...firstTokens]);
        banCache.set(key, bias);
      }
      return bias;
    },
    async decode(step) {
      if (!decodeGate) return step();
      await decodeGate.acquire();
      try {
        return await step();
      } finally {
        decodeGate.release();
      }
    },
  };

  const capabilities: BackendCapabilities = {
    stopSuppression: suppression,
    evaluatedTokens: true,
    maxParallelSequences: parallelSequences,
  };

  const close = async () => {
    closed ??= (async () => {
      await pool.dispose(new CancelledError("the model was closed"));
      await model.dispose();
    })();
    await closed;
  };

  return {
    get description() {
      const size = pool.contextSize > 0 ? `${pool.contextSize} tokens` : "tokens as needed";
      const layout = deterministic
        ? `${plural(parallelSequences, "context")} x 1 sequence x ${size}, deterministic`
        : `${plural(parallelSequences, "sequence")} x ${size} in one context, not deterministic`;
      return `llama.cpp: ${basename(modelPath)} (${device}, ${plural(threads, "thread")}, ${layout})`;
    },
    capabilities,
    warnings,
    threads,
    get contextSize() {
      return pool.contextSize;
    },
    modelPath,
    deterministic,
    contextLimit,
    async reserveContext(tokens: number) {
      if (closed) throw new M1Error("the model was closed");
      if (options.vocabOnly) throw new M1Error("this backend loaded the vocabulary only");
      checkWholeNumber(tokens, "context_size", 1);
      await pool.ensure(options.contextSize ?? tokens);
    },
    async renderChat(messages: readonly ChatMessage[]) {
      return chatTemplate.render(messages);
    },
    async countTokens(text: string, countOptions?: { signal?: AbortSignal }) {
      if (countOptions?.signal?.aborted) throw new CancelledError();
      if (closed) throw new M1Error("the model was closed");
      return model.tokenize(text, true).length;
    },
    async tokenize(text: string) {
      if (closed) throw new M1Error("the model was closed");
      return model.tokenize(text, true).map(Number);
    },
    async detokenize(ids: readonly number[]) {
      if (closed) throw new M1Error("the model was closed");
      return model.detokenize(ids as readonly Token[], true);
    },
    async openSequence(prompt: string, openOptions?: { signal?: AbortSignal }) {
      if (closed) throw new M1Error("the model was closed");
      if (options.vocabOnly) throw new M1Error("this backend loaded the vocabulary only");
      const { sequence, release } = await pool.acquire(openOptions?.signal);
      try {
        return new LlamaCppSequence({ ...host, release }, sequence, prompt);
      } catch (error) {
        await sequence.dispose();
        release();
        throw error;
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The GGUF's own chat template, compiled with its bos/eos token text; plain ChatML when it has none. */
function modelChatTemplate(model: LlamaModel, warnings: string[]): ChatTemplate {
  const source = model.fileInfo.metadata.tokenizer?.chat_template;
  const tokens = {
    bosToken: model.tokens.bosString ?? undefined,
    eosToken: model.tokens.eosString ?? undefined,
  };
  if (typeof source === "string" && source.trim() !== "") {
    return compileChatTemplate(source, "GGUF metadata (tokenizer.chat_template)", tokens);
  }
  warnings.push(
    "the GGUF has no tokenizer.chat_template; prompts use plain ChatML (pass --chat-template to choose)",
  );
  return compileChatTemplate(CHATML_TEMPLATE, "built-in ChatML", tokens);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function checkWholeNumber(value: number, key: string, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new ConfigError(`must be a whole number >= ${minimum}, got ${value}`, { key });
  }
}
