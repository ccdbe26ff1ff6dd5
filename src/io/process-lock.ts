import { randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";

/**
 * A lock file that says which process holds it: created exclusively, holding the holder's pid,
 * host and process start time. A holder that died without removing it (SIGKILL, power loss) does
 * not keep it: a process that finds the lock checks whether its holder still runs (same pid and
 * same start time, so a reused pid does not count) and takes the lock over when not.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** The kernel's start time of the holder (Linux), to tell a reused pid apart. */
  process_start: string | null;
  started_at: string;
}

export interface HeldLock {
  path: string;
  /** Remove the lock file (when it is still this process's). Idempotent. */
  release(): void;
}

export type LockAttempt = { held: HeldLock } | { holder: LockHolder };

/** Locks this process holds, so that a second holder in the same process is refused too. */
const heldHere = new Set<string>();

/** Take the lock at `path`, or say who holds it. The lock's folder must exist. */
export function tryLock(path: string): LockAttempt {
  const absolute = resolve(path);
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    process_start: processStart(process.pid),
    started_at: new Date().toISOString(),
  };
  const content = `${JSON.stringify(mine)}\n`;
  // Each round either takes the lock, finds a live holder, or removes a dead one's file.
  for (let round = 0; round < 10; round++) {
    if (createExclusively(absolute, content)) {
      heldHere.add(absolute);
      return { held: heldLock(absolute, content) };
    }
    const seen = readHolder(absolute);
    if (seen === "gone") continue;
    if (seen !== "unreadable" && isAlive(seen.holder, absolute)) return { holder: seen.holder };
    if (seen === "unreadable" && !isOld(absolute)) {
      // Another process is writing it right now: that process holds the lock.
      sleepMs(20);
      continue;
    }
    removeStale(absolute, seen === "unreadable" ? undefined : seen.text);
  }
  const last = readHolder(absolute);
  return {
    holder:
      last !== "gone" && last !== "unreadable"
        ? last.holder
        : { pid: 0, host: hostname(), process_start: null, started_at: "" },
  };
}

function heldLock(path: string, content: string): HeldLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(path);
      try {
        if (readFileSync(path, "utf8") === content) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}

function createExclusively(path: string, content: string): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(path, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(descriptor, content);
  } finally {
    closeSync(descriptor);
  }
  return true;
}

function readHolder(path: string): "gone" | "unreadable" | { holder: LockHolder; text: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return "gone";
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.pid === "number" && typeof holder.host === "string") return { holder, text };
  } catch {
    // Being written, or not ours.
  }
  return "unreadable";
}

function isAlive(holder: LockHolder, path: string): boolean {
  // A holder on another machine (a shared file system) cannot be checked: it counts as alive.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStart(holder.pid);
  return holder.process_start === null || start === null || start === holder.process_start;
}

/** A lock file still unreadable after a second was left half-written by a dead process. */
function isOld(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 1000;
  } catch {
    return true;
  }
}

/**
 * Remove a dead holder's file. It is first renamed aside, so that two processes removing it at
 * once cannot remove a lock that a third has just taken; if what was moved is not the dead
 * holder's file after all, it is put back.
 */
function removeStale(path: string, staleText: string | undefined): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  let moved: string | undefined;
  try {
    moved = readFileSync(aside, "utf8");
  } catch {
    moved = undefined;
  }
  if (staleText !== undefined && moved !== staleText) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone took the lock meanwhile; theirs stands.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Gone already.
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null off Linux. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function sleepMs(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}
