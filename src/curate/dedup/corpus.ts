/**
 * Texts as Unicode code points, the unit rapidfuzz measures in (a Python `str` is a sequence of code
 * points; JS strings are UTF-16, where an emoji or a CJK extension B character takes two units).
 *
 * Every code point is replaced by a dense symbol id (0, 1, 2, ... in order of first appearance), so
 * per-symbol tables stay small. All texts live in one Int32Array, which can sit in a
 * SharedArrayBuffer and be read by worker threads without copying.
 */
export interface Corpus {
  /** Symbol ids of all texts, concatenated. */
  readonly symbols: Int32Array;
  /** Text k occupies symbols[starts[k] .. starts[k + 1]). Length = count + 1. */
  readonly starts: Int32Array;
  /** Number of distinct symbols (ids are 0 .. symbolCount - 1). */
  readonly symbolCount: number;
}

/** Length in code points of text k. */
export function textLength(corpus: Corpus, index: number): number {
  return corpus.starts[index + 1]! - corpus.starts[index]!;
}

/** Length of a JS string in code points (a lone surrogate counts as one, as in Python). */
export function codePointLength(text: string): number {
  let length = 0;
  for (let unit = 0; unit < text.length; unit++) {
    const code = text.charCodeAt(unit);
    if (code >= 0xd800 && code <= 0xdbff && unit + 1 < text.length) {
      const next = text.charCodeAt(unit + 1);
      if (next >= 0xdc00 && next <= 0xdfff) unit++;
    }
    length++;
  }
  return length;
}

/**
 * Build one corpus from several lists of texts (e.g. training rows and eval questions) so that they
 * share symbol ids. `useShared` puts the arrays in SharedArrayBuffers for worker threads.
 */
export function buildCorpus(texts: readonly string[], useShared = false): Corpus {
  let totalUnits = 0;
  for (const text of texts) totalUnits += text.length;
  // Code points never outnumber UTF-16 units, so this bound is safe; trimmed below.
  const scratch = new Int32Array(totalUnits);
  const starts = allocateInt32(texts.length + 1, useShared);
  // Direct lookup over all code points (4.4 MB): much faster than a Map on ~10^8 characters.
  const symbolOf = new Int32Array(0x110000).fill(-1);
  let symbolCount = 0;
  let position = 0;
  for (let index = 0; index < texts.length; index++) {
    starts[index] = position;
    const text = texts[index]!;
    for (let unit = 0; unit < text.length; unit++) {
      let code = text.charCodeAt(unit);
      if (code >= 0xd800 && code <= 0xdbff && unit + 1 < text.length) {
        const next = text.charCodeAt(unit + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          unit++;
        }
      }
      let symbol = symbolOf[code]!;
      if (symbol < 0) {
        symbol = symbolCount++;
        symbolOf[code] = symbol;
      }
      scratch[position++] = symbol;
    }
  }
  starts[texts.length] = position;
  const symbols = allocateInt32(position, useShared);
  symbols.set(scratch.subarray(0, position));
  return { symbols, starts, symbolCount };
}

export function allocateInt32(length: number, useShared: boolean): Int32Array {
  return useShared
    ? new Int32Array(new SharedArrayBuffer(Math.max(1, length) * 4), 0, length)
    : new Int32Array(length);
}
