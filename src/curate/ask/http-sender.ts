import { createHttpAgents, withRetries } from "../../net/index.js";
import { callChatCompletion, type ChatEndpoint } from "./chat-client.js";
import type { ChatSender } from "./chat-jobs.js";
import type { ChatRequestBody } from "./chat-types.js";
import { costUsd, type ModelPrice } from "./prices.js";
import { RateLimiter, type RateLimits } from "./rate-limiter.js";
import { DEFAULT_OUTPUT_TOKEN_ESTIMATE, estimateMessageTokens } from "./token-estimate.js";

export interface RetryPolicy {
  /** Retries after the first attempt (m1/curator: 10). */
  maxRetries: number;
  /** Whole-request timeout (m1/curator: 600 s). */
  timeoutSeconds: number;
  /** First backoff delay; doubles per retry, with jitter, never below a server's Retry-After. */
  initialDelaySeconds: number;
  maxDelaySeconds: number;
}

/** How to reach a chat API and how hard to push it. */
export interface ChatRunSettings {
  endpoint: ChatEndpoint;
  limits: RateLimits & { concurrency: number };
  retry: RetryPolicy;
  /** Price of the model; unset: costs are reported as unknown. */
  price?: ModelPrice;
}

/** Tokens a request is budgeted for before it is sent: prompt estimate + max_tokens. */
export function estimatedRequestTokens(body: ChatRequestBody): number {
  return estimateMessageTokens(body.messages) + (body.max_tokens ?? DEFAULT_OUTPUT_TOKEN_ESTIMATE);
}

/**
 * Requests to an OpenAI-compatible chat API: each attempt waits for the rate limiter, then is
 * sent with the whole-request timeout; retryable failures are retried with exponential backoff
 * honouring Retry-After (a 429 also pauses every other request of the run). Token budgets are
 * settled with the server's `usage`.
 */
export function httpChatSender(settings: ChatRunSettings): ChatSender {
  const limiter = new RateLimiter(settings.limits);
  const agents = createHttpAgents();
  return {
    concurrency: settings.limits.concurrency,
    priced: settings.price !== undefined,
    async send(body, signal, onRetry) {
      const answer = await withRetries(
        async () => {
          const reservation = await limiter.acquire(estimatedRequestTokens(body), signal);
          try {
            const reply = await callChatCompletion(settings.endpoint, body, {
              timeoutMs: settings.retry.timeoutSeconds * 1000,
              signal,
              agents,
            });
            reservation.settle(reply.promptTokens + reply.completionTokens);
            return reply;
          } catch (error) {
            reservation.settle(0);
            throw error;
          }
        },
        {
          maxRetries: settings.retry.maxRetries,
          initialDelayMs: settings.retry.initialDelaySeconds * 1000,
          maxDelayMs: settings.retry.maxDelaySeconds * 1000,
          maxRetryAfterMs: 10 * 60_000,
        },
        {
          signal,
          onRetry: (error, retry, delayMs) => {
            onRetry({ error, retry, delayMs });
            // A 429 is about the account, not this request: everyone waits.
            if (error.status === 429) limiter.pause(delayMs);
          },
        },
      );
      return {
        ...answer,
        costUsd: costUsd(settings.price, answer.promptTokens, answer.completionTokens),
      };
    },
    close: () => agents.destroy(),
  };
}
