import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type {
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
  TokenBias,
} from "node-llama-cpp";
import { BackendSetupError, CancelledError, ConfigError, M1Error } from "../../errors.js";
import { CHATML_TEMPLATE, compileChatTemplate, type ChatTemplate } from "../chat-template.js";
import type { Backend, BackendCapabilities, ChatMessage } from "../types.js";
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
  /** Tokens per sequence; default: as large as memory allows, up to the model's training context. */
  contextSize?: number;
  /** Sequences in the one context (questions generated at once); default 1. */
  parallelSequences?: number;
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
  /** Tokens per sequence of the context actually created. */
  readonly contextSize: number;
  readonly modelPath: string;
}

/**
 * The embedded backend: a GGUF model run by llama.cpp through node-llama-cpp, in this process.
 * One context holds `parallelSequences` sequences; each question gets one for its whole
 * think / Wait / answer chain, so its KV cache is kept across rounds.
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
      gpuLayers: gpu === false ? 0 : "auto",
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
  let context: LlamaContext;
  takeLlamaError();
  try {
    context = await model.createContext({
      sequences: parallelSequences,
      contextSize: options.contextSize ?? "auto",
      threads,
      createSignal: options.signal,
    });
  } catch (error) {
    await model.dispose();
    if (options.signal?.aborted) throw new CancelledError();
    throw new BackendSetupError(
      `cannot create a llama.cpp context for ${basename(modelPath)}: ${takeLlamaError() ?? firstLine(error)}`,
      "lower --context-size or --parallel, or free memory",
      { cause: error },
    );
  }

  const warnings: string[] = [];
  const chatTemplate = options.chatTemplate ?? modelChatTemplate(model, warnings);
  const slots = new SequenceSlots(parallelSequences);
  const suppression = supportsEogBias(model);
  let eogTokens: Token[] | undefined;
  const banCache = new Map<string, TokenBias>();
  let closed: Promise<void> | undefined;

  const endOfGeneration = new Map<Token, boolean>();
  const host: SequenceHost = {
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
    release: () => slots.release(),
  };

  const capabilities: BackendCapabilities = {
    stopSuppression: suppression,
    evaluatedTokens: true,
    maxParallelSequences: parallelSequences,
  };
  const device = llama.gpu === false || model.gpuLayers === 0 ? "cpu" : llama.gpu;

  const close = async () => {
    closed ??= (async () => {
      slots.close(new CancelledError("the model was closed"));
      await context.dispose();
      await model.dispose();
    })();
    await closed;
  };

  return {
    description: `llama.cpp: ${basename(modelPath)} (${device}, ${threads} thread${threads === 1 ? "" : "s"}, ${parallelSequences} sequence${parallelSequences === 1 ? "" : "s"} x ${context.contextSize} tokens)`,
    capabilities,
    warnings,
    threads,
    contextSize: context.contextSize,
    modelPath,
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
      await slots.acquire(openOptions?.signal);
      let llamaSequence: LlamaContextSequence | undefined;
      try {
        llamaSequence = context.getSequence();
        return new LlamaCppSequence(host, llamaSequence, prompt);
      } catch (error) {
        await llamaSequence?.dispose();
        slots.release();
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

function checkWholeNumber(value: number, key: string, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new ConfigError(`must be a whole number >= ${minimum}, got ${value}`, { key });
  }
}
