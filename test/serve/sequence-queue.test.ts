import { describe, expect, it } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { SequenceQueue, type Slot } from "../../src/serve/sequence-queue.js";

/** Whether a promise has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  const mark = () => (done = true);
  void promise.then(mark, mark);
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("the gateway's queue", () => {
  it("grants slots at once while free, then first come first served", async () => {
    const queue = new SequenceQueue(2, 10);
    const first = queue.admit(2)!;
    const held = await Promise.all(first);
    expect(queue.running).toBe(2);

    const order: string[] = [];
    const [b] = queue.admit(1)!;
    const [c] = queue.admit(1)!;
    void b!.then(() => order.push("b"));
    void c!.then(() => order.push("c"));
    expect(queue.waiting).toBe(2);

    held[1]!.release();
    await b;
    expect(order).toEqual(["b"]);
    held[0]!.release();
    await c;
    expect(order).toEqual(["b", "c"]);
    expect(queue.waiting).toBe(0);
    expect(queue.running).toBe(2);
  });

  it("refuses a request whose choices would not all fit in the queue, and admits none of them", async () => {
    const queue = new SequenceQueue(1, 2);
    const [running] = queue.admit(1)!;
    await running;
    expect(queue.admit(3)).toBeUndefined();
    expect(queue.waiting).toBe(0);
    const queued = queue.admit(2)!;
    expect(queue.waiting).toBe(2);
    expect(queue.admit(1)).toBeUndefined();
    expect(queued).toHaveLength(2);
  });

  it("takes an aborted request's waiting choices out of the queue", async () => {
    const queue = new SequenceQueue(1, 5);
    const [held] = queue.admit(1)!;
    const slot: Slot = await held!;
    const controller = new AbortController();
    const waiting = queue.admit(2, controller.signal)!;
    const [later] = queue.admit(1)!;
    controller.abort();
    for (const promise of waiting) await expect(promise).rejects.toBeInstanceOf(CancelledError);
    expect(queue.waiting).toBe(1);
    slot.release();
    expect(await settled(later!)).toBe(true);
  });

  it("counts a released slot once, even when released twice", async () => {
    const queue = new SequenceQueue(1, 1);
    const [granted] = queue.admit(1)!;
    const slot = await granted!;
    slot.release();
    slot.release();
    expect(queue.running).toBe(0);
    const both = queue.admit(2)!;
    expect(await settled(both[0]!)).toBe(true);
    expect(queue.waiting).toBe(1);
  });

  it("asks refused clients to wait about as long as the queue ahead takes to drain", async () => {
    const queue = new SequenceQueue(1, 1);
    expect(queue.retryAfterSeconds()).toBe(1);
    const [first] = queue.admit(1)!;
    const slot = await first!;
    await new Promise((resolve) => setTimeout(resolve, 30));
    slot.release();
    expect(queue.retryAfterSeconds()).toBeGreaterThanOrEqual(1);
    expect(queue.retryAfterSeconds()).toBeLessThanOrEqual(60);
  });
});
