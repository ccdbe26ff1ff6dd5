import { CancelledError } from "../errors.js";

/**
 * A remembered lookup shared by concurrent callers: the first caller of a key starts `compute`,
 * later callers of that key get the same promise. A failure is forgotten (a server hiccup must not
 * be remembered); past `maxEntries` the oldest entry is dropped. The shared work runs without any
 * one caller's signal: wrap a caller's wait in `untilAborted` so that giving up only stops waiting.
 */
export function sharedCache<K, V>(
  maxEntries: number,
): (key: K, compute: () => Promise<V>) => Promise<V> {
  const values = new Map<K, Promise<V>>();
  return (key, compute) => {
    const known = values.get(key);
    if (known) return known;
    const value = compute();
    values.set(key, value);
    value.catch(() => {
      if (values.get(key) === value) values.delete(key);
    });
    if (values.size > maxEntries) {
      const oldest = values.keys().next().value;
      if (oldest !== undefined) values.delete(oldest);
    }
    return value;
  };
}

/** Settle with `work`, or reject with CancelledError as soon as `signal` aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
