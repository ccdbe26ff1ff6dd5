import { sharedCache, untilAborted } from "./shared-cache.js";
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
  const sharedCount = sharedCache<string, number>(maxEntries);

  return {
    description: counter.description,
    countTokens(text, callOptions = {}) {
      if (text.length === 0) return Promise.resolve(0);
      if (text.length > maxTextLength) return counter.countTokens(text, callOptions);
      return untilAborted(
        sharedCount(text, () => counter.countTokens(text)),
        callOptions.signal,
      );
    },
    ...(counter.tokenize && { tokenize: counter.tokenize.bind(counter) }),
    ...(counter.detokenize && { detokenize: counter.detokenize.bind(counter) }),
    close: () => counter.close(),
  };
}
