import { createHash } from "node:crypto";
import { uint32ToFloat, type RandomGenerator } from "./generator.js";

/**
 * xoshiro128** (Blackman and Vigna): a fast generator with 128 bits of state. Two ways to seed it,
 * both stated so another implementation can reproduce them:
 * - `fromSeed(n)`: the state is the next four outputs of splitmix32 started at n;
 * - `fromText(s)`: the state is the first 16 bytes of sha256(s) as 4 little-endian uint32, so a
 *   generator can belong to one item (its order then depends on nothing else).
 */
export class Xoshiro128StarStar implements RandomGenerator {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: readonly [number, number, number, number]) {
    [this.a, this.b, this.c, this.d] = state.map((word) => word >>> 0) as [
      number,
      number,
      number,
      number,
    ];
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state never moves
  }

  static fromSeed(seed: number): Xoshiro128StarStar {
    let state = seed >>> 0;
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    return new Xoshiro128StarStar([splitmix32(), splitmix32(), splitmix32(), splitmix32()]);
  }

  static fromText(text: string): Xoshiro128StarStar {
    const digest = createHash("sha256").update(text).digest();
    return new Xoshiro128StarStar([
      digest.readUInt32LE(0),
      digest.readUInt32LE(4),
      digest.readUInt32LE(8),
      digest.readUInt32LE(12),
    ]);
  }

  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c = (this.c ^ this.a) >>> 0;
    this.d = (this.d ^ this.b) >>> 0;
    this.b = (this.b ^ this.c) >>> 0;
    this.a = (this.a ^ this.d) >>> 0;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotateLeft(this.d, 11);
    return result;
  }

  /**
   * Fills `target` with the next `count` values of nextUint32, in a loop over local variables: the
   * bootstrap draws hundreds of millions of numbers and this runs several times faster.
   */
  fillUint32(target: Uint32Array, count: number = target.length): void {
    let { a, b, c, d } = this;
    for (let i = 0; i < count; i++) {
      const x = Math.imul(b, 5) >>> 0;
      target[i] = Math.imul(((x << 7) | (x >>> 25)) >>> 0, 9) >>> 0;
      const t = (b << 9) >>> 0;
      c = (c ^ a) >>> 0;
      d = (d ^ b) >>> 0;
      b = (b ^ c) >>> 0;
      a = (a ^ d) >>> 0;
      c = (c ^ t) >>> 0;
      d = ((d << 11) | (d >>> 21)) >>> 0;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  nextFloat(): number {
    return uint32ToFloat(this.nextUint32());
  }
}

function rotateLeft(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}
