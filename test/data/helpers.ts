import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "datasets");

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Write `content` (text, bytes, or any other value as JSON) to `dir/name` and return the path. */
export function writeIn(dir: string, name: string, content: unknown): string {
  const path = join(dir, name);
  if (content instanceof Uint8Array || typeof content === "string") writeFileSync(path, content);
  else writeFileSync(path, JSON.stringify(content, null, 2));
  return path;
}

/** Files in `dir` (to show that a failed command wrote nothing). */
export function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The stderr lines that are not npm/node noise. */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "");
}
