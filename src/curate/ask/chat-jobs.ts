import { setMaxListeners } from "node:events";
import { CancelledError } from "../../errors.js";
import type { RetryEvent } from "../../net/index.js";
import type { ChatAnswer, ChatRequestBody } from "./chat-types.js";
import { Semaphore } from "./rate-limiter.js";
import { requestKey, type ResponseCache } from "./response-cache.js";

/** One request to make (or to find in the cache). */
export interface ChatJob {
  body: ChatRequestBody;
  /** 0 for the plain request; n > 0 for the n-th deliberate re-ask of the same request. */
  variant?: number;
}

export interface ChatOutcome {
  answer?: ChatAnswer;
  /** The answer came from the cache: nothing was sent, nothing paid. */
  cached: boolean;
  /** Why the request failed after its retries. */
  error?: string;
}

/**
 * What answers requests: a chat API over HTTP (http-sender.ts) or a local model through the
 * budget-forcing engine (local-sender.ts). Retries, if any, happen inside `send`.
 */
export interface ChatSender {
  /** Requests in flight at most. */
  concurrency: number;
  /** Whether answers carry a price (else costs are reported as unknown). */
  priced: boolean;
  /** `onRetry` hears of each retry before its wait, with the failure that caused it. */
  send(
    body: ChatRequestBody,
    signal: AbortSignal,
    onRetry: (event: RetryEvent) => void,
  ): Promise<ChatAnswer>;
  close?(): Promise<void> | void;
}

export interface ChatRunStats {
  jobs: number;
  /** Answered from the cache. */
  cached: number;
  /** Answered by the server in this run. */
  answered: number;
  failed: number;
  retries: number;
  promptTokens: number;
  completionTokens: number;
  /** Spent in this run (cached answers cost nothing now). */
  spentUsd: number;
  /** False when some answer had no price. */
  costKnown: boolean;
}

/** Counts before any job ran: `costKnown` until an answer comes without a price. */
export function emptyChatRunStats(jobs: number, costKnown: boolean): ChatRunStats {
  return {
    jobs,
    cached: 0,
    answered: 0,
    failed: 0,
    retries: 0,
    promptTokens: 0,
    completionTokens: 0,
    spentUsd: 0,
    costKnown,
  };
}

export interface ChatRunHooks {
  signal?: AbortSignal;
  /** Called once per job as it completes (cached ones first), e.g. to advance a progress bar. */
  onOutcome?: (index: number, outcome: ChatOutcome, stats: ChatRunStats) => void;
  /** Called before a request is retried (the CLI tells the user once per kind of failure). */
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Answer every job: from the cache when it holds the request, else through the sender within its
 * concurrency bound. Each answer is written to the cache as soon as it arrives.
 * A failed job does not stop the others; cancellation (the signal) does, after in-flight work
 * has stopped, and throws CancelledError.
 */
export async function runChatJobs(
  jobs: readonly ChatJob[],
  sender: ChatSender,
  cache: ResponseCache,
  hooks: ChatRunHooks = {},
): Promise<{ outcomes: ChatOutcome[]; stats: ChatRunStats }> {
  const stats = emptyChatRunStats(jobs.length, sender.priced);
  const outcomes: ChatOutcome[] = new Array<ChatOutcome>(jobs.length);
  const keys = jobs.map((job) => requestKey(job.body, job.variant ?? 0));
  const finish = (index: number, outcome: ChatOutcome) => {
    outcomes[index] = outcome;
    hooks.onOutcome?.(index, outcome, stats);
  };

  // Cached answers first: they cost nothing and show up at once in the progress.
  const pending: number[] = [];
  keys.forEach((key, index) => {
    const answer = cache.get(key);
    if (answer) {
      stats.cached++;
      finish(index, { answer, cached: true });
    } else pending.push(index);
  });
  if (pending.length === 0) return { outcomes, stats };

  // Every waiting request listens to the signal; one local signal keeps those listeners off the
  // caller's (Node warns past 10 listeners on one signal).
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onAbort = () => controller.abort();
  if (hooks.signal?.aborted) controller.abort();
  else hooks.signal?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;

  const semaphore = new Semaphore(sender.concurrency);
  // Identical requests in one run are sent once and share the answer.
  const inFlight = new Map<string, Promise<ChatOutcome>>();
  const ask = (index: number): Promise<ChatOutcome> => {
    const key = keys[index]!;
    let call = inFlight.get(key);
    if (!call) {
      call = semaphore.run(() => askServer(jobs[index]!.body, key));
      inFlight.set(key, call);
    }
    return call;
  };

  const askServer = async (body: ChatRequestBody, key: string): Promise<ChatOutcome> => {
    try {
      const answer = await sender.send(body, signal, (event) => {
        stats.retries++;
        hooks.onRetry?.(event);
      });
      cache.put(key, body, answer);
      return { answer, cached: false };
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      return { cached: false, error: (error as Error).message };
    }
  };

  const results = await Promise.allSettled(
    pending.map(async (index) => {
      // A repeat of a request already under way in this run pays nothing: count it as cached.
      const repeat = inFlight.has(keys[index]!);
      const outcome = await ask(index);
      if (outcome.answer && repeat) {
        stats.cached++;
        finish(index, { ...outcome, cached: true });
        return;
      }
      if (outcome.answer) {
        stats.answered++;
        stats.promptTokens += outcome.answer.promptTokens;
        stats.completionTokens += outcome.answer.completionTokens;
        stats.spentUsd += outcome.answer.costUsd ?? 0;
      } else stats.failed++;
      finish(index, outcome);
    }),
  );
  hooks.signal?.removeEventListener("abort", onAbort);
  if (signal.aborted || results.some((result) => result.status === "rejected")) {
    const rejected = results.find((result) => result.status === "rejected");
    if (rejected && !(rejected.reason instanceof CancelledError)) throw rejected.reason;
    throw new CancelledError(
      `interrupted: ${stats.cached + stats.answered} of ${jobs.length} requests are answered and cached; rerun the same command to continue`,
    );
  }
  return { outcomes, stats };
}
