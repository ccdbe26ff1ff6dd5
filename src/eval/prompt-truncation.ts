import type { Backend } from "../backends/types.js";
import { ConfigError } from "../errors.js";

/**
 * m1's `max_tokens` (inference_keep_think.py, `call_model`): applied to the chat-rendered prompt,
 * before the thinking delimiter is appended, when `max_tokens > 0`:
 *
 *     input_ids = tokenizer.encode(prompt, add_special_tokens=False)
 *     if len(input_ids) > max_tokens: prompt = tokenizer.decode(input_ids[:max_tokens])
 *     else:                           prompt = prompt[-max_tokens:]
 *
 * Both branches are reproduced as written. A prompt over the limit keeps its first `max_tokens`
 * tokens (so the end of the question, the options and the assistant header go). A prompt within
 * the limit keeps its last `max_tokens` *characters* (Python code points), which cuts the head of
 * any prompt longer in characters than `max_tokens` is in tokens, usually the system prompt.
 */
export async function truncatePromptAsM1(
  prompt: string,
  maxTokens: number,
  backend: Pick<Backend, "tokenize" | "detokenize">,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  if (maxTokens <= 0) return prompt;
  const { tokenize, detokenize } = requireTokenIds(backend);
  const ids = await tokenize(prompt, options);
  if (ids.length > maxTokens) return detokenize(ids.slice(0, maxTokens), options);
  const codePoints = Array.from(prompt);
  return codePoints.length > maxTokens ? codePoints.slice(-maxTokens).join("") : prompt;
}

/** Checked once before a run: `max_tokens` needs token ids, which not every tokenizer gives. */
export function requireTokenIds(
  backend: Pick<Backend, "tokenize" | "detokenize">,
): Required<Pick<Backend, "tokenize" | "detokenize">> {
  const { tokenize, detokenize } = backend;
  if (!tokenize || !detokenize) {
    throw new ConfigError("needs a tokenizer that gives token ids, and this backend has none", {
      key: "max_tokens",
      fix: "set tokenizer_path to the model's tokenizer.json (or .gguf), or set max_tokens: -1",
    });
  }
  return { tokenize: tokenize.bind(backend), detokenize: detokenize.bind(backend) };
}
