import { BackendCallError } from "../../errors.js";

/**
 * Failed samples, as the user needs to see them: grouped by what went wrong, and a run that can
 * only fail (every first sample refused by the server for the same reason) stopped early instead
 * of failing the whole study one sample at a time.
 */

/** Samples that must all fail the same way before a run stops early. */
export const EARLY_STOP_SAMPLES = 8;

/**
 * Messages that differ only in numbers are one kind of failure ("needs up to 8260" and "needs up
 * to 8311" are the same context overflow); an HTTP status is not such a number (a 404 is not a 422).
 */
export function failureGroupKey(message: string): string {
  return message.replace(/(failed with \d{3}:)|\d+(\.\d+)?/g, (_number, status?: string) =>
    status === undefined ? "#" : status,
  );
}

/**
 * Retrying or going on cannot help: the server refused the request (a 4xx other than 408, 409 and
 * 429, which are retried) or the call cannot fit the context. Retryable errors that ran out of
 * retries (a server down for a while) do not count.
 */
export function isPermanentFailure(error: unknown): error is BackendCallError {
  return error instanceof BackendCallError && !error.isRetryable;
}

/** Watches a run's first samples; says when they have all failed permanently, the same way. */
export class FirstFailures {
  private failed = 0;
  private key: string | undefined;
  private broken = false;
  /** The first failure's message, whole. */
  message: string | undefined;

  constructor(private readonly limit: number = EARLY_STOP_SAMPLES) {}

  /** Record one finished sample (its error, or undefined); true when the run should stop now. */
  record(error: unknown): boolean {
    if (this.broken) return false;
    if (!isPermanentFailure(error)) {
      this.broken = true;
      return false;
    }
    const key = failureGroupKey(error.message);
    if (this.key === undefined) {
      this.key = key;
      this.message = error.message;
    } else if (key !== this.key) {
      this.broken = true;
      return false;
    }
    return ++this.failed >= this.limit;
  }
}

/** One kind of failure among an experiment's samples. */
export interface FailureGroup {
  /** The first message of the group (samples in order). */
  message: string;
  count: number;
}

/** Group failure messages by kind, the largest group first (ties: the earliest). */
export function groupFailures(messages: readonly string[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const message of messages) {
    const key = failureGroupKey(message);
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { message, count: 1 });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
