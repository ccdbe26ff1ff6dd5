/**
 * Seeded pseudo-random generators, so that everything m1 draws at random (bootstrap resamples,
 * answer shuffles, the smoke model's weights) is the same on every machine and every run. Only
 * integer arithmetic is used: Math.random cannot be seeded, and float functions such as Math.log
 * may differ in their last bits between JavaScript engines.
 */
export interface RandomGenerator {
  /** The next unsigned 32-bit integer. */
  nextUint32(): number;
  /** Uniform in [0, 1): the next nextUint32() divided by 2^32 (exact). */
  nextFloat(): number;
}

const TWO_TO_32 = 4294967296;

/** A whole number in [0, n), as floor(nextUint32() * n / 2^32) (exact for n below 2^21). */
export function randomIndex(random: RandomGenerator, n: number): number {
  return Math.floor((random.nextUint32() * n) / TWO_TO_32);
}

/**
 * A shuffled copy of `values` (Fisher-Yates): for i = n-1 down to 1, swap values[i] with
 * values[randomIndex(random, i + 1)].
 */
export function shuffled<T>(values: readonly T[], random: RandomGenerator): T[] {
  const result = [...values];
  for (let i = result.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

/**
 * Approximately standard normal: the sum of 4 uniforms (Irwin-Hall), centred and scaled. Good
 * enough for random weights, and exactly reproducible (no Math.log or Math.cos).
 */
export function nextApproximateNormal(random: RandomGenerator): number {
  const sum = random.nextFloat() + random.nextFloat() + random.nextFloat() + random.nextFloat();
  // Irwin-Hall(4) has mean 2 and variance 4/12.
  return (sum - 2) * Math.sqrt(3);
}

/** A Float32Array of `length` approximate normals times `scale`. */
export function approximateNormals(
  random: RandomGenerator,
  length: number,
  scale: number,
): Float32Array {
  const values = new Float32Array(length);
  for (let index = 0; index < length; index++)
    values[index] = nextApproximateNormal(random) * scale;
  return values;
}

export function uint32ToFloat(value: number): number {
  return value / TWO_TO_32;
}
