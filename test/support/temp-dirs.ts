import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";

/** One temporary folder per test (the same one however often it is asked for), removed after it. */
export function useTempDir(prefix = "m1-test-"): () => string {
  let current: string | undefined;
  afterEach(() => {
    if (current) rmSync(current, { recursive: true, force: true });
    current = undefined;
  });
  return () => (current ??= mkdtempSync(join(tmpdir(), prefix)));
}

/** A fresh temporary folder per call, all removed when the file's tests are done. */
export function useTempDirs(prefix = "m1-test-"): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
