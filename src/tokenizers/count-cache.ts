import { CancelledError } from "../errors.js";
import type { TokenCounter } from "./types.js";

export interface CountCacheOptions {
  /** Strings longer than this are counted every time (they rarely repeat). */
  maxTextLength?: number;
  /** Entries kept; the oldest are dropped first. */
  maxEntries?: number;
}

/**
 * Remember the counts of short strings. The engine counts the same few strings over and over
 * ("Wait", " Wait", "\n", the answer prefixes); a server tokenizer would otherwise pay one HTTP
 * round trip for each. Concurrent requests for the same string share one count, which is why the
 * shared count runs without any one caller's signal: a caller that gives up only stops waiting.
 */
export function withCountCache(
  counter: TokenCounter,
  options: CountCacheOptions = {},
): TokenCounter {
  const maxTextLength = options.maxTextLength ?? 256;
  const maxEntries = options.maxEntries ?? 4096;
  const counts = new Map<string, Promise<number>>();

  const sharedCount = (text: string): Promise<number> => {
    const known = counts.get(text);
    if (known) return known;
    const counting = counter.countTokens(text);
    counts.set(text, counting);
    // A failed count (a server hiccup) must not be remembered.
    counting.catch(() => {
      if (counts.get(text) === counting) counts.delete(text);
    });
    if (counts.size > maxEntries) {
      const oldest = counts.keys().next().value;
      if (oldest !== undefined) counts.delete(oldest);
    }
    return counting;
  };

  return {
    description: counter.description,
    countTokens(text, callOptions = {}) {
      if (text.length === 0) return Promise.resolve(0);
      if (text.length > maxTextLength) return counter.countTokens(text, callOptions);
      return untilAborted(sharedCount(text), callOptions.signal);
    },
    ...(counter.tokenize && { tokenize: counter.tokenize.bind(counter) }),
    ...(counter.detokenize && { detokenize: counter.detokenize.bind(counter) }),
    close: () => counter.close(),
  };
}

/** Settle with `work`, or reject with CancelledError as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
