import { BackendCallError } from "../../errors.js";
import { requestJson, type HttpAgents } from "../../net/index.js";
import type { ServerEndpoint } from "./server-pool.js";

/** A model a server lists, with the context length it says it serves (vLLM, SGLang). */
export interface ServedModel {
  id: string;
  /** vLLM/SGLang `max_model_len`: prompt + completion tokens per request. */
  maxModelLen?: number;
}

export interface ServerQuerySettings {
  apiKey?: string;
  agents?: HttpAgents;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * `GET /v1/models`: the models the server serves, or undefined when it has no such endpoint (404);
 * anything else that goes wrong (unreachable, 401, 5xx) is thrown.
 */
export async function listServedModels(
  server: ServerEndpoint,
  settings: ServerQuerySettings,
): Promise<ServedModel[] | undefined> {
  let reply: unknown;
  try {
    reply = await requestJson({
      method: "GET",
      url: `${server.apiBase}/models`,
      apiKey: settings.apiKey,
      timeoutMs: settings.timeoutMs,
      signal: settings.signal,
      agents: settings.agents,
    });
  } catch (error) {
    if (error instanceof BackendCallError && error.status === 404) return undefined;
    throw error;
  }
  const data = (reply as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  return data.flatMap((entry: unknown) => {
    const { id, max_model_len: length } = (entry ?? {}) as {
      id?: unknown;
      max_model_len?: unknown;
    };
    if (typeof id !== "string") return [];
    return [{ id, ...(isPositiveInteger(length) ? { maxModelLen: length } : {}) }];
  });
}

/**
 * llama.cpp server's `GET /props`: the context of one slot (`default_generation_settings.n_ctx`,
 * the server's --ctx-size divided among its --parallel slots). Undefined for servers without it
 * or that answer anything unexpected: the limit is a courtesy check, never a reason to fail.
 */
export async function llamaCppSlotContext(
  server: ServerEndpoint,
  settings: ServerQuerySettings,
): Promise<number | undefined> {
  try {
    const reply = await requestJson({
      method: "GET",
      url: `${server.root}/props`,
      apiKey: settings.apiKey,
      timeoutMs: settings.timeoutMs,
      signal: settings.signal,
      agents: settings.agents,
    });
    const slot = (reply as { default_generation_settings?: { n_ctx?: unknown } } | null)
      ?.default_generation_settings?.n_ctx;
    return isPositiveInteger(slot) ? slot : undefined;
  } catch {
    return undefined;
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
