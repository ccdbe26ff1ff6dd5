import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { Command, Option } from "commander";
import { InputError } from "../../errors.js";
import {
  CONVERTERS,
  CONVERTER_KINDS,
  convertBenchmark,
  type ConverterKind,
} from "../../data/convert/index.js";
import { parseFieldMap } from "../../data/convert/fields.js";
import type { PubMedQaContextStyle } from "../../data/convert/types.js";
import { HUB_DATASETS, M1_EVAL_DATA, resolveHubDatasets } from "../../data/hub/catalog.js";
import { checkRepoId, hubConnection } from "../../data/hub/connection.js";
import { pushRowsToHub } from "../../data/hub/push-rows.js";
import { folderFiles, pushFiles, requireHubToken } from "../../data/hub/push.js";
import { describePush } from "./push-flags.js";
import { fetchHubDataset, type FetchResult } from "../../data/hub/fetch.js";
import { m1CacheDir } from "../../paths.js";
import { interruptSignal } from "../interrupt.js";
import { isMd5 } from "../../eval/datasets/md5.js";
import { loadEvalDataset } from "../../eval/datasets/load.js";
import { choiceFlag, integerFlag } from "../flags.js";
import { printNote, printWarning } from "../output.js";
import { terminalProgress } from "../progress.js";
import type { ProgressBar } from "../../progress.js";
import { formatEvalFileSummary, summarizeEvalFile } from "../../data/check.js";
import { M1_DEBUG_ITEMS_PER_SOURCE, writeEvalSubset } from "../../data/subset.js";
import { checkOutputPaths } from "../../io/output-paths.js";

/** `m1 data`: convert benchmark files to m1's eval format, fetch m1's eval file, check a file. */
export function registerData(program: Command): void {
  const data = program
    .command("data")
    .description(
      "Convert benchmark files to m1's eval format, fetch m1's eval file, check an eval file",
    );
  registerConvert(data);
  registerFetch(data);
  registerCheck(data);
  registerSubset(data);
  registerPush(data);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const collectList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== ""),
];

interface ConvertFlags {
  from: ConverterKind;
  in: string[];
  out: string;
  source?: string;
  seed: number;
  subset?: string[];
  split?: string;
  copBase?: "0" | "1";
  contextStyle?: PubMedQaContextStyle;
  map: string[];
  limit?: number;
  append?: boolean;
}

function registerConvert(data: Command): void {
  const kinds = CONVERTER_KINDS.map(
    (kind) => `  ${kind.padEnd(11)} ${CONVERTERS[kind].description}`,
  ).join("\n");
  data
    .command("convert")
    .description("Convert a benchmark's original files into one source of an m1 eval file (.json)")
    .addOption(
      new Option("--from <kind>", "benchmark kind (see below)")
        .argParser(choiceFlag(CONVERTER_KINDS))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--in <file>", "input file (repeat for several)")
        .argParser(collect)
        .makeOptionMandatory(),
    )
    .requiredOption("--out <file>", "output eval file (.json), written atomically")
    .option(
      "--source <name>",
      "source name in the output (default: HuatuoGPT-o1/m1 naming, e.g. MedQA_USLME_test)",
    )
    .option("--seed <n>", "seed for shuffled options (gpqa)", integerFlag({ min: 0 }), 42)
    .option(
      "--subset <names>",
      "mmlu subjects, mmlu-pro categories, gpqa domains, headqa categories; comma list or 'all'",
      collectList,
    )
    .option(
      "--split <name>",
      "pubmedqa: test (the official 500, default) or all (the 1,000 labeled)",
    )
    .addOption(
      new Option(
        "--cop-base <n>",
        "medmcqa: cop counts from 0 (Hugging Face) or 1 (original release); detected when absent",
      ).choices(["0", "1"]),
    )
    .addOption(
      new Option(
        "--context-style <style>",
        "pubmedqa: huatuo (HuatuoGPT-o1's eval layout, default) or newline (m1's training layout)",
      ).choices(["huatuo", "newline"]),
    )
    .option(
      "--map <field=column>",
      "read the converter's field from another column (repeat)",
      collect,
      [],
    )
    .option("--limit <n>", "keep only the first N converted items", integerFlag({ min: 1 }))
    .option("--append", "add the source to an existing --out file instead of replacing it")
    .addHelpText(
      "after",
      `\nKinds:\n${kinds}\n\nSee docs/datasets.md for each kind's source files and output.`,
    )
    .action(async (flags: ConvertFlags) => {
      if (flags.source !== undefined && flags.source.trim() === "") {
        throw new InputError(
          "is empty",
          { field: "--source" },
          "give a source name, e.g. PubMedQA_test",
        );
      }
      checkOutputPaths({
        path: flags.out,
        kind: "file",
        key: "--out",
        example: "--out eval/medqa.json",
      });
      const outcome = await convertBenchmark({
        kind: flags.from,
        inputs: flags.in,
        out: flags.out,
        source: flags.source,
        seed: flags.seed,
        subset: flags.subset,
        split: flags.split,
        copBase: flags.copBase === undefined ? undefined : flags.copBase === "0" ? 0 : 1,
        contextStyle: flags.contextStyle,
        fieldMap: parseFieldMap(flags.map),
        limit: flags.limit,
        append: flags.append,
      });
      for (const note of outcome.notes) printNote(`${flags.from}: ${note}`);
      if (outcome.dropped.length > 0) {
        printWarning(`dropped ${outcome.dropped.length} item(s):`);
        for (const { where, reason } of outcome.dropped.slice(0, 5))
          printNote(`  ${where}: ${reason}`);
        if (outcome.dropped.length > 5) printNote(`  ... and ${outcome.dropped.length - 5} more`);
      }
      process.stdout.write(
        `wrote ${outcome.itemCount} items as source '${outcome.source}' to ${outcome.out} (sources: ${outcome.sources.join(", ")})\n`,
      );
    });
}

interface FetchFlags {
  revision?: string;
  include: string[];
  localDir?: string;
  cacheDir?: string;
  force?: boolean;
  md5?: string;
  quiet?: boolean;
}

function registerFetch(data: Command): void {
  const names = HUB_DATASETS.map(
    (dataset) => `  ${dataset.name.padEnd(19)} ${dataset.repo}: ${dataset.description}`,
  ).join("\n");
  data
    .command("fetch")
    .description(
      "Download m1's eval file, training sets, results or benchmark references from the hub, checked, resumable",
    )
    .argument(
      "<datasets...>",
      "names below, m1-references (all six references), or hf:owner/name[@rev]",
    )
    .option("--revision <rev>", "branch, tag or commit on the hub (default: the dataset's)")
    .option(
      "--include <pattern>",
      "only files matching (fnmatch; * crosses /, a trailing / takes a folder); repeat",
      collect,
      [],
    )
    .option("--local-dir <dir>", "put the files here, laid out as in the repo (one dataset only)")
    .option(
      "--cache-dir <dir>",
      "cache directory (default $M1_CACHE_DIR, $XDG_CACHE_HOME/m1 or ~/.cache/m1)",
    )
    .option("--force", "download again even when valid copies are there")
    .option(
      "--md5 <sum>",
      `expected md5 of a one-file dataset (m1-eval: ${M1_EVAL_DATA.md5}, the one m1's config checks)`,
    )
    .option("--quiet", "no progress bar")
    .addHelpText(
      "after",
      `\nDatasets:\n${names}\n\nPrints the file (one-file datasets) or the folder holding the files.\n` +
        "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated or private repos).",
    )
    .action(async (names: string[], flags: FetchFlags) => {
      if (flags.md5 !== undefined && !isMd5(flags.md5)) {
        throw new InputError(
          `'${flags.md5}' is not an md5 sum`,
          { field: "--md5" },
          "give 32 hex digits",
        );
      }
      const datasets = names.flatMap((name) => resolveHubDatasets(name));
      if (flags.localDir !== undefined && datasets.length > 1) {
        throw new InputError(
          `--local-dir takes one dataset, got ${datasets.length}`,
          { field: "--local-dir" },
          "fetch them one at a time",
        );
      }
      checkOutputPaths(
        {
          path: flags.cacheDir ?? m1CacheDir(),
          kind: "folder",
          key: flags.cacheDir ? "--cache-dir" : "M1_CACHE_DIR",
          example: "--cache-dir ~/.cache/m1",
        },
        { path: flags.localDir, kind: "folder", key: "--local-dir", example: "--local-dir data" },
      );
      for (const dataset of datasets) {
        let bar: ProgressBar | undefined;
        const result = await fetchHubDataset(dataset, {
          connection: hubConnection(),
          cacheDir: flags.cacheDir ?? m1CacheDir(),
          localDir: flags.localDir,
          revision: flags.revision,
          include: flags.include,
          force: flags.force,
          md5: flags.md5,
          signal: interruptSignal,
          onProgress: ({ receivedBytes, totalBytes }) => {
            // Only large downloads get a bar; KiB keeps the counts readable.
            if (!bar && totalBytes > 1 << 20) {
              bar = terminalProgress({ quiet: flags.quiet }).bar({
                label: dataset.name,
                total: Math.ceil(totalBytes / 1024),
                unit: "KiB",
              });
            }
            bar?.update(Math.floor(receivedBytes / 1024));
          },
        }).finally(() => bar?.stop());
        printNote(describeFetch(result));
        const only = result.files.length === 1 && !dataset.include?.[0]?.includes("*");
        process.stdout.write(`${only ? result.files[0]!.path : result.directory}\n`);
      }
    });
}

function describeFetch(result: FetchResult): string {
  const fetched = result.files.filter((file) => file.downloaded);
  const bytes = fetched.reduce((sum, file) => sum + file.bytes, 0);
  const kept = result.files.length - fetched.length;
  const name = result.dataset.name;
  if (result.files.length === 1) {
    const [file] = result.files;
    return file!.downloaded
      ? `${name}: downloaded ${file!.bytes} bytes, md5 ${file!.md5}`
      : `${name}: already cached, md5 ${file!.md5}`;
  }
  return (
    `${name}: ${result.files.length} files from ${result.dataset.repo}@${result.revision}: ` +
    `downloaded ${fetched.length} (${bytes} bytes), ${kept} already there${result.offline ? " (no request made)" : ""}`
  );
}

interface CheckFlags {
  md5?: string;
}

function registerCheck(data: Command): void {
  data
    .command("check")
    .description(
      "Validate an m1 eval file; print its sources, item counts, option-count histogram and md5",
    )
    .argument("<file>", "the eval file (.json)")
    .option("--md5 <sum>", "also check the file's md5 (m1's eval_data_md5sum)")
    .action(async (file: string, flags: CheckFlags) => {
      const dataset = await loadEvalDataset(file, { md5: flags.md5 });
      const summary = summarizeEvalFile(dataset);
      process.stdout.write(formatEvalFileSummary(summary));
      for (const { item, reason } of dataset.dropped.slice(0, 5))
        printNote(`dropped ${item}: ${reason}`);
      printNote(`md5 ${summary.md5}`);
    });
}

interface SubsetFlags {
  out: string;
  perSource: number;
}

function registerSubset(data: Command): void {
  data
    .command("subset")
    .description(
      `Write m1's debug file: the first ${M1_DEBUG_ITEMS_PER_SOURCE} items of every source (misc/sub_eval_data.json in m1)`,
    )
    .argument("<file>", "the eval file (.json)")
    .requiredOption("--out <file>", "the subset file (.json), written as Python's json.dump")
    .option(
      "--per-source <n>",
      "items kept from the head of each source",
      integerFlag({ min: 1 }),
      M1_DEBUG_ITEMS_PER_SOURCE,
    )
    .action((file: string, flags: SubsetFlags) => {
      checkOutputPaths({
        path: flags.out,
        kind: "file",
        key: "--out",
        example: "--out sub_eval_data.json",
      });
      const outcome = writeEvalSubset({ in: file, out: flags.out, perSource: flags.perSource });
      const counts = Object.entries(outcome.counts);
      const total = counts.reduce((sum, [, count]) => sum + count, 0);
      process.stdout.write(
        `wrote ${total} items from ${counts.length} sources to ${outcome.out}\n`,
      );
    });
}

interface PushCommandFlags {
  repo: string;
  private?: boolean;
  pathInRepo?: string;
  asIs?: boolean;
}

function registerPush(data: Command): void {
  data
    .command("push")
    .description("Push rows as a hub dataset (m1's push_to_hub), or a file or folder as it is")
    .argument("<path>", "rows (.jsonl/.parquet/.json list), an eval file, or a folder")
    .requiredOption("--repo <owner/name>", "the hub dataset repo (created when missing)")
    .option("--private", "create the repo private")
    .option(
      "--path-in-repo <path>",
      "where a file or folder goes in the repo (default: its name / the root)",
    )
    .option("--as-is", "upload a rows file unchanged instead of as a Parquet dataset")
    .addHelpText(
      "after",
      "\nRows become data/train-00000-of-00001.parquet plus a README declaring the train split, as\n" +
        "datasets' push_to_hub writes them. Files the repo already holds unchanged are skipped.\n" +
        "Environment: HF_TOKEN (a write token), HF_ENDPOINT (default https://huggingface.co).",
    )
    .action(async (path: string, flags: PushCommandFlags) => {
      const connection = hubConnection();
      requireHubToken(connection);
      checkRepoId(flags.repo, "--repo");
      const result =
        isRowsFile(path) && !flags.asIs
          ? await pushRowsToHub({
              repo: flags.repo,
              connection,
              private: flags.private,
              file: path,
              producedBy: "m1 data push",
              signal: interruptSignal,
            })
          : await pushFiles({
              repo: flags.repo,
              connection,
              private: flags.private,
              files: folderFiles(path, flags.pathInRepo),
              title: `m1 data push: ${basename(path)}`,
              signal: interruptSignal,
            });
      printNote(describePush(result));
      process.stdout.write(`${result.url}\n`);
    });
}

/** A table of rows (pushed as a dataset) rather than a file to upload as it is (an eval file). */
function isRowsFile(path: string): boolean {
  if (!existsSync(path) || statSync(path).isDirectory()) return false;
  const extension = extname(path).toLowerCase();
  if ([".jsonl", ".ndjson", ".parquet"].includes(extension)) return true;
  return extension === ".json" && readFileSync(path, "utf8").trimStart().startsWith("[");
}
