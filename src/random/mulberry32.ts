import { uint32ToFloat, type RandomGenerator } from "./generator.js";

/**
 * mulberry32 (Tommy Ettinger): 32 bits of state, tiny and fast. The smoke model's weights come
 * from it, so changing it would change the model file: keep it as it is.
 */
export class Mulberry32 implements RandomGenerator {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let mixed = this.state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return (mixed ^ (mixed >>> 14)) >>> 0;
  }

  nextFloat(): number {
    return uint32ToFloat(this.nextUint32());
  }
}
