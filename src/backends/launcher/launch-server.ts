import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendSetupError, CancelledError } from "../../errors.js";
import { trackServer, untrackServer } from "./live-servers.js";
import { serverCommand, type ServerEngine } from "./server-command.js";
import { ServerProcess, type ProcessExit } from "./server-process.js";
import { waitUntilReady } from "./wait-until-ready.js";

export interface LaunchServerOptions {
  engine: ServerEngine;
  /** A Hugging Face model id or a local folder. */
  modelPath: string;
  /** Data-parallel replicas. Default 1 (m1 ran --dp 8). */
  dp?: number;
  /** Tensor-parallel size. Default 1. */
  tp?: number;
  /** SGLang --mem-fraction-static / vLLM --gpu-memory-utilization (m1: 0.8). Engine default when unset. */
  memFractionStatic?: number;
  /** Default 42 (m1's). */
  seed?: number;
  /** Default: a free port. */
  port?: number;
  /** Default 127.0.0.1: the server is for this machine only. */
  host?: string;
  /** Default "warning" (m1's). */
  logLevel?: string;
  /** The Python that has SGLang. Default "python3". */
  python?: string;
  extraArgs?: readonly string[];
  /** Environment added for the server (e.g. CUDA_VISIBLE_DEVICES). */
  env?: Record<string, string>;
  /** How long loading may take. Default 30 minutes. */
  startupTimeoutMs?: number;
  /** Where the server's output goes. Default: a file in the temp folder, named in errors. */
  logFile?: string;
  /** Between SIGTERM and SIGKILL when stopping. Default 15 s. */
  gracePeriodMs?: number;
  /** How often readiness is checked. Default 1 s. */
  pollIntervalMs?: number;
  /** Cancels the start-up (Ctrl-C also does). */
  signal?: AbortSignal;
}

/** A running server; close it (or `await using` it) when done. */
export interface LaunchedServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/v1`: what the OpenAI-compatible backend takes. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** The command line, for logs. */
  readonly command: readonly string[];
  readonly logFile: string;
  /** The last lines it printed. */
  logTail(): string[];
  /** Stop the whole process group: SIGTERM, then SIGKILL after the grace period. */
  close(): Promise<void>;
}

const INSTALL_FIX: Record<ServerEngine, string> = {
  vllm: "install vLLM (pip install vllm) so that `vllm` is on PATH",
  sglang: 'install SGLang (pip install "sglang[all]") for the python3 on PATH',
};

/**
 * Start vLLM or SGLang on this machine and wait until it serves (m1 started SGLang the same way).
 * The server is stopped on close, on Ctrl-C and when this process exits.
 */
export async function launchServer(options: LaunchServerOptions): Promise<LaunchedServer> {
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) throw new CancelledError();
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await findFreePort(host));
  const command = serverCommand({
    engine: options.engine,
    modelPath: options.modelPath,
    dp: options.dp ?? 1,
    tp: options.tp ?? 1,
    memFractionStatic: options.memFractionStatic,
    seed: options.seed ?? 42,
    port,
    host,
    logLevel: options.logLevel ?? "warning",
    python: options.python ?? "python3",
    extraArgs: options.extraArgs ?? [],
  });
  const logFile = options.logFile ?? join(tmpdir(), `m1-${options.engine}-${port}.log`);
  const server = new ServerProcess({
    command: command.command,
    args: command.args,
    env: { ...process.env, ...command.env, ...options.env },
    logFile,
    gracePeriodMs: options.gracePeriodMs ?? 15_000,
  });
  trackServer(server);
  const close = async () => {
    await server.stop();
    untrackServer(server);
  };

  const url = `http://${urlHost(host)}:${port}`;
  const startupTimeoutMs = options.startupTimeoutMs ?? 30 * 60_000;
  let outcome;
  try {
    outcome = await waitUntilReady({
      root: url,
      exited: server.exited,
      timeoutMs: startupTimeoutMs,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      signal,
    });
  } catch (error) {
    await close();
    throw error;
  }
  if (outcome.kind !== "ready") {
    await close();
    const name = `the ${options.engine} server`;
    if (outcome.kind === "timeout") {
      throw new BackendSetupError(
        `${name} was not ready after ${startupTimeoutMs / 1000} s${lastLines(server)}`,
        `read its log at ${logFile}; a large model may need a longer start-up timeout`,
      );
    }
    if (outcome.exit.error) {
      throw new BackendSetupError(
        `cannot start ${name}: ${outcome.exit.error.message}`,
        INSTALL_FIX[options.engine],
      );
    }
    throw new BackendSetupError(
      `${name} ${describeExit(outcome.exit)} before it was ready${lastLines(server)}`,
      `read its log at ${logFile}`,
    );
  }

  return {
    baseUrl: `${url}/v1`,
    url,
    port,
    pid: server.pid,
    command: [command.command, ...command.args],
    logFile,
    logTail: () => server.logTail(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Ask the OS for a free port (there is a small race until the server binds it). */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A wildcard bind is reached through loopback; IPv6 literals need brackets in URLs. */
function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function describeExit(exit: ProcessExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** The server's last words, on the error's one line. */
function lastLines(server: ServerProcess): string {
  const tail = server.logTail(3);
  if (tail.length === 0) return "";
  const text = tail.map((line) => line.trim()).join(" | ");
  return `: ${text.length > 500 ? `...${text.slice(-500)}` : text}`;
}
