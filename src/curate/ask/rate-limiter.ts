import { sleep } from "../../net/index.js";

/**
 * Per-model request and token budgets, as providers enforce them (e.g. DeepSeek-R1 on m1's
 * provider: 1,000 requests and 1,000,000 tokens per minute).
 *
 * Two token buckets refill continuously at `limit / 60 s`. A bucket holds at most
 * `limit * burstSeconds / 60`: with the default 60 s this is curator's behaviour (a full minute's
 * budget may go at once); a smaller burst spreads requests evenly. A request takes one request
 * token and its *estimated* tokens (prompt estimate + max_tokens); when the answer arrives, its
 * reservation is settled with the real `usage`, giving back the difference or taking the
 * overshoot (the bucket may go below zero, delaying later requests). Callers are served in
 * arrival order, so a large request cannot be starved by small ones. A 429 pauses everyone.
 *
 * Written here rather than taken from a package: the popular limiters count requests only or
 * cannot settle a reservation after the fact, which is the point of TPM budgeting.
 */
export interface RateLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** How much of a minute's budget may be spent at once (seconds, > 0). */
  burstSeconds: number;
}

class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    private readonly refillPerMs: number,
    now: number,
  ) {
    this.level = capacity;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.refillPerMs);
    this.updatedAt = now;
  }

  /** Milliseconds until `amount` is available (0: now). */
  waitMs(amount: number, now: number): number {
    this.refill(now);
    return this.level >= amount ? 0 : (amount - this.level) / this.refillPerMs;
  }

  take(amount: number): void {
    this.level -= amount;
  }

  /** Give back (positive) or take more (negative) after the fact. */
  adjust(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.min(this.capacity, this.level + amount);
  }
}

export interface Reservation {
  readonly tokens: number;
  /** Correct the token budget with what the call really used (0 for a failed call). */
  settle(actualTokens: number): void;
}

/** Time as the limiter sees it (tests substitute a virtual clock). */
export interface LimiterTimer {
  now(): number;
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

const realTimer: LimiterTimer = { now: Date.now, sleep };

export class RateLimiter {
  private readonly requests?: TokenBucket;
  private readonly tokens?: TokenBucket;
  private queue: Promise<unknown> = Promise.resolve();
  private pausedUntil = 0;

  constructor(
    limits: RateLimits,
    private readonly timer: LimiterTimer = realTimer,
  ) {
    const now = timer.now();
    const share = limits.burstSeconds / 60;
    if (limits.requestsPerMinute !== undefined) {
      const capacity = Math.max(1, limits.requestsPerMinute * share);
      this.requests = new TokenBucket(capacity, limits.requestsPerMinute / 60_000, now);
    }
    if (limits.tokensPerMinute !== undefined) {
      const capacity = Math.max(1, limits.tokensPerMinute * share);
      this.tokens = new TokenBucket(capacity, limits.tokensPerMinute / 60_000, now);
    }
  }

  /** Wait for budget for one request of about `estimatedTokens` tokens, then take it. */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Reservation> {
    const turn = this.queue.then(() => this.waitAndTake(estimatedTokens, signal));
    // The next caller waits for this one whether it succeeds or is cancelled.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Stop handing out budget for `milliseconds` (a server said 429 / Retry-After). */
  pause(milliseconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.timer.now() + milliseconds);
  }

  private async waitAndTake(estimatedTokens: number, signal?: AbortSignal): Promise<Reservation> {
    // A request larger than the bucket could never start; it takes a full bucket instead.
    const tokens = this.tokens ? Math.min(estimatedTokens, this.tokens.capacity) : estimatedTokens;
    for (;;) {
      const now = this.timer.now();
      const wait = Math.max(
        this.pausedUntil - now,
        this.requests?.waitMs(1, now) ?? 0,
        this.tokens?.waitMs(tokens, now) ?? 0,
      );
      if (wait <= 0) break;
      await this.timer.sleep(Math.ceil(wait), signal);
    }
    this.requests?.take(1);
    this.tokens?.take(tokens);
    let settled = false;
    return {
      tokens,
      settle: (actualTokens: number) => {
        if (settled) return;
        settled = true;
        this.tokens?.adjust(tokens - actualTokens, this.timer.now());
      },
    };
  }
}

/** At most `limit` tasks at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so the count never overshoots.
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
