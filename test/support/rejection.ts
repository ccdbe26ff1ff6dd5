import { expect } from "vitest";

/** The error `work` rejects with, checked to be a `type` (a test fails when it resolves). */
export async function rejectionOf<T extends Error>(
  work: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}
