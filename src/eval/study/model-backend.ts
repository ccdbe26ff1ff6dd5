import { openBackend, type BackendSettings, type OpenedBackend } from "../../backends/factory.js";
import type { Backend } from "../../backends/types.js";
import type { RetryEvent } from "../../backends/openai/index.js";
import type { EvalConfig } from "../config/schema.js";
import type { StudyModel } from "./plan.js";

/** Default questions in flight: a few sequences on a local model, many on a GPU server. */
export const DEFAULT_EMBEDDED_CONCURRENCY = 4;
export const DEFAULT_SERVER_CONCURRENCY = 64;

/** Backend settings for one model of a study (m1's keys: model_path, tokenizer_path, dp, tp, ...). */
export function backendSettingsForModel(config: EvalConfig, model: StudyModel): BackendSettings {
  const concurrency =
    config.concurrency ??
    (model.backend === "embedded" ? DEFAULT_EMBEDDED_CONCURRENCY : DEFAULT_SERVER_CONCURRENCY);
  if (model.backend === "embedded") {
    return {
      kind: "embedded",
      model: model.model_path,
      chatTemplatePath: model.chat_template,
      threads: config.threads,
      contextSize: config.context_size,
      gpu: config.gpu,
      parallelSequences: concurrency,
      deterministic: config.deterministic,
    };
  }
  return {
    kind: "openai",
    baseUrls: model.base_url,
    launch: model.launch
      ? {
          engine: model.launch,
          modelPath: model.model_path!,
          dp: model.dp,
          tp: model.tp,
          memFractionStatic: config.mem_fraction_static,
          seed: config.seed,
          port: model.port,
          logLevel: config.log_level,
        }
      : null,
    apiKey: config.api_key,
    modelName: model.model_name,
    chatTemplatePath: model.chat_template,
    tokenizerPath: model.tokenizer_path,
    requestTimeoutSeconds: config.timeout,
    retries: config.retries,
    maxParallelSequences: concurrency,
    exactTokens: config.exact_tokens,
  };
}

/** Opens the real backend of a study model (used by `m1 eval`). */
export async function openStudyBackend(
  config: EvalConfig,
  model: StudyModel,
  options: {
    signal?: AbortSignal;
    onNote?: (message: string) => void;
    /** Told before a server request is retried (the CLI says so once per kind of failure). */
    onRetry?: (event: RetryEvent) => void;
  } = {},
): Promise<OpenedBackend> {
  const settings = backendSettingsForModel(config, model);
  if (settings.kind === "openai") settings.onRetry = options.onRetry;
  const opened = await openBackend(settings, { signal: options.signal });
  // The study notes the backend's description once its context is sized.
  for (const note of opened.notes) options.onNote?.(note);
  return opened;
}

/**
 * A light backend of a study model for checks before anything runs: the embedded backend with its
 * vocabulary only, a running server's client; undefined for a server m1 would launch (its limit
 * is known once it runs).
 */
export async function probeStudyBackend(
  config: EvalConfig,
  model: StudyModel,
  options: { signal?: AbortSignal } = {},
): Promise<Backend | undefined> {
  if (model.launch) return undefined;
  const settings = backendSettingsForModel(config, model);
  const probe = settings.kind === "embedded" ? { ...settings, vocabOnly: true } : settings;
  return (await openBackend(probe, { signal: options.signal })).backend;
}
