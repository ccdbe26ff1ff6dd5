import { accessSync, constants, mkdtempSync, rmdirSync, statSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { rowFileFormat } from "./rows.js";

/**
 * Output paths are checked before any work starts, so an hour of generation or a paid API run
 * does not end in "permission denied" (or a stack trace) when the first file is written.
 */
export interface OutputPath {
  /** As the user gave it. */
  path: string | undefined;
  /**
   * A file m1 writes (atomically, beside itself), a rows file (the same, and its extension must be
   * one `writeRows` writes), or a folder m1 creates files in.
   */
  kind: "file" | "rows" | "folder";
  /** How the user set it, for the message: `--out`, `output_dir`. */
  key: string;
  /** A good value in the same syntax, for the fix: `--out rescored`, `-u output_dir=outputs`. */
  example: string;
}

/** Refuse the first output path m1 could not write with a one-line ConfigError (exit 2). */
export function checkOutputPaths(...outputs: readonly OutputPath[]): void {
  for (const output of outputs) {
    if (output.path === undefined) continue;
    if (output.kind === "rows") rowFileFormat(output.path);
    const kind = output.kind === "folder" ? "folder" : "file";
    const problem = outputProblem(resolve(output.path), kind);
    if (problem) {
      throw new ConfigError(`cannot write ${output.path}: ${problem}`, {
        key: output.key,
        fix: `choose a ${kind} you can write, e.g. ${output.example}`,
      });
    }
  }
}

/** Why m1 could not write `path`, or undefined when it can. Creates nothing that it leaves. */
function outputProblem(path: string, kind: "file" | "folder"): string | undefined {
  const existing = statOf(path);
  if (existing) {
    if (kind === "file" && existing.isDirectory()) return "it is a folder, not a file";
    if (kind === "folder" && !existing.isDirectory()) return "it is a file, not a folder";
  }
  // Files are written beside themselves and renamed into place: their folder must take new files.
  let folder = kind === "file" ? dirname(path) : path;
  for (;;) {
    const stats = statOf(folder);
    if (stats) {
      if (!stats.isDirectory()) return `${folder} is a file, not a folder`;
      return creationProblem(folder);
    }
    const parent = dirname(folder);
    if (parent === folder) return `${folder} does not exist`;
    folder = parent;
  }
}

/**
 * Whether files can be created in an existing folder. `access` alone is not enough: root passes it
 * everywhere, yet /proc or a read-only mount refuse new files; so a folder is made and removed.
 */
function creationProblem(folder: string): string | undefined {
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
    rmdirSync(mkdtempSync(join(folder, ".m1-write-check-")));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const reason = code in REASONS ? REASONS[code] : code || "unknown error";
    return `${folder} does not take new files${reason ? ` (${reason})` : ""}`;
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left",
  EDQUOT: "disk quota exceeded",
  // /proc and similar pseudo file systems.
  ENOENT: "",
  ENOTDIR: "not a folder",
};

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
