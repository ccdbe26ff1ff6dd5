import { BackendCallError } from "../../errors.js";
import { httpExchange, sleep } from "../../net/index.js";
import type { ProcessExit } from "./server-process.js";

export type ReadyOutcome =
  { kind: "ready" } | { kind: "exited"; exit: ProcessExit } | { kind: "timeout" };

/**
 * Poll until the server answers `GET /health` (vLLM, SGLang; llama.cpp says 503 while loading) and
 * `GET /v1/models`, until the process exits, or until the deadline. Servers without /health (404)
 * are judged by /v1/models alone.
 */
export async function waitUntilReady(settings: {
  root: string;
  exited: Promise<ProcessExit>;
  timeoutMs: number;
  pollIntervalMs: number;
  signal?: AbortSignal;
}): Promise<ReadyOutcome> {
  const deadline = Date.now() + settings.timeoutMs;
  let exit: ProcessExit | undefined;
  void settings.exited.then((value) => {
    exit = value;
  });
  const exitedOutcome = settings.exited.then((value): ReadyOutcome => ({
    kind: "exited",
    exit: value,
  }));

  while (Date.now() < deadline) {
    const probe = async (): Promise<ReadyOutcome | undefined> => {
      const health = await probeStatus(`${settings.root}/health`, settings.signal);
      if (health !== 200 && health !== 404) return undefined;
      const models = await probeStatus(`${settings.root}/v1/models`, settings.signal);
      return models === 200 ? { kind: "ready" } : undefined;
    };
    const outcome = await Promise.race([probe(), exitedOutcome]);
    if (outcome) return outcome;
    if (exit) return { kind: "exited", exit };
    const pause = Math.min(settings.pollIntervalMs, Math.max(0, deadline - Date.now()));
    await Promise.race([sleep(pause, settings.signal), exitedOutcome]);
    if (exit) return { kind: "exited", exit };
  }
  return { kind: "timeout" };
}

/** The status of a GET, or undefined when nothing answered. Cancellation is thrown. */
async function probeStatus(
  url: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  try {
    return await httpExchange(
      { method: "GET", url, timeoutMs: 5_000, signal },
      async (response) => {
        response.body.resume();
        return response.status;
      },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    return error instanceof BackendCallError ? error.status : undefined;
  }
}
