import { describe, expect, it } from "vitest";
import { storedStopFacts } from "../../src/report/samples.js";

const row = {
  stopped_by: null,
  thinking_finish_reason: null,
  decided_by: null,
  num_gen_tokens: null,
  probe_tokens_total: null,
  compute_tokens: null,
};

describe("storedStopFacts (report and viewer read stored samples the same way)", () => {
  it("keeps what the store says", () => {
    expect(
      storedStopFacts({ ...row, stopped_by: "converged", decided_by: "exact", compute_tokens: 90 }),
    ).toEqual({ stoppedBy: "converged", decidedBy: "exact", computeTokens: 90 });
  });

  it("derives a store before version 3's stop reason and total from m1's fields", () => {
    expect(
      storedStopFacts({ ...row, thinking_finish_reason: "length", num_gen_tokens: 50 }),
    ).toEqual({ stoppedBy: "budget", decidedBy: null, computeTokens: 50 });
    expect(storedStopFacts({ ...row, thinking_finish_reason: "stop" }).stoppedBy).toBe("model");
    // No thinking call (or an unknown finish): no stop reason, as in the report.
    expect(storedStopFacts(row).stoppedBy).toBeNull();
    expect(storedStopFacts({ ...row, thinking_finish_reason: "abort" }).stoppedBy).toBeNull();
  });
});
