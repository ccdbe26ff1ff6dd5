import type { ThinkingFormatName } from "../../engine/thinking-formats.js";
import type { AskOptions, AskPresetName } from "./ask-options.js";

/** The command-line flags shared by `curate ask` and `curate classify`, as commander gives them. */
export interface AskFlags {
  preset?: AskPresetName;
  model?: string;
  baseUrl?: string;
  systemPrompt?: string;
  promptTemplate?: string;
  contentColumn?: string;
  reasoningColumn?: string;
  temperature?: number;
  maxTokens?: number;
  rpm?: number;
  tpm?: number;
  burstSeconds?: number;
  concurrency?: number;
  maxRetries?: number;
  timeout?: number;
  cache?: string;
  allowFailures?: boolean;
  engine?: "api" | "local";
  gguf?: string;
  thinkingFormat?: ThinkingFormatName;
  answerTokens?: number;
  waitRounds?: number;
}

/** Flags as an options layer (undefined where not given, so the file's values stay). */
export function askOptionsFromFlags(flags: AskFlags): AskOptions {
  return {
    preset: flags.preset,
    model: flags.model,
    base_url: flags.baseUrl,
    system_prompt: flags.systemPrompt,
    user_template: flags.promptTemplate,
    content_column: flags.contentColumn,
    reasoning_column: flags.reasoningColumn,
    temperature: flags.temperature,
    max_tokens: flags.maxTokens,
    rpm: flags.rpm,
    tpm: flags.tpm,
    burst_seconds: flags.burstSeconds,
    concurrency: flags.concurrency,
    max_retries: flags.maxRetries,
    timeout_seconds: flags.timeout,
    cache: flags.cache,
    allow_failures: flags.allowFailures,
    engine: flags.engine,
    gguf: flags.gguf,
    thinking_format: flags.thinkingFormat,
    answer_tokens: flags.answerTokens,
    wait_rounds: flags.waitRounds,
  };
}
