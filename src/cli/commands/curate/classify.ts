import type { Command } from "commander";
import { checkPushFlags, pushRowsIfAsked, type PushFlags } from "../push-flags.js";
import { layerAskOptions, readAskConfigFile } from "../../../curate/ask/ask-options.js";
import { resolveAskSettings } from "../../../curate/ask/ask-settings.js";
import { describePlan, planAsk } from "../../../curate/ask/dry-run.js";
import { askOptionsFromFlags, type AskFlags } from "../../../curate/ask/flag-options.js";
import {
  DEFAULT_MAX_REASKS,
  classifyRows,
  rubricBuiltins,
} from "../../../curate/classify/classify-rows.js";
import {
  DEFAULT_MESH_RUBRIC,
  MESH_RUBRICS,
  type MeshRubricName,
} from "../../../curate/classify/mesh-rubric.js";
import { chatProgressDetail, chatRunSummary } from "../../../curate/progress-detail.js";
import { evalFileRows, isEvalFile, writeEvalFileWithDomains } from "../../../data/eval-domains.js";
import { ConfigError } from "../../../errors.js";
import { readRows, writeRows } from "../../../io/rows.js";
import { choiceFlag, integerFlag } from "../../flags.js";
import { retryNotices } from "../../../net/index.js";
import { interruptSignal } from "../../interrupt.js";
import { printNote, printWarning } from "../../output.js";
import { terminalProgress } from "../../progress.js";
import type { ProgressBar } from "../../../progress.js";
import { addModelCallOptions, requireOutUnlessDryRun } from "./ask.js";
import { checkOutputPaths } from "../../../io/output-paths.js";

interface ClassifyFlags extends PushFlags, Omit<AskFlags, "maxRetries"> {
  in: string;
  out?: string;
  config?: string;
  apiKey?: string;
  /** Re-asks of rows whose answer has no code. */
  maxRetries: number;
  requestRetries?: number;
  unclassifiedOut?: string;
  rubric: MeshRubricName;
  dryRun?: boolean;
  quiet?: boolean;
}

export function registerCurateClassify(curate: Command): void {
  const command = curate
    .command("classify")
    .description("Classify rows into MeSH qualifier domains")
    .requiredOption(
      "--in <file>",
      "rows with a prompt column (.jsonl/.json/.parquet), or an m1 eval file (its items get domain_code, domain_name)",
    )
    .option(
      "--out <file>",
      "rows with domain, domain_code, domain_name, is_domain_code_extracted (an eval file for an eval file)",
    )
    .option(
      "--max-retries <n>",
      "re-ask a row whose answer ends without a valid code up to n times (m1's)",
      integerFlag({ min: 0 }),
      DEFAULT_MAX_REASKS,
    )
    .option("--unclassified-out <file>", "also write the rows that stay without a code")
    .option(
      "--rubric <name>",
      "mesh: the 76 MeSH qualifiers (m1K's); mesh-hierarchical: the 26 top qualifiers with their sub-trees (m1's other rubric)",
      choiceFlag(MESH_RUBRICS),
      DEFAULT_MESH_RUBRIC,
    );
  addModelCallOptions(command, "--request-retries")
    .addHelpText(
      "after",
      "\nm1's setup: GPT-4o, its system prompt, the question followed by the 76 MeSH qualifiers\n" +
        "(data/mesh) with two-digit codes; the code is the answer's last two characters.",
    )
    .action(async (flags: ClassifyFlags) => {
      checkPushFlags(flags);
      requireOutUnlessDryRun(flags);
      checkOutputPaths(
        { path: flags.out, kind: "rows", key: "--out", example: "--out classified.jsonl" },
        {
          path: flags.unclassifiedOut,
          kind: "rows",
          key: "--unclassified-out",
          example: "--unclassified-out unclassified.jsonl",
        },
        { path: flags.cache, kind: "file", key: "--cache", example: "--cache answers.sqlite" },
      );
      const fileOptions = flags.config ? readAskConfigFile(flags.config) : undefined;
      const ask = resolveAskSettings(
        layerAskOptions(
          { preset: "classify" },
          fileOptions,
          askOptionsFromFlags({ ...flags, maxRetries: flags.requestRetries }),
        ),
        { apiKey: flags.apiKey, file: flags.config, readApiKey: !flags.dryRun },
      );
      // An eval file is classified item by item, for `m1 report --by domain`.
      const evalFile = isEvalFile(flags.in) ? evalFileRows(flags.in) : undefined;
      if (evalFile && flags.pushToHub) {
        throw new ConfigError("pushes rows, and --in is an eval file", {
          key: "--push-to-hub",
          fix: "push the classified eval file with m1 data push FILE --repo owner/name",
        });
      }
      const rows = evalFile?.rows ?? (await readRows(flags.in));
      if (flags.dryRun) {
        for (const line of describePlan(planAsk(rows, flags.in, ask, rubricBuiltins(flags.rubric))))
          printNote(line);
        return;
      }
      let bar: ProgressBar | undefined;
      let done = 0;
      const result = await classifyRows(
        rows,
        flags.in,
        { ask, maxReasks: flags.maxRetries, rubric: flags.rubric },
        {
          signal: interruptSignal,
          onRetry: retryNotices((line) => printWarning(line)),
          onRound: (round, count) => {
            bar?.stop();
            done = 0;
            const label = round === 0 ? `classify ${ask.model}` : `re-ask ${round}`;
            bar = terminalProgress({ quiet: flags.quiet }).bar({
              label,
              total: count,
              unit: "rows",
            });
          },
          onOutcome: (_index, _outcome, stats) => bar?.update(++done, chatProgressDetail(stats)),
        },
      ).finally(() => bar?.stop());
      if (evalFile) {
        writeEvalFileWithDomains(flags.out!, evalFile, result.rows);
        const items = evalFile.rows.length;
        printNote(
          `classify: ${items - result.unclassified.length} of ${items} eval items have a domain`,
        );
      } else {
        writeRows(flags.out!, result.rows);
        await pushRowsIfAsked(flags, flags.out!, "m1 curate classify", result.rows);
      }
      printNote(`classify: ${chatRunSummary(result.stats)}`);
      if (result.rounds.length > 1)
        printNote(`classify: rows asked per round: ${result.rounds.join(", ")}`);
      if (result.unclassified.length > 0) {
        printWarning(
          `${result.unclassified.length} rows have no domain code after ${flags.maxRetries} re-asks ` +
            `(rows ${result.unclassified
              .slice(0, 10)
              .map((index) => index + 1)
              .join(", ")}` +
            `${result.unclassified.length > 10 ? ", ..." : ""}); they keep is_domain_code_extracted=false`,
        );
        if (flags.unclassifiedOut) {
          writeRows(
            flags.unclassifiedOut,
            result.unclassified.map((index) => result.rows[index]!),
          );
        }
      }
      printNote(`classify: wrote ${result.rows.length} rows to ${flags.out}`);
    });
}
