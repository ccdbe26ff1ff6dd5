import type { Command } from "commander";
import type { BackendSettings } from "../backends/factory.js";
import { BACKEND_FLAG_NAMES, chooseBackend } from "../backends/choice.js";
import { choiceFlag, integerFlag, numberFlag } from "./flags.js";

/** The flags that choose and configure a model, shared by commands that talk to one. */
export interface BackendFlags {
  model?: string;
  baseUrl?: string[];
  apiKey?: string;
  modelName?: string;
  launch?: "vllm" | "sglang";
  modelPath?: string;
  dp: number;
  tp: number;
  memFraction?: number;
  port?: number;
  chatTemplate?: string;
  tokenizer?: string;
  threads?: number;
  contextSize?: number;
  gpu: "auto" | "cpu";
  deterministic?: boolean;
  timeout: number;
  parallel?: number;
  exactTokens?: boolean;
}

/**
 * Add the backend flags. `m1 serve` leaves out `--api-key` and `--port`, which name its own
 * service there, and offers them as `--upstream-api-key` and `--launch-port`.
 */
export function addBackendFlags(command: Command, options: { serving?: boolean } = {}): Command {
  const serving = options.serving === true;
  command
    .option(
      "--model <gguf|hf:uri>",
      "a local GGUF file or an hf: URI, run in-process by llama.cpp (default: the tiny smoke model)",
    )
    .option(
      "--base-url <url>",
      "an OpenAI-compatible server (vLLM, SGLang, llama.cpp server), e.g. http://127.0.0.1:8000/v1; repeat for several",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      serving ? "--upstream-api-key <key>" : "--api-key <key>",
      "API key for --base-url (default: $OPENAI_API_KEY)",
    )
    .option(
      "--model-name <name>",
      serving
        ? "the model name clients use (default: the GGUF's file name, or the first of the server's GET /v1/models)"
        : "served model name (default: the first of GET /v1/models)",
    )
    .option(
      "--launch <engine>",
      "start a vllm or sglang server for --model-path and use it",
      choiceFlag(["vllm", "sglang"] as const),
    )
    .option("--model-path <path>", "model folder or hub id for --launch")
    .option("--dp <n>", "data-parallel replicas for --launch", integerFlag({ min: 1 }), 1)
    .option("--tp <n>", "tensor-parallel size for --launch", integerFlag({ min: 1 }), 1)
    .option(
      "--mem-fraction <x>",
      "GPU memory fraction for --launch (SGLang --mem-fraction-static)",
      numberFlag({ min: 0.01, max: 1, example: 0.85 }),
    )
    .option(
      serving ? "--launch-port <n>" : "--port <n>",
      "port for --launch (default: a free one)",
      integerFlag({ min: 1, max: 65535, example: 8000 }),
    )
    .option(
      "--chat-template <file>",
      "Jinja chat template or tokenizer_config.json (default: the GGUF's, or Qwen2.5's for servers)",
    )
    .option(
      "--tokenizer <file>",
      "tokenizer.json (or folder) or .gguf to count inserted tokens (default: the server's /tokenize)",
    )
    .option(
      "--threads <n>",
      "CPU threads for the embedded engine (default: measured rule, see docs)",
      integerFlag({ min: 1, example: 8 }),
    )
    .option(
      "--context-size <n>",
      "context tokens per sequence for the embedded engine",
      integerFlag({ min: 16, example: 8192 }),
    )
    .option(
      "--gpu <mode>",
      "embedded engine device: auto (GPU when present) or cpu",
      choiceFlag(["auto", "cpu"] as const),
      "auto",
    )
    .option(
      "--deterministic",
      "embedded engine: one context per sequence, so greedy output never depends on what runs beside it",
      true,
    )
    .option(
      "--no-deterministic",
      "embedded engine: batch all sequences in one context (faster on GPUs; output may vary with concurrency)",
    )
    .option(
      "--timeout <seconds>",
      serving ? "limit for one call to the upstream server" : "per-request timeout for servers",
      numberFlag({ min: 1 }),
      600,
    )
    .option(
      "--exact-tokens",
      "servers: keep the sequence as token ids, nothing re-tokenized between thinking, Wait and answer (llama.cpp llama-server, vLLM 0.10.2+)",
      false,
    );
  return command;
}

/** Turn parsed flags into backend settings; conflicting choices are a one-line ConfigError (choice.ts). */
export function backendSettingsFromFlags(flags: BackendFlags, seed: number): BackendSettings {
  const backend = chooseBackend(
    {
      model: flags.model,
      baseUrl: flags.baseUrl ?? null,
      launch: flags.launch ?? null,
      modelPath: flags.modelPath ?? null,
    },
    BACKEND_FLAG_NAMES,
  );
  if (backend === "openai") {
    return {
      kind: "openai",
      baseUrls: flags.baseUrl ?? null,
      launch: flags.launch
        ? {
            engine: flags.launch,
            modelPath: flags.modelPath!,
            dp: flags.dp,
            tp: flags.tp,
            memFractionStatic: flags.memFraction,
            seed,
            port: flags.port,
          }
        : null,
      apiKey: flags.apiKey,
      modelName: flags.modelName,
      chatTemplatePath: flags.chatTemplate,
      tokenizerPath: flags.tokenizer,
      requestTimeoutSeconds: flags.timeout,
      maxParallelSequences: flags.parallel,
      exactTokens: flags.exactTokens,
    };
  }
  return {
    kind: "embedded",
    model: flags.model ?? null,
    chatTemplatePath: flags.chatTemplate,
    threads: flags.threads,
    contextSize: flags.contextSize,
    gpu: flags.gpu,
    parallelSequences: flags.parallel,
    deterministic: flags.deterministic,
  };
}
