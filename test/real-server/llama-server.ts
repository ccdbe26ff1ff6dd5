import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { llamaServerBinaryPath } from "../../scripts/build-llama-server.js";

/**
 * A real llama.cpp `llama-server` for tests: the binary `npm test`'s pretest builds from the
 * llama.cpp source node-llama-cpp ships (scripts/build-llama-server.ts), started on 127.0.0.1 with
 * a free port and stopped by the test that started it.
 */
export const LLAMA_SERVER_BINARY = llamaServerBinaryPath();
export const llamaServerAvailable = existsSync(LLAMA_SERVER_BINARY);

if (!llamaServerAvailable) {
  const how = "run `npm run build:llama-server` (npm test's pretest does it)";
  if (process.env.CI === "true") {
    throw new Error(`${LLAMA_SERVER_BINARY} is missing: ${how}`);
  }
  console.warn(
    `\n!!! WARNING: ${LLAMA_SERVER_BINARY} not found: SKIPPING the real llama.cpp server tests; ${how}. !!!\n`,
  );
}

export interface LlamaServerOptions {
  modelPath: string;
  /** Slots (`--parallel`): requests decoded together. Default 1. */
  parallel?: number;
  /** Context tokens per slot. Default 4096. */
  slotContext?: number;
  /** A fixed port (a restart reuses the old one); default: any free port. */
  port?: number;
  extraArgs?: readonly string[];
}

export interface RunningLlamaServer {
  /** The OpenAI API base, `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the server printed. */
  log(): string;
  /** SIGKILL, as a crash would (resolves when it is gone). */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s (resolves when it is gone). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * llama-server's defaults otherwise, which match the embedded engine's arithmetic: flash attention
 * "auto" (node-llama-cpp's default too; turning it off alone changes greedy output within a few
 * hundred tokens), prompts decoded in 512-token micro-batches (node-llama-cpp's batch size), one
 * KV stream per slot. One thread (the embedded engine's choice for tiny models), and `--special`
 * so special tokens such as `<|im_start|>` appear in the text and can stop thinking (m1's
 * protocol needs it).
 */
export async function startLlamaServer(options: LlamaServerOptions): Promise<RunningLlamaServer> {
  const parallel = options.parallel ?? 1;
  const slotContext = options.slotContext ?? 4096;
  const logDir = mkdtempSync(join(tmpdir(), "m1-llama-server-"));
  const logPath = join(logDir, "server.log");
  const args = [
    "--model",
    options.modelPath,
    "--host",
    "127.0.0.1",
    "--port",
    String(options.port ?? 0),
    "--parallel",
    String(parallel),
    "--ctx-size",
    String(slotContext * parallel),
    "--threads",
    "1",
    "--threads-batch",
    "1",
    "--special",
    "--no-webui",
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(LLAMA_SERVER_BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  // Should the test process end without stopping it (a crash, a timeout), take it along.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  const logStream = createWriteStream(logPath);
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    logStream.write(chunk);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  try {
    const port = await waitForListening(child, () => output, exited);
    const server = runningServer(child, port, () => output, exited);
    await waitForHealth(port, exited, () => output);
    return server;
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
}

function runningServer(
  child: ChildProcess,
  port: number,
  log: () => string,
  exited: Promise<void>,
): RunningLlamaServer {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    pid: child.pid!,
    log,
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (gone()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The server logs `listening on http://127.0.0.1:PORT` once bound (port 0 picks a free one). */
async function waitForListening(
  child: ChildProcess,
  log: () => string,
  exited: Promise<void>,
): Promise<number> {
  const deadline = Date.now() + 60_000;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  while (Date.now() < deadline) {
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log());
    if (match) return Number(match[1]);
    if (hasExited) {
      throw new Error(`llama-server exited (${child.exitCode}) before listening:\n${tail(log())}`);
    }
    await sleep(50);
  }
  throw new Error(`llama-server did not start listening within 60 s:\n${tail(log())}`);
}

/** `/health` answers 503 while the model loads, 200 once requests can be served. */
async function waitForHealth(port: number, exited: Promise<void>, log: () => string) {
  const deadline = Date.now() + 60_000;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`llama-server exited while loading:\n${tail(log())}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok) return;
    } catch {
      // not accepting yet
    }
    await sleep(100);
  }
  throw new Error(`llama-server was not healthy within 60 s:\n${tail(log())}`);
}

function tail(text: string): string {
  return text.trimEnd().split("\n").slice(-15).join("\n");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The build's record (tag, commit, options, seconds), for test names and reports. */
export function llamaServerBuildInfo(): Record<string, unknown> | undefined {
  try {
    return JSON.parse(
      readFileSync(join(LLAMA_SERVER_BINARY, "..", "build-info.json"), "utf8"),
    ) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
