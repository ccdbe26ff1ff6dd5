import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { loadChatTemplateFile, type ChatTemplate } from "./chat-template.js";
import type { LaunchedServer } from "./launcher/index.js";
import type { RetryEvent } from "./openai/index.js";
import type { Backend } from "./types.js";

// Backends are imported when opened: node-llama-cpp alone takes seconds to load, and commands
// that never touch a model (score, report, --help) should not pay for it.

/**
 * One place that turns user settings (flags of `m1 ask`, keys of `m1 eval`) into a Backend, so
 * every command opens models the same way.
 */
export interface EmbeddedBackendSettings {
  kind: "embedded";
  /** A GGUF path or `hf:` URI; null uses the tiny smoke model (a test fixture, not a real model). */
  model: string | null;
  /** A Jinja file or tokenizer_config.json overriding the GGUF's template. */
  chatTemplatePath?: string | null;
  threads?: number | null;
  contextSize?: number | null;
  gpu?: "auto" | "cpu";
  /** Sequences generated at once. */
  parallelSequences?: number;
  /** One context per sequence, so greedy output never depends on concurrency (default true). */
  deterministic?: boolean;
  /** Load the vocabulary only, for checks before a run (no sequences). */
  vocabOnly?: boolean;
}

export interface ServerLaunchSettings {
  engine: "vllm" | "sglang";
  modelPath: string;
  dp: number;
  tp: number;
  memFractionStatic?: number;
  seed: number;
  port?: number;
  logLevel?: string;
  logFile?: string;
}

export interface OpenAIBackendSettings {
  kind: "openai";
  /** Running servers; null when `launch` starts one. */
  baseUrls: string[] | null;
  launch?: ServerLaunchSettings | null;
  apiKey?: string | null;
  modelName?: string | null;
  chatTemplatePath?: string | null;
  /** tokenizer.json, a folder holding it (and tokenizer_config.json), or a .gguf. */
  tokenizerPath?: string | null;
  requestTimeoutSeconds?: number;
  retries?: number;
  maxParallelSequences?: number;
  /** Keep sequences as token ids (`--exact-tokens`, `exact_tokens`). */
  exactTokens?: boolean;
  onRetry?: (event: RetryEvent) => void;
}

export type BackendSettings = EmbeddedBackendSettings | OpenAIBackendSettings;

/** A backend opened from settings, with what its users need to know about it. */
export interface OpenedBackend {
  backend: Backend;
  /** What identifies the model behind it (response cache keys). */
  modelIdentity: string;
  /** The model's short name: the GGUF file's stem, or the name the server serves it under. */
  modelName: string;
  /** Sequences to generate at once on it: the parallelism it was opened with. */
  concurrency: number;
  /** Things the user should know (smoke model in use, template fallback, server log). */
  notes: string[];
}

export const SMOKE_MODEL_NOTE =
  "no model given: using the tiny smoke model (random weights, a test fixture: its output is gibberish). Pass --model FILE.gguf|hf:... or --base-url URL for a real model.";

export async function openBackend(
  settings: BackendSettings,
  options: { signal?: AbortSignal } = {},
): Promise<OpenedBackend> {
  return settings.kind === "embedded"
    ? openEmbedded(settings, options.signal)
    : openOpenAI(settings, options.signal);
}

async function openEmbedded(
  settings: EmbeddedBackendSettings,
  signal?: AbortSignal,
): Promise<OpenedBackend> {
  const { createLlamaCppBackend } = await import("./llama-cpp/index.js");
  const { ensureSmokeModel } = await import("../smoke/index.js");
  const notes: string[] = [];
  let model = settings.model;
  if (!model) {
    model = await ensureSmokeModel();
    notes.push(SMOKE_MODEL_NOTE);
  }
  const backend = await createLlamaCppBackend({
    model,
    gpu: settings.gpu === "cpu" ? false : "auto",
    threads: settings.threads ?? undefined,
    contextSize: settings.contextSize ?? undefined,
    parallelSequences: settings.parallelSequences,
    deterministic: settings.deterministic,
    vocabOnly: settings.vocabOnly,
    chatTemplate: settings.chatTemplatePath
      ? loadChatTemplateFile(settings.chatTemplatePath)
      : undefined,
    signal,
  });
  const size = existsSync(backend.modelPath) ? statSync(backend.modelPath).size : 0;
  notes.push(...backend.warnings);
  // Batched generations (and every one cached before the mode existed) may differ from
  // deterministic ones: cached answers never cross modes.
  const mode = backend.deterministic ? ":deterministic" : "";
  return {
    backend,
    modelIdentity: `llama.cpp:${backend.modelPath}:${size}${mode}`,
    modelName: basename(backend.modelPath).replace(/\.gguf$/i, ""),
    concurrency: settings.parallelSequences ?? 1,
    notes,
  };
}

async function openOpenAI(
  settings: OpenAIBackendSettings,
  signal?: AbortSignal,
): Promise<OpenedBackend> {
  const { createOpenAICompatibleBackend } = await import("./openai/index.js");
  const { loadLocalTokenCounter } = await import("../tokenizers/index.js");
  const { launchServer } = await import("./launcher/index.js");
  const notes: string[] = [];
  let server: LaunchedServer | undefined;
  let baseUrls = settings.baseUrls ?? [];
  if (settings.launch) {
    server = await launchServer({ ...settings.launch, signal });
    notes.push(`started ${settings.launch.engine} at ${server.baseUrl} (log: ${server.logFile})`);
    baseUrls = [server.baseUrl];
  }
  try {
    const templatePath = settings.chatTemplatePath ?? tokenizerConfigBeside(settings);
    const chatTemplate: ChatTemplate | undefined = templatePath
      ? loadChatTemplateFile(templatePath)
      : undefined;
    const tokenizer = settings.tokenizerPath
      ? await loadLocalTokenCounter(settings.tokenizerPath)
      : undefined;
    const backend = await createOpenAICompatibleBackend({
      baseUrls,
      apiKey: settings.apiKey ?? undefined,
      modelName: settings.modelName ?? undefined,
      chatTemplate,
      tokenizer,
      requestTimeoutMs: (settings.requestTimeoutSeconds ?? 600) * 1000,
      retry: settings.retries === undefined ? undefined : { maxRetries: settings.retries },
      maxParallelSequences: settings.maxParallelSequences,
      exactTokens: settings.exactTokens,
      onRetry: settings.onRetry,
      signal,
    });
    notes.push(...backend.warnings);
    const launched = server;
    const wrapped: Backend = launched
      ? {
          description: backend.description,
          capabilities: backend.capabilities,
          warnings: backend.warnings,
          contextLimit: backend.contextLimit,
          renderChat: (messages) => backend.renderChat(messages),
          countTokens: (text, countOptions) => backend.countTokens(text, countOptions),
          tokenize: backend.tokenize,
          detokenize: backend.detokenize,
          openSequence: (prompt, sequenceOptions) => backend.openSequence(prompt, sequenceOptions),
          close: async () => {
            await backend.close();
            await launched.close();
          },
          [Symbol.asyncDispose]: async () => {
            await backend.close();
            await launched.close();
          },
        }
      : backend;
    const identity = settings.launch?.modelPath ?? settings.modelName ?? backend.description;
    // Token-id sequences can generate differently from text prompts: never share cached answers.
    const exact = settings.exactTokens ? ":exact-tokens" : "";
    return {
      backend: wrapped,
      modelIdentity: `openai:${identity}${exact}`,
      modelName: backend.modelName,
      concurrency: settings.maxParallelSequences ?? 1,
      notes,
    };
  } catch (error) {
    await server?.close();
    throw error;
  }
}

/** m1 reads the chat template from tokenizer_path, else model_path (when a local folder). */
function tokenizerConfigBeside(settings: OpenAIBackendSettings): string | undefined {
  for (const folder of [settings.tokenizerPath, settings.launch?.modelPath]) {
    if (!folder) continue;
    const candidate = join(folder, "tokenizer_config.json");
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
