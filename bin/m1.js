#!/usr/bin/env node
// The m1 command. In a checkout the TypeScript sources run through tsx (a dev dependency), so an
// edit takes effect with no build step; the installed package has no src/ and runs dist/ (as a
// checkout installed without dev dependencies does, once built).
import { existsSync } from "node:fs";

const sources = new URL("../src/cli/main.ts", import.meta.url);
const compiled = new URL("../dist/cli/main.js", import.meta.url);

async function loadMain() {
  if (existsSync(sources)) {
    const tsx = await import("tsx/esm/api").catch(() => null);
    if (tsx) {
      tsx.register();
      return (await import(sources.href)).main;
    }
    if (!existsSync(compiled)) {
      console.error(
        "m1: error: running the sources needs tsx, a dev dependency, which is not installed (fix: run `npm install`, or `npm run build` to run the compiled dist/)",
      );
      process.exit(2);
    }
  }
  return (await import(compiled.href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv);
