import { withCountCache } from "./count-cache.js";
import { loadGgufVocabulary } from "./gguf-vocabulary.js";
import { loadTokenizerJson } from "./tokenizer-json.js";
import type { TokenCounter } from "./types.js";

export type { TokenCounter } from "./types.js";
export { withCountCache } from "./count-cache.js";
export { loadTokenizerJson } from "./tokenizer-json.js";
export { loadGgufVocabulary } from "./gguf-vocabulary.js";

export const TOKENIZER_FLAG_FIX =
  "pass the model's tokenizer.json, the model folder holding it, or its .gguf file (--tokenizer; tokenizer_path in m1 eval)";

/**
 * A local tokenizer, chosen by the path: a `.gguf` file uses its vocabulary, anything else is a
 * Hugging Face `tokenizer.json` or a folder holding one. Counts of short strings are cached.
 */
export async function loadLocalTokenCounter(path: string): Promise<TokenCounter> {
  const counter = path.toLowerCase().endsWith(".gguf")
    ? await loadGgufVocabulary(path)
    : loadTokenizerJson(path);
  return withCountCache(counter);
}
