import { extname } from "node:path";
import { CancelledError } from "../../errors.js";
import { loadGgufVocabulary } from "../../tokenizers/gguf-vocabulary.js";
import { loadTokenizerJson } from "../../tokenizers/tokenizer-json.js";
import type { TokenCounter } from "../../tokenizers/types.js";
import type { ProgressBar } from "../../progress.js";

/** A `.gguf` file counts with its vocabulary (llama.cpp); anything else is a tokenizer.json. */
export async function openTokenCounter(path: string): Promise<TokenCounter> {
  return extname(path).toLowerCase() === ".gguf"
    ? loadGgufVocabulary(path)
    : loadTokenizerJson(path);
}

export interface CountOptions {
  progress?: ProgressBar;
  signal?: AbortSignal;
}

/** Token count of every text, in order; stops with CancelledError when `signal` aborts. */
export async function countTokensOfTexts(
  texts: readonly string[],
  counter: TokenCounter,
  options: CountOptions = {},
): Promise<number[]> {
  const counts: number[] = [];
  for (const text of texts) {
    if (options.signal?.aborted) throw new CancelledError();
    counts.push(await counter.countTokens(text, { signal: options.signal }));
    options.progress?.increment();
  }
  return counts;
}
