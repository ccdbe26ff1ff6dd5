import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Write a file so that readers (and a rerun after a crash) see either the old content or the
 * whole new one, never a half-written file: write a temporary file beside it, then rename.
 */
export function writeFileAtomically(
  path: string,
  content: string | Uint8Array,
  options: { mode?: number } = {},
): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  // Set after writing, so the umask does not narrow it (launch scripts must be executable).
  if (options.mode !== undefined) chmodSync(temporary, options.mode);
  renameSync(temporary, path);
}
