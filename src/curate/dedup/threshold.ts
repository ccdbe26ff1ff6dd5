import { InputError } from "../../errors.js";

/** m1's rapidfuzz `fuzz.ratio` cut-off for near-duplicates and eval overlap. */
export const DEFAULT_SIMILARITY_THRESHOLD = 95;

/**
 * The similarity threshold, held as an exact decimal fraction `numerator / 10^scale`.
 *
 * rapidfuzz's `fuzz.ratio` is `200 * LCS / (len1 + len2)` (100 for two empty strings). We decide
 * "similar" with integers only: `200 * LCS * 10^scale >= numerator * (len1 + len2)`. A threshold
 * given as a JS number is read as the decimal the user wrote (`95.1` means 951/10, not the binary
 * double nearest to it), because `String(number)` gives the shortest decimal that round-trips.
 *
 * Everything the filters need reduces to one integer per total length L = len1 + len2:
 * `minLcs(L)`, the smallest LCS that reaches the threshold. A pair is similar iff LCS >= minLcs(L).
 */
export class SimilarityThreshold {
  /** The threshold as the user gave it (a number in [0, 100]). */
  readonly value: number;
  private readonly numerator: bigint;
  private readonly denominator: bigint;
  /** minLcs(L) for L < cache length, filled on demand. -1 = not computed yet. */
  private minLcsCache = new Int32Array(0);

  constructor(value: number | string) {
    const text = typeof value === "number" ? String(value) : value.trim();
    const parsed = parseDecimal(text);
    const asNumber = Number(text);
    if (!parsed || !Number.isFinite(asNumber) || asNumber < 0 || asNumber > 100) {
      throw new InputError(
        `threshold must be a number from 0 to 100, got '${text}'`,
        { field: "--threshold" },
        `use e.g. --threshold ${DEFAULT_SIMILARITY_THRESHOLD}`,
      );
    }
    this.value = asNumber;
    this.numerator = parsed.numerator;
    this.denominator = parsed.denominator;
  }

  /** Smallest LCS length with `200 * LCS >= threshold * L`, i.e. ceil(threshold * L / 200). */
  minLcs(totalLength: number): number {
    if (totalLength >= this.minLcsCache.length) this.growCache(totalLength);
    return this.minLcsCache[totalLength]!;
  }

  /** True when a pair with these lengths and this LCS reaches the threshold (exact). */
  accepts(lcs: number, totalLength: number): boolean {
    return lcs >= this.minLcs(totalLength);
  }

  /**
   * Whether two strings of these lengths can reach the threshold at all: LCS <= min(len1, len2),
   * so the shorter string must be at least minLcs(len1 + len2) long.
   */
  lengthsCompatible(length1: number, length2: number): boolean {
    return this.minLcs(length1 + length2) <= Math.min(length1, length2);
  }

  /**
   * The partner lengths [low, high] (high capped at `maxLength`) that can reach the threshold with
   * a string of `length`. For a shorter partner b the condition minLcs(length + b) <= b only gets
   * easier as b grows (b rises by 1, minLcs by at most 1); for a longer one, minLcs(length + b) <=
   * length only gets harder. So the compatible lengths form this interval.
   */
  partnerLengthRange(length: number, maxLength: number): { low: number; high: number } {
    let low = length;
    while (low > 0 && this.lengthsCompatible(length, low - 1)) low--;
    let high = length;
    while (high < maxLength && this.lengthsCompatible(length, high + 1)) high++;
    return { low, high };
  }

  private growCache(totalLength: number): void {
    const size = Math.max(totalLength + 1, this.minLcsCache.length * 2, 1024);
    const cache = new Int32Array(size);
    cache.set(this.minLcsCache);
    const scaledDivisor = 200n * this.denominator;
    for (let length = this.minLcsCache.length; length < size; length++) {
      const product = this.numerator * BigInt(length);
      // ceil(product / scaledDivisor) for non-negative integers.
      cache[length] = Number((product + scaledDivisor - 1n) / scaledDivisor);
    }
    this.minLcsCache = cache;
  }
}

/**
 * The score reported for a pair: 200 * LCS / L as the double nearest to the exact fraction (IEEE
 * division of two exactly representable integers is correctly rounded). Rounding is monotone, so a
 * pair that reaches threshold t exactly also has `score >= t` when both are read as doubles.
 */
export function similarityScore(lcs: number, totalLength: number): number {
  return totalLength === 0 ? 100 : (200 * lcs) / totalLength;
}

/** Parse a plain or exponent decimal ("95", "95.25", "1e-3") into numerator / 10^k, exactly. */
function parseDecimal(text: string): { numerator: bigint; denominator: bigint } | undefined {
  const match = /^\+?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const whole = match[1] ?? "";
  const fraction = match[2] ?? "";
  if (whole.length + fraction.length === 0) return undefined;
  const exponent = Number(match[3] ?? "0") - fraction.length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined;
  const digits = BigInt(whole + fraction || "0");
  return exponent >= 0
    ? { numerator: digits * 10n ** BigInt(exponent), denominator: 1n }
    : { numerator: digits, denominator: 10n ** BigInt(-exponent) };
}
