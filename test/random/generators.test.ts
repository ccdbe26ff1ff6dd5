import { describe, expect, it } from "vitest";
import {
  Mulberry32,
  Xoshiro128StarStar,
  approximateNormals,
  randomIndex,
  shuffled,
} from "../../src/random/index.js";

// Reference outputs from the authors' C code (xoshiro128starstar.c by Blackman and Vigna, and
// Tommy Ettinger's mulberry32), compiled with gcc and run on the states below.

describe("xoshiro128**", () => {
  it("gives the reference C implementation's outputs", () => {
    const random = new Xoshiro128StarStar([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it("seeds through splitmix32 as the bootstrap always has (its numbers depend on it)", () => {
    const random = Xoshiro128StarStar.fromSeed(7);
    expect(Array.from({ length: 4 }, () => random.nextUint32())).toEqual([
      1004282400, 2200021487, 1928073449, 741806228,
    ]);
  });

  it("seeds from a text's sha256 and moves from an all-zero state", () => {
    const one = Xoshiro128StarStar.fromText("m1-shuffle\u000042\u0000recAAA111");
    const same = Xoshiro128StarStar.fromText("m1-shuffle\u000042\u0000recAAA111");
    const other = Xoshiro128StarStar.fromText("m1-shuffle\u00007\u0000recAAA111");
    const draw = (random: Xoshiro128StarStar) =>
      Array.from({ length: 8 }, () => random.nextUint32());
    const drawn = draw(one);
    expect(draw(same)).toEqual(drawn);
    expect(draw(other)).not.toEqual(drawn);
    const zero = new Xoshiro128StarStar([0, 0, 0, 0]);
    expect(new Set(Array.from({ length: 8 }, () => zero.nextUint32())).size).toBeGreaterThan(1);
  });

  it("draws the same numbers in bulk as one at a time", () => {
    const single = Xoshiro128StarStar.fromSeed(99);
    const bulk = Xoshiro128StarStar.fromSeed(99);
    const filled = new Uint32Array(1000);
    bulk.fillUint32(filled);
    for (const value of filled) expect(value).toBe(single.nextUint32());
    expect(bulk.nextUint32()).toBe(single.nextUint32());
  });
});

describe("mulberry32", () => {
  it("gives the reference C implementation's outputs", () => {
    const random = new Mulberry32(42);
    expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual([
      2581720956, 1925393290, 3661312704, 2876485805, 750819978, 2261697747,
    ]);
    expect(new Mulberry32(42).nextFloat()).toBe(2581720956 / 2 ** 32);
  });
});

describe("drawing", () => {
  it("picks indices in range, uniformly enough", () => {
    const random = Xoshiro128StarStar.fromSeed(1);
    const counts = [0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 70_000; i++) counts[randomIndex(random, 7)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it("shuffles into a permutation, the same for the same generator state", () => {
    const values = ["a", "b", "c", "d", "e", "f"];
    const first = shuffled(values, Xoshiro128StarStar.fromSeed(3));
    expect([...first].sort()).toEqual(values);
    expect(shuffled(values, Xoshiro128StarStar.fromSeed(3))).toEqual(first);
    expect(values).toEqual(["a", "b", "c", "d", "e", "f"]);
    const orders = new Set(
      [1, 2, 3, 4, 5, 6].map((seed) => shuffled(values, new Mulberry32(seed)).join("")),
    );
    expect(orders.size).toBeGreaterThan(1);
  });

  it("gives approximate normals with mean 0 and the requested spread", () => {
    const values = approximateNormals(new Mulberry32(5), 100_000, 2);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
    // Irwin-Hall(4) is bounded: |x| <= 2 * sqrt(3) before scaling.
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(2 * Math.sqrt(3) * 2 + 1e-6);
  });
});
