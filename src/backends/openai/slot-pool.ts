import { CancelledError } from "../../errors.js";

/**
 * The slots of a llama.cpp server, lent to one sequence at a time (`id_slot` on its requests), so
 * no other question's request takes a sequence's slot between its calls: the slot's KV cache then
 * always holds exactly that sequence, extended one call at a time, as the embedded engine's does.
 * Sequences beyond the slot count wait for one to be given back (the server could not decode them
 * at once anyway). Without it, a busy server gives a waiting sequence's slot to a new question and
 * later decodes the sequence's whole history again in one batch, whose arithmetic differs slightly
 * from decoding it token by token: measured, 1 or 2 of 240 greedy records then drifted in some runs.
 */
export class SlotPool {
  private readonly free: number[];
  private readonly waiting: { resolve: (slot: number) => void }[] = [];

  constructor(readonly size: number) {
    this.free = Array.from({ length: size }, (_, slot) => slot);
  }

  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (given: number) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(given);
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(new CancelledError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  release(slot: number): void {
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }
}
