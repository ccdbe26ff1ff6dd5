import { BackendCallError } from "../../errors.js";
import { requestJson, type HttpAgents } from "../../net/index.js";
import type { ServerEndpoint } from "./server-pool.js";

/**
 * `GET /v1/models`: the ids the server serves, or undefined when it has no such endpoint (404);
 * anything else that goes wrong (unreachable, 401, 5xx) is thrown.
 */
export async function listServedModels(
  server: ServerEndpoint,
  settings: { apiKey?: string; agents?: HttpAgents; timeoutMs: number; signal?: AbortSignal },
): Promise<string[] | undefined> {
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
  return data
    .map((entry: unknown) => (entry as { id?: unknown } | null)?.id)
    .filter((id): id is string => typeof id === "string");
}
