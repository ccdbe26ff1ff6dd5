import { BackendCallError, CancelledError } from "../errors.js";
import { failureKind } from "./failures.js";

/** How failed calls are retried: those whose BackendCallError `isRetryable` (see failures.ts). */
export interface RetrySettings {
  /** Retries after the first attempt (0: fail at once). */
  maxRetries: number;
  /** Delay before the first retry; it doubles each time, with jitter. */
  initialDelayMs: number;
  /** Cap of the exponential delay. */
  maxDelayMs: number;
  /** Cap of a server's Retry-After, so a bad header cannot stall a run for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxRetries: 5,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/**
 * The wait before retry number `retry` (0-based): exponential with "equal jitter" (half fixed,
 * half random, so many clients that failed together do not come back together), and never less
 * than what the server asked for in Retry-After.
 */
export function retryDelayMs(
  retry: number,
  error: BackendCallError,
  settings: RetrySettings,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** retry);
  const jittered = exponential / 2 + (random() * exponential) / 2;
  if (error.retryAfterSeconds === undefined) return jittered;
  return Math.min(settings.maxRetryAfterMs, Math.max(error.retryAfterSeconds * 1000, jittered));
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Called before each wait, e.g. to mark a server unhealthy or to tell the user (retryNotices). */
  onRetry?: (error: BackendCallError, retry: number, delayMs: number) => void;
  /** True when the next attempt may go at once (e.g. it will use another, healthy server). */
  retryAtOnce?: (error: BackendCallError, retry: number) => boolean;
}

/** Run `attempt` until it succeeds, fails with a non-retryable error, or retries run out. */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  settings: RetrySettings,
  hooks: RetryHooks = {},
): Promise<T> {
  for (let attemptNumber = 0; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      const retryable = error instanceof BackendCallError && error.isRetryable;
      if (!retryable) throw error;
      if (attemptNumber >= settings.maxRetries) {
        if (attemptNumber > 0) error.message += ` (gave up after ${attemptNumber + 1} attempts)`;
        throw error;
      }
      const delay = hooks.retryAtOnce?.(error, attemptNumber)
        ? 0
        : retryDelayMs(attemptNumber, error, settings);
      hooks.onRetry?.(error, attemptNumber, delay);
      await sleep(delay, hooks.signal);
    }
  }
}

/** One retry about to happen, as clients report it to their callers. */
export interface RetryEvent {
  error: BackendCallError;
  /** 0 for the first retry. */
  retry: number;
  delayMs: number;
}

/**
 * A retry listener that tells the user `retrying in N s: <the error>` once per kind of failure
 * (`failureKind`: "503 Service Unavailable", "connection dropped", ...), not once per attempt: a
 * run of 64 parallel sequences behind one overloaded server says it once. `say` gets one line
 * without a newline (the CLI prefixes and prints it).
 */
export function retryNotices(say: (line: string) => void): (event: RetryEvent) => void {
  const told = new Set<string>();
  return ({ error, delayMs }) => {
    const kind = failureKind(error);
    if (told.has(kind)) return;
    told.add(kind);
    say(
      `${delayMs <= 0 ? "retrying now" : `retrying in ${formatDelay(delayMs)}`}: ${error.message}`,
    );
  };
}

/** "0.3 s", "2.5 s", "12 s". */
function formatDelay(milliseconds: number): string {
  const seconds = milliseconds / 1000;
  const shown = seconds >= 10 ? Math.round(seconds) : Math.max(0.1, Math.round(seconds * 10) / 10);
  return `${shown} s`;
}

export function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new CancelledError());
  if (milliseconds <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
