import type { ServerPin } from "./completion-client.js";
import type { TokenIdProtocol } from "./token-ids.js";
import type { TokenSequenceContext } from "./token-sequence.js";

/** Strings longer than this are tokenized every time (they rarely repeat). */
const MAX_REMEMBERED_TEXT = 256;
const MAX_ENTRIES = 4096;

/**
 * The shared part of token-id sequences: the engine inserts the same few strings ("Wait", "\n",
 * the answer prefixes) into every question, and a server tokenizer would otherwise cost one round
 * trip each time. Lookups of one string share one request, which runs without any caller's signal
 * (a short request; a caller that gives up stops waiting at its next step). Failures are forgotten.
 */
export function tokenSequenceContext(
  protocol: TokenIdProtocol,
  modelName: string,
  extraBody: Readonly<Record<string, unknown>>,
): TokenSequenceContext {
  const insertedIds = remembered<string, number[]>((pin, text) =>
    protocol.tokenize(pin, text, { addSpecial: false }),
  );
  const tokenTexts = remembered<number, string>((pin, id) => protocol.detokenize(pin, [id]));
  return {
    protocol,
    modelName,
    extraBody,
    async insertedIds(pin, text, signal) {
      if (text.length > MAX_REMEMBERED_TEXT) {
        return protocol.tokenize(pin, text, { addSpecial: false, signal });
      }
      return [...(await insertedIds(pin, text))];
    },
    tokenText: (pin, id) => tokenTexts(pin, id),
  };
}

function remembered<K, V>(
  compute: (pin: ServerPin, key: K) => Promise<V>,
): (pin: ServerPin, key: K) => Promise<V> {
  const values = new Map<K, Promise<V>>();
  return (pin, key) => {
    const known = values.get(key);
    if (known) return known;
    const value = compute(pin, key);
    values.set(key, value);
    value.catch(() => {
      if (values.get(key) === value) values.delete(key);
    });
    if (values.size > MAX_ENTRIES) {
      const oldest = values.keys().next().value;
      if (oldest !== undefined) values.delete(oldest);
    }
    return value;
  };
}
