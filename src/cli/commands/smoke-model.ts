import { resolve } from "node:path";
import type { Command } from "commander";
import { smokeModelPath, SMOKE_MODEL_VERSION, writeSmokeModel } from "../../smoke/index.js";
import { checkOutputPaths } from "../../io/output-paths.js";

interface SmokeModelFlags {
  out?: string;
}

/** `m1 smoke-model [--out FILE]`: write the tiny deterministic GGUF test fixture. */
export function registerSmokeModel(program: Command): void {
  program
    .command("smoke-model")
    .description("Write the tiny deterministic GGUF smoke model (a test fixture, not a real model)")
    .option(
      "-o, --out <file>",
      "where to write it (default: 'models/' in the m1 cache, see M1_CACHE_DIR)",
    )
    .addHelpText(
      "after",
      "\nThe smoke model is a 600 KB llama-architecture GGUF with seeded random weights, a byte-level" +
        "\nBPE vocabulary, ChatML special tokens and a Qwen2.5-style chat template. It writes gibberish:" +
        "\nit exists to exercise budgets, Wait rounds and the whole pipeline quickly and offline." +
        `\nThe same version (now v${SMOKE_MODEL_VERSION}) always gives the same bytes.`,
    )
    .action(async (flags: SmokeModelFlags) => {
      const path = flags.out ? resolve(flags.out) : smokeModelPath();
      checkOutputPaths({
        path: flags.out ?? path,
        kind: "file",
        key: flags.out ? "--out" : "M1_CACHE_DIR",
        example: "--out smoke.gguf",
      });
      const bytes = await writeSmokeModel(path);
      process.stdout.write(`${path}\n`);
      process.stderr.write(
        `wrote the m1 smoke model v${SMOKE_MODEL_VERSION} (${(bytes / 1024).toFixed(0)} KiB, ${bytes} bytes; a test fixture, not a real model)\n`,
      );
    });
}
