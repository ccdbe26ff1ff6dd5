import { sharedCache, untilAborted } from "../../tokenizers/shared-cache.js";
import type { TokenIdProtocol } from "./token-ids.js";
import type { TokenSequenceContext } from "./token-sequence.js";

/** Strings longer than this are tokenized every time (they rarely repeat). */
const MAX_REMEMBERED_TEXT = 256;
const MAX_ENTRIES = 4096;

/**
 * The shared part of token-id sequences: the engine inserts the same few strings ("Wait", "\n",
 * the answer prefixes) into every question, and a server tokenizer would otherwise cost one round
 * trip each time. Lookups of one string share one request (see shared-cache.ts: it runs without
 * any caller's signal, and a caller that gives up stops waiting). Failures are forgotten.
 */
export function tokenSequenceContext(
  protocol: TokenIdProtocol,
  modelName: string,
  extraBody: Readonly<Record<string, unknown>>,
): TokenSequenceContext {
  const insertedIds = sharedCache<string, number[]>(MAX_ENTRIES);
  const tokenTexts = sharedCache<number, string>(MAX_ENTRIES);
  return {
    protocol,
    modelName,
    extraBody,
    async insertedIds(pin, text, signal) {
      if (text.length > MAX_REMEMBERED_TEXT) {
        return protocol.tokenize(pin, text, { addSpecial: false, signal });
      }
      const ids = insertedIds(text, () => protocol.tokenize(pin, text, { addSpecial: false }));
      return [...(await untilAborted(ids, signal))];
    },
    tokenText: (pin, id, signal) =>
      untilAborted(
        tokenTexts(id, () => protocol.detokenize(pin, [id])),
        signal,
      ),
  };
}
