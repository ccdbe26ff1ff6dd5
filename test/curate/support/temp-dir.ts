import { join } from "node:path";

export { useTempDir } from "../../support/temp-dirs.js";

export function path(dir: string, name: string): string {
  return join(dir, name);
}
