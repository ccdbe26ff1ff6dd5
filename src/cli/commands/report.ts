import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { SWEEP_PARAMETERS } from "../../report/experiments.js";
import type { SweepParameter } from "../../report/experiments.js";
import type { ReportOutputFormat } from "../../report/output-formats.js";
import { REPORT_OUTPUT_FORMATS } from "../../report/output-formats.js";
import { runReport } from "../../report/run-report.js";
import {
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
} from "../../report/stats/bootstrap.js";
import { basename, resolve } from "node:path";
import { checkRepoId, hubConnection } from "../../data/hub/connection.js";
import { folderFiles, pushFiles, requireHubToken } from "../../data/hub/push.js";
import { choiceFlag, integerFlag } from "../flags.js";
import { interruptSignal } from "../interrupt.js";
import { describePush } from "./push-flags.js";
import { printNote, printWarning } from "../output.js";
import { checkOutputPaths } from "../../io/output-paths.js";

interface ReportFlags {
  format: ReportOutputFormat;
  by?: SweepParameter | "domain";
  domains?: string;
  compare?: string[];
  resamples: number;
  seed: number;
  examples: number;
  plot?: string;
  html?: string;
  push?: string;
  private?: boolean;
  rescore?: boolean;
  sources?: string[];
  stops: boolean;
  compute: boolean;
  calibration: boolean;
  runtime?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("Tables, statistics, plots and an HTML report from finished experiments")
    .argument(
      "[dirs...]",
      "output directories (an m1.sqlite store and/or m1-layout version_N trees)",
    )
    .option(
      "--format <format>",
      `stdout format: ${REPORT_OUTPUT_FORMATS.join(", ")}`,
      choiceFlag(REPORT_OUTPUT_FORMATS),
      "md",
    )
    .option(
      "--by <parameter>",
      `group along a swept parameter (${SWEEP_PARAMETERS.join(", ")}), or domain: accuracy per MeSH domain`,
      choiceFlag([...SWEEP_PARAMETERS, "domain"] as const),
    )
    .option(
      "--domains <eval.json>",
      "with --by domain: an eval file classified by `m1 curate classify` (default: the domain_name the results carry)",
    )
    .option(
      "--compare <experiments...>",
      "compare two experiments (names, paths or unique parts) question by question",
    )
    .option(
      "--resamples <n>",
      "bootstrap resamples for --compare",
      integerFlag({ min: 100, max: 1_000_000 }),
      DEFAULT_BOOTSTRAP_RESAMPLES,
    )
    .option(
      "--seed <n>",
      "bootstrap seed for --compare",
      integerFlag({ min: 0 }),
      DEFAULT_BOOTSTRAP_SEED,
    )
    .option(
      "--examples <n>",
      "flipped questions to show per direction",
      integerFlag({ min: 0, max: 1000 }),
      3,
    )
    .option(
      "--rescore",
      "score m1-layout experiments again from their <stem>.json (m1's rules) and say where metrics.json differs",
    )
    .option(
      "--sources <names>",
      "only these sources, in this order; the average is over them (comma list)",
      (value: string) =>
        value
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
    )
    .option(
      "--runtime",
      "wall time (summed over resumed runs), samples/s and tokens/s per experiment, as m1's gather_time",
    )
    .option("--plot <dir>", "write plots (SVG, PNG and Vega-Lite JSON) to this directory")
    .option("--html <file>", "write a self-contained HTML report")
    .option(
      "--push <repo>",
      "also push the result trees to this hub dataset (owner/name; HF_TOKEN), as m1 published m1-results",
    )
    .option("--private", "create the --push repo private")
    .option(
      "--stops",
      "only how answers came about: why thinking ended, difflib guesses, accuracy on natural vs forced stops, Wait flips, votes",
      false,
    )
    .option(
      "--compute",
      "accuracy against tokens generated per question for every strategy (budget, Wait, n samples, early exit), and which wins at each compute level",
      false,
    )
    .option(
      "--calibration",
      "risk-coverage and calibration error of probe agreement and vote share",
      false,
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  m1 report outputs/study                      accuracy per experiment and source, 95% Wilson CIs\n" +
        "  m1 report outputs/study --by budget          one table per sweep, budgets down\n" +
        "  m1 report outputs/study --format tsv         m1's gather_results TSV\n" +
        "  m1 report m1-results --rescore --format paper   m1's own outputs rescored, as the paper's table\n" +
        "  m1 report outputs/study --compare budget_1024 budget_4096\n" +
        "  m1 report outputs/study --by domain --domains eval.domains.json   accuracy per MeSH domain\n" +
        "  m1 report outputs/study --runtime            wall time, samples/s, tokens/s\n" +
        "  m1 report m1-results --runtime --format paper   m1's gather_time TSV, as it printed it\n" +
        "  m1 report outputs/study --plot plots --html report.html\n" +
        "  m1 report outputs/study --compute --plot plots  strategies on one compute axis\n" +
        "  m1 report outputs/study --calibration        do settled probes or clear votes predict right answers?",
    )
    .action(async (dirs: string[], flags: ReportFlags) => {
      const directories = [...dirs];
      let compare: [string, string] | undefined;
      if (flags.compare) {
        // `--compare A B dir` also works: commander hands the directory to the variadic option.
        if (flags.compare.length < 2) {
          throw new InputError(
            "--compare needs two experiments",
            { field: "--compare" },
            "write --compare A B",
          );
        }
        compare = [flags.compare[0]!, flags.compare[1]!];
        directories.push(...flags.compare.slice(2));
      }
      const other = (
        [
          ["--compare", compare !== undefined],
          ["--stops", flags.stops],
          ["--compute", flags.compute],
          ["--calibration", flags.calibration],
        ] as const
      ).find(([, given]) => given)?.[0];
      if (flags.runtime && other) {
        throw new InputError(
          `--runtime and ${other} print different reports`,
          { field: "--runtime" },
          "run them one at a time",
        );
      }
      if (directories.length === 0) {
        throw new InputError("no directory given", {}, "write `m1 report <output dir>`");
      }
      if (flags.runtime && flags.by === "domain") {
        throw new InputError(
          "--runtime tabulates time per experiment, not per domain",
          { field: "--by" },
          "drop --by domain, or run the two reports one at a time",
        );
      }
      if (flags.domains !== undefined && flags.by !== "domain") {
        throw new InputError("needs --by domain", { field: "--domains" }, "add --by domain");
      }
      if (flags.push) {
        checkRepoId(flags.push, "--push");
        requireHubToken(hubConnection());
      }
      checkOutputPaths(
        { path: flags.plot, kind: "folder", key: "--plot", example: "--plot plots" },
        { path: flags.html, kind: "file", key: "--html", example: "--html report.html" },
      );
      const result = await runReport({
        directories,
        format: flags.format,
        by: flags.by === "domain" ? undefined : flags.by,
        byDomain: flags.by === "domain",
        domainsFile: flags.domains,
        rescore: flags.rescore,
        sources: flags.sources,
        compare,
        resamples: flags.resamples,
        seed: flags.seed,
        examples: flags.examples,
        plotDirectory: flags.plot,
        htmlPath: flags.html,
        stops: flags.stops,
        compute: flags.compute,
        calibration: flags.calibration,
        runtime: flags.runtime,
      });
      process.stdout.write(result.stdout);
      for (const note of result.notes) printNote(note);
      for (const warning of result.warnings) printWarning(warning);
      for (const path of result.written) printNote(`wrote ${path}`);
      if (flags.push) await pushResultTrees(directories, flags.push, flags.private);
    });
}

/**
 * Upload the trees reported on, laid out as on disk (one tree at the repo root, several under their
 * folder names), as m1 uploaded its outputs folder to UCSC-VLAA/m1-results.
 */
async function pushResultTrees(
  directories: readonly string[],
  repo: string,
  isPrivate: boolean | undefined,
): Promise<void> {
  const files = directories.flatMap((directory) =>
    folderFiles(directory, directories.length > 1 ? basename(resolve(directory)) : ""),
  );
  const result = await pushFiles({
    repo,
    connection: hubConnection(),
    private: isPrivate,
    files,
    title: `m1 report --push: ${directories.map((directory) => basename(resolve(directory))).join(", ")}`,
    signal: interruptSignal,
  });
  printNote(describePush(result));
}
