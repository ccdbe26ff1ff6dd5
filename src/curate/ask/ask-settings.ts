import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { ConfigError, InputError } from "../../errors.js";
import type { ChatEndpoint } from "./chat-client.js";
import type { ChatRunSettings } from "./http-sender.js";
import type { ChatSampling } from "./chat-types.js";
import { exampleOf, inlineYaml } from "../../config/index.js";
import { M1_GENERATION_DEFAULTS } from "../../engine/generation-settings.js";
import type { ThinkingFormatName } from "../../engine/thinking-formats.js";
import {
  ASK_DEFAULTS,
  ASK_PRESETS,
  askOptionsShape,
  layerAskOptions,
  type AskOptions,
} from "./ask-options.js";
import { compileTemplate, type CompiledTemplate } from "./prompt-template.js";
import { defaultResponseCachePath } from "./response-cache.js";

/** Who answers: a chat server, or a GGUF model through the budget-forcing engine. */
export type AskEngine =
  | { kind: "api" }
  | {
      kind: "local";
      ggufPath: string;
      thinkingFormat: ThinkingFormatName;
      answerTokens: number;
      waitRounds: number;
    };

/** Everything one ask run needs, checked and typed. */
export interface AskSettings {
  engine: AskEngine;
  model: string;
  systemPrompt?: string;
  userTemplate: CompiledTemplate;
  sampling: ChatSampling;
  columns: { content: string; reasoning?: string };
  run: ChatRunSettings;
  allowFailures: boolean;
  cachePath: string;
}

export interface ResolveContext {
  /** `--api-key`: wins over `api_key_env`. */
  apiKey?: string;
  /** The config file, for error messages. */
  file?: string;
  /** Where these options sit in that file (e.g. `steps.4`), for error messages. */
  keyPrefix?: string;
  /** False to check a config before a run, when the key's variable need not be set yet. */
  readApiKey?: boolean;
}

/**
 * Layer preset <- `options` (file, then flags, already layered by the caller) and check it.
 * Errors name the key to set.
 */
export function resolveAskSettings(options: AskOptions, context: ResolveContext = {}): AskSettings {
  const { file } = context;
  const keyOf = (key: string) => (context.keyPrefix ? `${context.keyPrefix}.${key}` : key);
  const merged = layerAskOptions(options.preset ? ASK_PRESETS[options.preset] : undefined, options);
  const require = <T>(value: T | undefined, key: keyof AskOptions, flag: string): T => {
    if (value === undefined) {
      const example = exampleOf(askOptionsShape[key]);
      throw new ConfigError("is required", {
        file,
        key: keyOf(key),
        fix: `set ${key} in the config (e.g. ${key}: ${inlineYaml(example)}) or pass ${flag}`,
      });
    }
    return value;
  };
  const engine: AskEngine =
    merged.engine === "local"
      ? {
          kind: "local",
          ggufPath: require(merged.gguf, "gguf", "--gguf"),
          // An instruct model by default (m1's difficulty filter); m1's budgets when it thinks.
          thinkingFormat: merged.thinking_format ?? "none",
          answerTokens: merged.answer_tokens ?? M1_GENERATION_DEFAULTS.max_new_answer_tokens,
          waitRounds: merged.wait_rounds ?? M1_GENERATION_DEFAULTS.keep_think_below_budget_times,
        }
      : { kind: "api" };
  // A local model is named by its file; the server of an api run by its URL.
  const model =
    engine.kind === "local"
      ? (merged.model ?? basename(engine.ggufPath))
      : require(merged.model, "model", "--model");
  const baseUrl =
    engine.kind === "local" ? "local:" : require(merged.base_url, "base_url", "--base-url");
  const userTemplate = compileTemplate(
    require(merged.user_template, "user_template", "--prompt-template or --preset"),
    keyOf("user_template"),
  );
  const contentColumn = require(merged.content_column, "content_column", "--content-column or --preset");
  let key = context.apiKey;
  if (key === undefined && merged.api_key_env && context.readApiKey !== false) {
    key = process.env[merged.api_key_env];
    if (!key) {
      throw new ConfigError(`the environment variable ${merged.api_key_env} is not set`, {
        file,
        key: keyOf("api_key_env"),
        fix: `export ${merged.api_key_env}=<your key>`,
      });
    }
  }
  const endpoint: ChatEndpoint = { baseUrl, apiKey: key };
  const price = merged.prices?.[model];
  return {
    engine,
    model,
    systemPrompt: merged.system_prompt,
    userTemplate,
    sampling: {
      temperature: merged.temperature,
      maxTokens: merged.max_tokens,
      topP: merged.top_p,
      seed: merged.seed,
      stop: merged.stop,
      // The local engine's thinking settings change its answers, so they join the cache key.
      extraBody:
        engine.kind === "local"
          ? {
              ...merged.extra_body,
              m1_local_engine: {
                gguf: modelFileIdentity(engine.ggufPath, context.file, keyOf("gguf")),
                thinking_format: engine.thinkingFormat,
                answer_tokens: engine.answerTokens,
                wait_rounds: engine.waitRounds,
              },
            }
          : merged.extra_body,
    },
    columns: { content: contentColumn, reasoning: merged.reasoning_column },
    run: {
      endpoint,
      limits: {
        requestsPerMinute: merged.rpm,
        tokensPerMinute: merged.tpm,
        burstSeconds: merged.burst_seconds ?? ASK_DEFAULTS.burst_seconds,
        concurrency: merged.concurrency ?? ASK_DEFAULTS.concurrency,
      },
      retry: {
        maxRetries: merged.max_retries ?? ASK_DEFAULTS.max_retries,
        timeoutSeconds: merged.timeout_seconds ?? ASK_DEFAULTS.timeout_seconds,
        initialDelaySeconds:
          merged.retry_initial_delay_seconds ?? ASK_DEFAULTS.retry_initial_delay_seconds,
        maxDelaySeconds: merged.retry_max_delay_seconds ?? ASK_DEFAULTS.retry_max_delay_seconds,
      },
      price,
    },
    allowFailures: merged.allow_failures ?? false,
    cachePath: merged.cache ?? defaultResponseCachePath(),
  };
}

/** A model file as the cache knows it: name and size (a re-converted GGUF gets new answers). */
function modelFileIdentity(path: string, file: string | undefined, key: string): string {
  if (!existsSync(path)) {
    throw new InputError(
      `the model file ${path} does not exist`,
      { file, field: key },
      "pass the path of a .gguf file",
    );
  }
  return `${basename(path)}:${statSync(path).size}`;
}
