/**
 * Generation flags that `m1 ask` and `m1 serve` share with the same config key (ask sets m1's
 * keys, serve the request keys; these are named alike in both). Each: commander's property, the
 * flag as typed, the key it sets.
 */
export const SHARED_GENERATION_FLAGS = [
  ["format", "--format", "thinking_format"],
  ["minThinking", "--min-thinking", "min_thinking_tokens"],
  ["temperature", "--temperature", "temperature"],
  ["topP", "--top-p", "top_p"],
  ["frequencyPenalty", "--frequency-penalty", "frequency_penalty"],
  ["seed", "--seed", "seed"],
  ["forcedCloseMessage", "--forced-close-message", "forced_close_message"],
] as const;
