import { CancelledError } from "../errors.js";

/** A granted slot; `release` is safe to call twice. */
export interface Slot {
  release(): void;
}

interface Waiter {
  grant: (slot: Slot) => void;
  fail: (error: Error) => void;
}

/**
 * The gateway's queue: `slots` sequences generate at once (the backend's parallel sequences:
 * sequences of one llama.cpp context, or requests in flight to the upstream pool); up to
 * `maxQueue` more wait, first come first served. A request asks for all its choices at once,
 * so it is either wholly queued or refused (429), never half admitted.
 */
export class SequenceQueue {
  private free: number;
  private readonly waiters: Waiter[] = [];
  /** Mean time a slot was held (exponentially weighted), for Retry-After. */
  private meanHoldMs = 0;

  constructor(
    readonly slots: number,
    readonly maxQueue: number,
  ) {
    this.free = slots;
  }

  get running(): number {
    return this.slots - this.free;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Whether `count` more sequences could be admitted now. */
  fits(count: number): boolean {
    return this.waiters.length + Math.max(0, count - this.free) <= this.maxQueue;
  }

  /**
   * Ask for `count` slots at once: one promise per slot, resolved in arrival order, or undefined
   * when they would not fit in the queue. Aborting `signal` takes the waiting ones out of the
   * queue (their promises reject with CancelledError).
   */
  admit(count: number, signal?: AbortSignal): Promise<Slot>[] | undefined {
    if (!this.fits(count)) return undefined;
    return Array.from({ length: count }, () => this.acquire(signal));
  }

  /** Seconds a refused client should wait: the queue ahead of it drained at the recent pace. */
  retryAfterSeconds(): number {
    const rounds = Math.ceil((this.waiters.length + 1) / Math.max(1, this.slots));
    return Math.min(60, Math.max(1, Math.ceil((rounds * this.meanHoldMs) / 1000)));
  }

  private acquire(signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return Promise.resolve(this.slot());
    }
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new CancelledError());
      };
      const waiter: Waiter = {
        grant: (slot) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(slot);
        },
        fail: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private slot(): Slot {
    const started = performance.now();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const held = performance.now() - started;
        this.meanHoldMs = this.meanHoldMs === 0 ? held : 0.9 * this.meanHoldMs + 0.1 * held;
        const next = this.waiters.shift();
        if (next) next.grant(this.slot());
        else this.free++;
      },
    };
  }
}
