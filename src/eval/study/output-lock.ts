import { mkdirSync, rmdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { InputError } from "../../errors.js";
import { tryLock } from "../../io/process-lock.js";

/** The lock file of an output directory while an `m1 eval` writes it. */
export const LOCK_FILE_NAME = "m1.lock";

export interface OutputDirLock {
  /** Remove the lock, and the folders taking it created when nothing else was written in them. */
  release(): void;
}

/**
 * Only one `m1 eval` writes an output directory at a time: two would both start the same new
 * experiment, or meet in SQLite's locks. The second is refused with the first one's pid (exit 2);
 * a holder that was killed does not keep the lock (see io/process-lock.ts).
 */
export function lockOutputDir(outputDir: string): OutputDirLock {
  const firstCreated = mkdirSync(outputDir, { recursive: true });
  const attempt = tryLock(join(outputDir, LOCK_FILE_NAME));
  if ("holder" in attempt) {
    removeEmptyFolders(outputDir, firstCreated);
    const { pid, host } = attempt.holder;
    const where = host === hostname() ? "" : ` on ${host}`;
    throw new InputError(
      `another m1 eval (pid ${pid}${where}) is writing ${resolve(outputDir)}`,
      {},
      `wait for it to end, or give this run its own output_dir, e.g. -u output_dir=${outputDir}-2`,
    );
  }
  return {
    release() {
      attempt.held.release();
      removeEmptyFolders(outputDir, firstCreated);
    },
  };
}

/** rmdir from `folder` up to `top` (the first folder mkdir created), stopping at one not empty. */
function removeEmptyFolders(folder: string, top: string | undefined): void {
  if (top === undefined) return;
  const last = resolve(top);
  for (let current = resolve(folder); ; current = dirname(current)) {
    try {
      rmdirSync(current);
    } catch {
      return;
    }
    if (current === last || dirname(current) === current) return;
  }
}
