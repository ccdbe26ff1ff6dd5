import { BackendCallError, CancelledError } from "../../errors.js";
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

/** What llama.cpp's server says of itself at `GET /props`. */
export interface LlamaCppProps {
  /** The context of one slot (`default_generation_settings.n_ctx`: --ctx-size over the slots). */
  slotContext?: number;
  /** Its slots (`total_slots`, what --parallel set). */
  slots: number;
}

/**
 * llama.cpp server's `GET /props`; undefined for servers without it (only llama.cpp answers with
 * `default_generation_settings`) or that answer anything unexpected: what it tells (a limit checked
 * early, slots lent one per sequence) is a courtesy, never a reason to fail.
 */
export async function llamaCppProps(
  server: ServerEndpoint,
  settings: ServerQuerySettings,
): Promise<LlamaCppProps | undefined> {
  let reply: unknown;
  try {
    reply = await requestJson({
      method: "GET",
      url: `${server.root}/props`,
      apiKey: settings.apiKey,
      timeoutMs: settings.timeoutMs,
      signal: settings.signal,
      agents: settings.agents,
    });
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    return undefined;
  }
  const { default_generation_settings: slotSettings, total_slots: slots } = (reply ?? {}) as {
    default_generation_settings?: { n_ctx?: unknown } | null;
    total_slots?: unknown;
  };
  if (typeof slotSettings !== "object" || slotSettings === null) return undefined;
  return {
    ...(isPositiveInteger(slotSettings.n_ctx) ? { slotContext: slotSettings.n_ctx } : {}),
    slots: isPositiveInteger(slots) ? slots : 1,
  };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
