import { z } from "zod";
import { requestJson, type HttpAgents } from "../../net/index.js";
import { BackendCallError } from "../../errors.js";
import type { ChatAnswer, ChatRequestBody } from "./chat-types.js";
import { estimateMessageTokens } from "./token-estimate.js";

/** Where the chat API lives: `{baseUrl}/chat/completions`, e.g. `https://api.deepseek.com/v1`. */
export interface ChatEndpoint {
  baseUrl: string;
  apiKey?: string;
}

/** The part of an OpenAI-style chat completion we read; anything else is ignored. */
const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          reasoning_content: z.string().nullish(),
          reasoning: z.string().nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() })
    .nullish(),
});

export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
}

/**
 * One non-streamed chat completion. Failures come out as BackendCallError (retryable for 408,
 * 409, 429, 5xx, timeouts, dropped connections and malformed 200 bodies, which proxies under load
 * do send) or CancelledError. Cost is filled in by the caller, who knows the price table.
 */
export async function callChatCompletion(
  endpoint: ChatEndpoint,
  body: ChatRequestBody,
  options: { timeoutMs: number; signal?: AbortSignal; agents?: HttpAgents },
): Promise<Omit<ChatAnswer, "costUsd">> {
  const url = chatCompletionsUrl(endpoint.baseUrl);
  const json = await requestJson({
    method: "POST",
    url,
    body,
    apiKey: endpoint.apiKey,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    agents: options.agents,
  });
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    throw new BackendCallError(
      `POST ${url} returned a body without choices[0].message: ${JSON.stringify(json).slice(0, 200)}`,
      { status: 200, isRetryable: true },
    );
  }
  const choice = parsed.data.choices[0]!;
  const content = choice.message.content ?? null;
  const usage = parsed.data.usage;
  return {
    content,
    reasoning: choice.message.reasoning_content ?? choice.message.reasoning ?? null,
    finishReason: choice.finish_reason ?? null,
    promptTokens: usage?.prompt_tokens ?? estimateMessageTokens(body.messages),
    completionTokens:
      usage?.completion_tokens ??
      estimateTextTokens((content ?? "") + (choice.message.reasoning_content ?? "")),
  };
}

function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
