/**
 * Counting tokens of literal strings the engine inserts ("Wait", "\n", answer prefixes), the way
 * Hugging Face's `encode(text, add_special_tokens=False)` does: nothing is added around the text,
 * but special-token text such as `<|im_start|>` inside it counts as that one special token.
 */
export interface TokenCounter {
  /** Where the vocabulary comes from, e.g. `tokenizer.json: /models/m1/tokenizer.json`. */
  readonly description: string;
  countTokens(text: string, options?: { signal?: AbortSignal }): Promise<number>;
  /**
   * The token ids of a text (no special tokens added, special-token text parsed as such), and the
   * text of ids. Only m1's `max_tokens` prompt cut needs them; a counter that cannot leaves them out.
   */
  tokenize?(text: string, options?: { signal?: AbortSignal }): Promise<number[]>;
  detokenize?(ids: readonly number[], options?: { signal?: AbortSignal }): Promise<string>;
  /** Release what the counter holds (a loaded vocabulary, sockets). Safe to call twice. */
  close(): Promise<void>;
}
