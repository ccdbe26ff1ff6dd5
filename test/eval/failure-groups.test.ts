import { describe, expect, it } from "vitest";
import { BackendCallError, ConfigError } from "../../src/errors.js";
import { FirstFailures, groupFailures } from "../../src/eval/study/failures.js";
import { errorFromStatus } from "../../src/net/failures.js";

/** When a run stops early, and how failures are grouped in the end-of-run summary. */

const overflow = (needed: number) =>
  new BackendCallError(`context holds 8192 tokens, this call needs up to ${needed}`, {
    isRetryable: false,
  });
const refused = (status: number) =>
  errorFromStatus("POST http://127.0.0.1:1/v1/completions", status, {}, '{"error": "no"}');

/** How many samples it takes to say stop (0: never within the samples given). */
function stopsAfter(errors: readonly unknown[], limit = 3): number {
  const watch = new FirstFailures(limit);
  const at = errors.findIndex((error) => watch.record(error));
  return at + 1;
}

describe("FirstFailures", () => {
  it("stops once the first samples all fail the same permanent way, numbers aside", () => {
    expect(stopsAfter([overflow(8260), overflow(8311), overflow(9000), overflow(1)])).toBe(3);
    expect(stopsAfter([refused(400), refused(400), refused(400)])).toBe(3);
    expect(stopsAfter([refused(422), refused(404), refused(401)])).toBe(0);
  });

  it("never stops once a sample was answered or failed another way first", () => {
    expect(stopsAfter([undefined, overflow(1), overflow(2), overflow(3)])).toBe(0);
    expect(stopsAfter([overflow(1), overflow(2), undefined, overflow(3), overflow(4)])).toBe(0);
    expect(stopsAfter([overflow(1), refused(400), refused(400), refused(400)])).toBe(0);
  });

  it("does not stop on failures that retrying could fix, or that are not the backend's", () => {
    for (const status of [408, 409, 429, 500, 503]) {
      expect(stopsAfter([refused(status), refused(status), refused(status)])).toBe(0);
    }
    const bug = new ConfigError("x", { key: "k", fix: "f" });
    expect(stopsAfter([bug, bug, bug])).toBe(0);
  });

  it("keeps the first failure's message whole", () => {
    const watch = new FirstFailures(2);
    watch.record(overflow(8260));
    expect(watch.record(overflow(8311))).toBe(true);
    expect(watch.message).toBe("context holds 8192 tokens, this call needs up to 8260");
  });
});

describe("groupFailures", () => {
  it("counts messages that differ only in numbers as one kind, the largest first", () => {
    expect(
      groupFailures([
        "failed with 422: unknown field 'min_tokens'",
        "needs up to 8260 tokens",
        "needs up to 8311.5 tokens",
        "needs up to 9000 tokens",
        "failed with 400: prompt too long",
      ]),
    ).toEqual([
      { message: "needs up to 8260 tokens", count: 3 },
      { message: "failed with 422: unknown field 'min_tokens'", count: 1 },
      { message: "failed with 400: prompt too long", count: 1 },
    ]);
    expect(groupFailures([])).toEqual([]);
  });
});
