import type { Command } from "commander";
import { openBackend } from "../../backends/factory.js";
import { flagLayers, parseConfig, readConfigFile, type ConfigLayer } from "../../config/index.js";
import { M1_GENERATION_DEFAULTS } from "../../engine/generation-settings.js";
import { retryNotices } from "../../net/index.js";
import { THINKING_FORMAT_NAMES, resolveThinkingFormat } from "../../engine/thinking-formats.js";
import {
  DEFAULT_EMBEDDED_PARALLEL,
  DEFAULT_EFFORT_BUDGETS,
  requestDefaultsOf,
  serveConfigSchema,
  startServe,
  startLine,
  type ServeConfig,
} from "../../serve/index.js";
import { addBackendFlags, backendSettingsFromFlags } from "../backend-flags.js";
import { integerFlag, numberFlag } from "../flags.js";
import { SHARED_GENERATION_FLAGS } from "../generation-flags.js";
import { interruptSignal, keepLaunchedServersOnInterrupt } from "../interrupt.js";
import { errorColors, printNote, printWarning } from "../output.js";

/** Each flag of `m1 serve` and the config key it sets (the YAML of --config uses the keys). */
const SERVE_FLAGS: ReadonlyArray<
  readonly [property: string, flag: string, key: keyof ServeConfig]
> = [
  ["model", "--model", "model"],
  ["baseUrl", "--base-url", "base_url"],
  ["upstreamApiKey", "--upstream-api-key", "upstream_api_key"],
  ["modelName", "--model-name", "model_name"],
  ["launch", "--launch", "launch"],
  ["modelPath", "--model-path", "model_path"],
  ["dp", "--dp", "dp"],
  ["tp", "--tp", "tp"],
  ["memFraction", "--mem-fraction", "mem_fraction"],
  ["launchPort", "--launch-port", "launch_port"],
  ["chatTemplate", "--chat-template", "chat_template"],
  ["tokenizer", "--tokenizer", "tokenizer"],
  ["threads", "--threads", "threads"],
  ["contextSize", "--context-size", "context_size"],
  ["gpu", "--gpu", "gpu"],
  ["deterministic", "--deterministic", "deterministic"],
  ["exactTokens", "--exact-tokens", "exact_tokens"],
  ["timeout", "--timeout", "timeout"],
  ["parallel", "--parallel", "parallel"],
  ["host", "--host", "host"],
  ["port", "--port", "port"],
  ["apiKey", "--api-key", "api_key"],
  ["maxQueue", "--max-queue", "max_queue"],
  ["requestTimeout", "--request-timeout", "request_timeout"],
  ["maxBodyBytes", "--max-body-bytes", "max_body_bytes"],
  ["corsOrigin", "--cors-origin", "cors_origins"],
  ["budget", "--budget", "thinking_budget"],
  ["reasoningEffort", "--reasoning-effort", "reasoning_effort"],
  ["wait", "--wait", "wait_rounds"],
  ["waitText", "--wait-text", "wait_text"],
  ["answerBudget", "--answer-budget", "max_completion_tokens"],
  ...SHARED_GENERATION_FLAGS,
];

const DEFAULTS = M1_GENERATION_DEFAULTS;
const API_KEY_ENV = "M1_SERVE_API_KEY";

export function registerServe(program: Command): void {
  const command = program
    .command("serve")
    .description(
      "Serve a model as an OpenAI-compatible API with m1's thinking control in\n" +
        "every request: thinking_budget (token-exact), reasoning_effort, wait_rounds,\n" +
        "min_thinking_tokens, thinking. Over the embedded engine (--model) or any\n" +
        "OpenAI-compatible server (--base-url, --launch). The thinking comes back as\n" +
        "reasoning_content, the answer as content. Every parameter: docs/serve.md.",
    )
    .option(
      "--config <file>",
      "YAML file with any of these settings (keys: the flag names in snake_case)",
    )
    .option(
      "--host <address>",
      "address to listen on (default 127.0.0.1; anything else exposes the model)",
    )
    .option(
      "--port <n>",
      "port to listen on (default 8000; 0 picks a free one)",
      integerFlag({ min: 0, max: 65535 }),
    )
    .option(
      `--api-key <key>`,
      `require Authorization: Bearer <key> on every request (default: $${API_KEY_ENV})`,
    )
    .option(
      "--parallel <n>",
      `sequences generated at once (default ${DEFAULT_EMBEDDED_PARALLEL} embedded, 64 per server)`,
      integerFlag({ min: 1 }),
    )
    .option(
      "--max-queue <n>",
      "sequences that may wait for a free one; beyond, 429 (default 256)",
      integerFlag({ min: 0 }),
    )
    .option(
      "--request-timeout <seconds>",
      "cancel a request (504) after this long, queueing included (default 600)",
      numberFlag({ min: 0.001 }),
    )
    .option(
      "--max-body-bytes <n>",
      "largest request body (default 4 MiB; larger: 413)",
      integerFlag({ min: 1024 }),
    )
    .option(
      "--cors-origin <origin>",
      'a web page origin allowed to call the API from a browser, e.g. http://localhost:3000 ("*": any); repeat for several',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--format <name>",
      `thinking format: ${THINKING_FORMAT_NAMES.join(", ")} (default ${DEFAULTS.thinking_format})`,
    )
    .option(
      "--budget <n>",
      `default thinking_budget (default ${DEFAULTS.max_new_tokens}, m1's max_new_tokens)`,
    )
    .option(
      "--reasoning-effort <level>",
      `default reasoning_effort: low, medium or high (budgets ${Object.values(DEFAULT_EFFORT_BUDGETS).join("/")}; set reasoning_effort_budgets in --config)`,
    )
    .option("--wait <k>", `default wait_rounds (default ${DEFAULTS.keep_think_below_budget_times})`)
    .option(
      "--wait-text <text>",
      `default wait_text (default ${DEFAULTS.keep_think_below_budget_str})`,
    )
    .option(
      "--answer-budget <n>",
      `default max_completion_tokens (default ${DEFAULTS.max_new_answer_tokens})`,
    )
    .option(
      "--min-thinking <n>",
      `default min_thinking_tokens (default ${DEFAULTS.min_thinking_tokens}: off)`,
    )
    .option("--temperature <t>", `default temperature (default ${DEFAULTS.temperature}: greedy)`)
    .option("--top-p <p>", "default top_p")
    .option(
      "--frequency-penalty <x>",
      `default frequency_penalty (default ${DEFAULTS.frequency_penalty})`,
    )
    .option("--seed <n>", "default seed (default: a random one per choice)")
    .option(
      "--forced-close-message <text>",
      "think-tags: text written before </think> when the budget ends thinking",
    );
  addBackendFlags(command, { serving: true });
  command.addHelpText(
    "after",
    "\nExample: m1 serve --model m1-7b.gguf --port 8000, then\n" +
      `  curl http://127.0.0.1:8000/v1/chat/completions -d '{"messages": [{"role": "user", "content": "..."}], "thinking_budget": 1024}'\n` +
      "Stop with Ctrl-C: requests in flight finish, new ones get 503.",
  );
  command.action(async (flags: Record<string, unknown>, self: Command) => {
    const config = loadServeConfig(flags, self);
    const thinkingFormat = resolveThinkingFormat(config.thinking_format, {
      forced_close_message: config.forced_close_message ?? undefined,
    });
    const backendSettings = backendSettingsFromFlags(
      {
        model: config.model ?? undefined,
        baseUrl: config.base_url === null ? undefined : [config.base_url].flat(),
        apiKey: config.upstream_api_key ?? undefined,
        modelName: config.model_name ?? undefined,
        launch: config.launch ?? undefined,
        modelPath: config.model_path ?? undefined,
        dp: config.dp,
        tp: config.tp,
        memFraction: config.mem_fraction ?? undefined,
        port: config.launch_port ?? undefined,
        chatTemplate: config.chat_template ?? undefined,
        tokenizer: config.tokenizer ?? undefined,
        threads: config.threads ?? undefined,
        contextSize: config.context_size ?? undefined,
        gpu: config.gpu,
        deterministic: config.deterministic,
        exactTokens: config.exact_tokens,
        timeout: config.timeout,
        parallel: config.parallel ?? undefined,
      },
      config.seed ?? DEFAULTS.seed,
    );
    if (backendSettings.kind === "embedded") {
      backendSettings.parallelSequences ??= DEFAULT_EMBEDDED_PARALLEL;
    } else {
      // An operator hears once per kind of upstream failure that calls are being retried.
      backendSettings.onRetry = retryNotices((line) => printWarning(`upstream: ${line}`));
    }
    keepLaunchedServersOnInterrupt();
    const opened = await openBackend(backendSettings, { signal: interruptSignal });
    try {
      for (const note of opened.notes) printNote(errorColors.yellow(note));
      const served = await startServe({
        backend: opened.backend,
        modelName: config.model_name ?? opened.modelName,
        thinkingFormat,
        defaults: requestDefaultsOf(config),
        apiKey: config.api_key,
        maxQueue: config.max_queue,
        requestTimeoutSeconds: config.request_timeout,
        maxBodyBytes: config.max_body_bytes,
        corsOrigins: config.cors_origins,
        host: config.host,
        port: config.port,
      });
      if (!["127.0.0.1", "localhost", "::1"].includes(config.host) && !config.api_key) {
        printWarning(
          `listening on ${config.host} without --api-key: anyone who can reach this address can use the model`,
        );
      }
      process.stdout.write(`${startLine(served)}\n`);
      await new Promise<void>((resolve) => {
        if (interruptSignal.aborted) resolve();
        interruptSignal.addEventListener("abort", () => resolve(), { once: true });
      });
      const busy = served.queue.running + served.queue.waiting;
      printNote(
        `m1 serve: stopping: new requests get 503${busy > 0 ? `, ${busy} sequence(s) in flight finish first` : ""}`,
      );
      await served.shutdown();
    } finally {
      await opened.backend.close();
    }
  });
}

/** Defaults <- --config YAML <- $M1_SERVE_API_KEY <- flags given, validated once. */
function loadServeConfig(flags: Record<string, unknown>, command: Command): ServeConfig {
  const layers: ConfigLayer[] = [];
  if (typeof flags.config === "string") {
    layers.push(
      readConfigFile(flags.config, { flag: "--config", exampleLine: "thinking_budget: 2048" }),
    );
  }
  const fromEnv = process.env[API_KEY_ENV];
  if (fromEnv)
    layers.push({
      origin: { kind: "flag", flag: `$${API_KEY_ENV}` },
      values: { api_key: fromEnv },
    });
  layers.push(
    ...flagLayers(
      serveConfigSchema,
      SERVE_FLAGS.filter(([property]) => command.getOptionValueSource(property) === "cli").map(
        ([property, flag, key]) => ({ flag, key, value: flags[property] }),
      ),
    ),
  );
  return parseConfig(serveConfigSchema, layers, { keysHelp: "see docs/serve.md for the keys" });
}
