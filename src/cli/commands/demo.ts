import { join } from "node:path";
import type { Command } from "commander";
import { loadEvalConfig } from "../../eval/config/load.js";
import { checkOutputPaths } from "../../io/output-paths.js";
import { PACKAGE_ROOT } from "../../paths.js";
import { errorColors, printNote } from "../output.js";
import { runStudyCommand } from "./eval.js";

export const DEMO_CONFIG = join(PACKAGE_ROOT, "configs", "demo.yaml");

interface DemoFlags {
  outputDir: string;
  quiet: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    // One line per paragraph: commander wraps it to the terminal's width.
    .description(
      "The README's main job: a small study (thinking budgets 16/64/256 x Wait rounds 0/2) on the " +
        "tiny smoke model (random weights, a test fixture) over 40 bundled PubMedQA questions, " +
        "ending with the accuracy table and where the results are. Same as " +
        "`m1 eval -c configs/demo.yaml`, exit codes included (0 done, 2 bad input, 3 samples " +
        "failed, 130 interrupted: rerun to resume). Rerunning it skips finished experiments " +
        "(m1's rule).",
    )
    .option("-o, --output-dir <dir>", "where results go", "outputs")
    .option("-q, --quiet", "no progress bars", false)
    .action(async (flags: DemoFlags) => {
      const config = loadEvalConfig({ configPath: DEMO_CONFIG });
      config.eval_data_path = join(PACKAGE_ROOT, config.eval_data_path);
      config.output_dir = flags.outputDir;
      checkOutputPaths({
        path: flags.outputDir,
        kind: "folder",
        key: "--output-dir",
        example: "--output-dir outputs",
      });
      printNote(
        errorColors.bold("m1 demo: thinking budgets x Wait rounds on the tiny smoke model"),
      );
      const result = await runStudyCommand(config, { quiet: flags.quiet });
      if (!result.interrupted) {
        process.stdout.write(
          `\nnext: m1 report ${flags.outputDir} --by budget --plot ${join(flags.outputDir, "plots")}` +
            ` · m1 view ${flags.outputDir} · point --model at a real GGUF (see README)\n`,
        );
      }
    });
}
