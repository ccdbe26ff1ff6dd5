import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { vi } from "vitest";

/**
 * Running the m1 CLI from tests, two ways:
 * - `runCli`: in this process, through the same `main` that bin/m1.js calls (fast: no tsx start-up
 *   per case, which costs seconds on a busy machine);
 * - `startM1`/`runM1`: the real binary in a child process, for what only a process shows (exit on
 *   signals, SIGKILL mid-run, a server in this process serving it meanwhile).
 */
export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const M1_BIN = join(REPO_ROOT, "bin", "m1.js");

/** A colour-free environment, as a pipe would give (no TTY, no CI progress). */
export const PLAIN_ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };

/**
 * Limit for a test that spawns CLIs: far above what they take (seconds), so that a machine shared
 * with heavy work makes them slow, not failed. Speed is the benchmark's business, not the tests'.
 */
export const CLI_TEST_TIMEOUT_MS = 180_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `m1 <args>` in this process; resolves to its exit code and what it printed. The CLI (every
 * command) is imported on first use, so test files that never run it do not pay for it. What the
 * CLI leaves on the process is undone: its exit code, and the Ctrl-C handlers it installs (so the
 * test worker still ends on the runner's SIGTERM).
 */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const text = (chunk: string | Uint8Array) =>
    typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  const outSpy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += text(chunk);
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += text(chunk);
    return true;
  });
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = signals.map((signal) => new Set(process.listeners(signal)));
  try {
    process.exitCode = undefined;
    const { main } = await import("../../src/cli/main.js");
    const code = await main(["node", "m1", ...args]);
    return { code, stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    process.exitCode = undefined;
    signals.forEach((signal, index) => {
      for (const listener of process.listeners(signal)) {
        if (!before[index]!.has(listener)) process.off(signal, listener);
      }
    });
  }
}

export interface ProcessResult {
  /** Null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `m1` process whose output is collected. */
export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  done: Promise<ProcessResult>;
}

export interface SpawnOptions {
  cwd?: string;
  /** Default PLAIN_ENV. */
  env?: NodeJS.ProcessEnv;
}

/** Start `node bin/m1.js ...args` (asynchronously, so servers in this process keep serving). */
export function startM1(args: readonly string[], options: SpawnOptions = {}): RunningCli {
  return startProcess([M1_BIN, ...args], options);
}

/** Run `m1` to the end (killed after `timeoutMs`, so a hung CLI fails the test, not the suite). */
export async function runM1(
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return runToEnd(startM1(args, options), options.timeoutMs);
}

/** Start `node <nodeArgs>` in the repository with the output collected (for runners like cli-batch). */
export function startProcess(nodeArgs: readonly string[], options: SpawnOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...nodeArgs], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? PLAIN_ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Wait for a started process, killing it after `timeoutMs` (default: half a CLI test's limit). */
export async function runToEnd(
  running: RunningCli,
  timeoutMs = CLI_TEST_TIMEOUT_MS / 2,
): Promise<ProcessResult> {
  const timer = setTimeout(() => running.child.kill("SIGKILL"), timeoutMs);
  try {
    return await running.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Wait until `predicate` holds or the process exits; true when the predicate held. */
export async function waitForCli(cli: RunningCli, predicate: () => boolean): Promise<boolean> {
  let exited = false;
  void cli.done.then(() => (exited = true));
  while (!predicate()) {
    if (exited) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

/** Config values as one `-u` dotlist: lists in brackets, strings with braces or backslashes quoted. */
export function dotlist(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([key, value]) => {
      if (Array.isArray(value)) return `${key}=[${value.join(",")}]`;
      if (typeof value === "string" && /[\\{}]/.test(value)) return `${key}='${value}'`;
      return `${key}=${String(value)}`;
    })
    .join(",");
}
