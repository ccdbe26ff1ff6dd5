#!/usr/bin/env node
// `npm run build` (and `npm pack`, through prepack): compiles src/ to dist/ with type
// declarations, then copies every file under src/ that is not TypeScript (the viewer's page, the
// plot font) beside the compiled code, so that dist/ keeps src/'s layout and relative paths.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src");
const output = join(root, "dist");

rmSync(output, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});

let assets = 0;
for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith(".ts")) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(output, relative(source, from)));
  assets++;
}
console.error(`built ${relative(process.cwd(), output) || "."}/ (${assets} assets copied)`);
