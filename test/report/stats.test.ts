import { describe, expect, it } from "vitest";
import { binomialCdf, binomialUpperTail, mcnemarExact } from "../../src/report/stats/binomial.js";
import { pairedBootstrap, percentileOfSorted } from "../../src/report/stats/bootstrap.js";
import { meanOfProportionsInterval, wilsonInterval } from "../../src/report/stats/wilson.js";
import { Xoshiro128StarStar } from "../../src/random/index.js";

describe("Wilson score interval", () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
  // Medicine 17:857-872, Table II, method 3 (score interval without continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])("matches Newcombe's published interval for %i/%i", (correct, total, low, high) => {
    const interval = wilsonInterval(correct, total);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });

  it("matches scipy's binomtest(7, 50).proportion_ci(method='wilson') to 1e-12", () => {
    // Values printed by scipy 1.17.1 (the example of scipy's proportion_ci documentation).
    const interval = wilsonInterval(7, 50);
    expect(interval.low).toBeCloseTo(0.06950833427016292, 12);
    expect(interval.high).toBeCloseTo(0.26186193710585537, 12);
  });

  it("stays inside [0, 1] and contains the estimate at 0% and 100%", () => {
    expect(wilsonInterval(0, 5).low).toBe(0);
    expect(wilsonInterval(5, 5).high).toBe(1);
    expect(wilsonInterval(5, 5).low).toBeGreaterThan(0.5);
  });

  it("gives the whole [0, 1] range for an empty source", () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });
});

describe("interval for the unweighted mean of source accuracies (MOVER)", () => {
  it("is exactly the Wilson interval when there is one source", () => {
    const mean = meanOfProportionsInterval([{ correct_count: 15, total_count: 148 }]);
    const wilson = wilsonInterval(15, 148);
    expect(mean.low).toBeCloseTo(wilson.low, 15);
    expect(mean.high).toBeCloseTo(wilson.high, 15);
  });

  it("combines the sources' Wilson intervals by recovering their variances", () => {
    // Zou & Donner (2008): L = (p1 + p2) / 2, low = L - sqrt((p1 - l1)^2 + (p2 - l2)^2) / 2.
    const a = wilsonInterval(81, 263);
    const b = wilsonInterval(15, 148);
    const mean = (81 / 263 + 15 / 148) / 2;
    const interval = meanOfProportionsInterval([
      { correct_count: 81, total_count: 263 },
      { correct_count: 15, total_count: 148 },
    ]);
    expect(interval.low).toBeCloseTo(mean - Math.hypot(81 / 263 - a.low, 15 / 148 - b.low) / 2, 15);
    expect(interval.high).toBeCloseTo(
      mean + Math.hypot(a.high - 81 / 263, b.high - 15 / 148) / 2,
      15,
    );
  });

  it("narrows as sources grow and stays inside [0, 1]", () => {
    const small = meanOfProportionsInterval([
      { correct_count: 60, total_count: 100 },
      { correct_count: 40, total_count: 100 },
    ]);
    const large = meanOfProportionsInterval([
      { correct_count: 600, total_count: 1000 },
      { correct_count: 400, total_count: 1000 },
    ]);
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
    expect(large.low).toBeLessThan(0.5);
    expect(large.high).toBeGreaterThan(0.5);
    const extreme = meanOfProportionsInterval([
      { correct_count: 0, total_count: 3 },
      { correct_count: 3, total_count: 3 },
    ]);
    expect(extreme.low).toBeGreaterThanOrEqual(0);
    expect(extreme.high).toBeLessThanOrEqual(1);
  });
});

describe("exact binomial tails and McNemar's exact test", () => {
  it("matches scipy's documented binomtest(3, n=15, p=0.1, alternative='greater') p-value", () => {
    expect(binomialUpperTail(3, 15, 0.1)).toBeCloseTo(0.18406106910639114, 14);
  });

  it("computes exact rational McNemar p-values (statsmodels mcnemar(table, exact=True))", () => {
    // b=11, c=1 (mlxtend's scenario A table [[9959, 11], [1, 29]]): 2 * (1 + 12) / 4096.
    expect(mcnemarExact(11, 1).pValue).toBe(26 / 4096);
    // b=2, c=1 (table [[4, 2], [1, 3]]): 2 * P(X <= 1 | 3, 1/2) = 2 * 4/8 capped at 1.
    expect(mcnemarExact(2, 1).pValue).toBe(1);
    // b=10, c=0: 2 / 2^10.
    expect(mcnemarExact(0, 10).pValue).toBe(2 / 1024);
    expect(mcnemarExact(0, 10).statistic).toBe(0);
  });

  it("stays accurate with thousands of discordant pairs (no underflow)", () => {
    // scipy.stats.binomtest(900, 2000).pvalue = 8.45708953550381e-06 (scipy 1.17.1).
    const p = mcnemarExact(1100, 900).pValue;
    expect(Math.abs(p / 8.45708953550381e-6 - 1)).toBeLessThan(1e-9);
    expect(mcnemarExact(5000, 5000).pValue).toBe(1);
  });

  it("gives p = 1 when no question flipped", () => {
    expect(mcnemarExact(0, 0)).toEqual({ aOnly: 0, bOnly: 0, statistic: 0, pValue: 1 });
  });

  it("sums the binomial distribution to one", () => {
    expect(binomialCdf(40, 40, 0.37)).toBeCloseTo(1, 12);
    expect(binomialCdf(-1, 40, 0.37)).toBe(0);
  });
});

describe("paired bootstrap", () => {
  const strata = [
    { name: "MedQA", total: 400, aOnly: 30, bOnly: 55 },
    { name: "PubMedQA", total: 200, aOnly: 20, bOnly: 12 },
  ];

  it("is reproducible for a seed and changes with the seed", () => {
    const first = pairedBootstrap(strata, { resamples: 2000, seed: 7 });
    const again = pairedBootstrap(strata, { resamples: 2000, seed: 7 });
    const other = pairedBootstrap(strata, { resamples: 2000, seed: 8 });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it("reports the observed differences as estimates, inside their intervals", () => {
    const result = pairedBootstrap(strata, { resamples: 2000, seed: 1 });
    expect(result.strata[0]!.difference).toBeCloseTo(25 / 400, 12);
    expect(result.strata[1]!.difference).toBeCloseTo(-8 / 200, 12);
    expect(result.pooled.difference).toBeCloseTo(17 / 600, 12);
    expect(result.average.difference).toBeCloseTo((25 / 400 - 8 / 200) / 2, 12);
    for (const interval of [...result.strata, result.pooled, result.average]) {
      expect(interval.low).toBeLessThanOrEqual(interval.difference);
      expect(interval.high).toBeGreaterThanOrEqual(interval.difference);
    }
  });

  it("agrees with the normal-theory width for a large sample", () => {
    // Var(mean of d) = (p+ + p- - (p+ - p-)^2) / n for d in {-1, 0, +1}.
    const n = 2000;
    const result = pairedBootstrap([{ name: "x", total: n, aOnly: 150, bOnly: 210 }], {
      resamples: 2000,
      seed: 3,
    });
    const plus = 210 / n;
    const minus = 150 / n;
    const sd = Math.sqrt((plus + minus - (plus - minus) ** 2) / n);
    const width = result.pooled.high - result.pooled.low;
    expect(width).toBeGreaterThan(2 * 1.96 * sd * 0.9);
    expect(width).toBeLessThan(2 * 1.96 * sd * 1.1);
  });

  it("covers the true difference about 95% of the time", () => {
    // Simulate paired outcomes with known P(A only) = 0.10, P(B only) = 0.15 (true lead +0.05).
    const random = Xoshiro128StarStar.fromSeed(2024);
    let covered = 0;
    const trials = 200;
    for (let trial = 0; trial < trials; trial++) {
      let aOnly = 0;
      let bOnly = 0;
      const n = 200;
      for (let i = 0; i < n; i++) {
        const u = random.nextFloat();
        if (u < 0.1) aOnly++;
        else if (u < 0.25) bOnly++;
      }
      const { pooled } = pairedBootstrap([{ name: "x", total: n, aOnly, bOnly }], {
        resamples: 500,
        seed: trial,
      });
      if (pooled.low <= 0.05 && 0.05 <= pooled.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.89);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it("interpolates percentiles like numpy", () => {
    const sorted = Float64Array.from([1, 2, 3, 4]);
    expect(percentileOfSorted(sorted, 0.5)).toBe(2.5);
    expect(percentileOfSorted(sorted, 0.025)).toBeCloseTo(1.075, 12);
  });
});
