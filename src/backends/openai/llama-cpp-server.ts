import { BackendCallError } from "../../errors.js";
import { requestJson, type HttpAgents } from "../../net/index.js";
import type { ServerEndpoint } from "./server-pool.js";

/**
 * llama.cpp's server runs every completion's text through a chat-message parser, even on the plain
 * completion endpoints, and that parser rejects text that is not valid UTF-8 with a 500 ("The model
 * produced output that does not match the expected Content-only format", ggml-org/llama.cpp#27543):
 * a model that emits one stray byte token fails the sample after every retry. A parser that accepts
 * anything (`epsilon`) leaves the completion's text untouched, and the text is all m1 reads.
 */
export const LLAMA_CPP_COMPLETION_FIELDS: Readonly<Record<string, unknown>> = {
  chat_parser: JSON.stringify({ parsers: [{ type: "epsilon" }], rules: {}, root: 0 }),
};

/**
 * Only llama.cpp's server answers `GET /props` with its `default_generation_settings`; resolves to
 * its slot count (`total_slots`, what `--parallel` set), or undefined for any other server.
 */
export async function llamaCppServerSlots(
  server: ServerEndpoint,
  settings: { apiKey?: string; agents?: HttpAgents; timeoutMs: number; signal?: AbortSignal },
): Promise<number | undefined> {
  let reply: unknown;
  try {
    reply = await requestJson({ method: "GET", url: `${server.root}/props`, ...settings });
  } catch (error) {
    if (error instanceof BackendCallError && error.status !== undefined) return undefined;
    throw error;
  }
  if (typeof reply !== "object" || reply === null || !("default_generation_settings" in reply)) {
    return undefined;
  }
  const slots = (reply as { total_slots?: unknown }).total_slots;
  return typeof slots === "number" && Number.isInteger(slots) && slots > 0 ? slots : 1;
}
