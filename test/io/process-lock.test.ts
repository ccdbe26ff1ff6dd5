import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tryLock, type LockHolder } from "../../src/io/process-lock.js";
import { useTempDir } from "../support/temp-dirs.js";

/** The lock file beside the output (see test/eval/output-dir-guards.test.ts for real processes). */
const tempDir = useTempDir("m1-lock-");

const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
};
const linux = process.platform === "linux";

function writeHolder(path: string, holder: Partial<LockHolder>): void {
  const full = { host: hostname(), process_start: null, started_at: "then", ...holder };
  writeFileSync(path, `${JSON.stringify(full)}\n`);
}

describe("tryLock", () => {
  it("is held once per path in a process, and free again once released", () => {
    const path = join(tempDir(), "m1.lock");
    const first = tryLock(path);
    expect("held" in first).toBe(true);
    expect(tryLock(path)).toEqual({ holder: expect.objectContaining({ pid: process.pid }) });
    if ("held" in first) first.held.release();
    const again = tryLock(path);
    expect("held" in again).toBe(true);
    if ("held" in again) again.held.release();
  });

  it.runIf(linux)("keeps out while the holder runs, and takes over from a reused pid", () => {
    const path = join(tempDir(), "m1.lock");
    // The parent process runs: with its own start time it holds the lock.
    writeHolder(path, { pid: process.ppid, process_start: startOf(process.ppid) });
    expect(tryLock(path)).toEqual({ holder: expect.objectContaining({ pid: process.ppid }) });
    // The same pid with another start time is another process: the holder is gone.
    writeHolder(path, { pid: process.ppid, process_start: "1" });
    const taken = tryLock(path);
    expect("held" in taken).toBe(true);
    if ("held" in taken) taken.held.release();
  });

  it("takes over from a dead pid and from a file left half-written, not from another host", () => {
    const path = join(tempDir(), "m1.lock");
    writeHolder(path, { pid: 2 ** 22 + 17 });
    let attempt = tryLock(path);
    expect("held" in attempt).toBe(true);
    if ("held" in attempt) attempt.held.release();

    writeFileSync(path, '{"pid": 12');
    utimesSync(path, new Date(Date.now() - 5_000), new Date(Date.now() - 5_000));
    attempt = tryLock(path);
    expect("held" in attempt).toBe(true);
    if ("held" in attempt) attempt.held.release();

    writeHolder(path, { pid: 2 ** 22 + 17, host: "another-machine" });
    expect(tryLock(path)).toEqual({ holder: expect.objectContaining({ host: "another-machine" }) });
  });
});
