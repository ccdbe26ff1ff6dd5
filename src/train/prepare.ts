import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { loadChatTemplateFile, type ChatTemplate } from "../backends/chat-template.js";
import { silentProgress, type ProgressReporter } from "../progress.js";
import { rowLabel, rowLocator } from "../io/row-location.js";
import { countTokensOfTexts, openTokenCounter } from "../curate/training-text/token-counting.js";
import { tokenLengthStats, type TokenLengthStats } from "../curate/training-text/token-stats.js";
import { m1TrainingText } from "../curate/training-text/render.js";
import { ConfigError } from "../errors.js";
import { writeFileAtomically } from "../io/atomic.js";
import { readRows, writeRows, type Row } from "../io/rows.js";
import { M1_VERSION } from "../version.js";
import { renderLaunchScript } from "./launch-commands.js";
import {
  RUN_FILES,
  renderAccelerateConfig,
  renderFsdpConfigJson,
  renderSftConfig,
} from "./run-files.js";
import type { RunManifest } from "./run-manifest.js";
import type { ConfigLayer } from "../config/index.js";
import { resolveTrainSettings } from "./settings.js";
import { TRAIN_SCRIPT } from "./train-script.js";
import { toTrlDataset, type TrlDataset } from "./trl-dataset.js";

export interface PrepareOptions {
  dataPath: string;
  model: string;
  runDir: string;
  /** Settings in order of precedence (later wins): the -c file, flags, -u. */
  /** Settings beyond the defaults: the -c file, flags, -u (later wins). */
  settings: readonly ConfigLayer[];
  /** tokenizer.json (or its folder) or .gguf: enables the block-size report. */
  tokenizerPath?: string;
  /** The chat template for counting rows that have no formatted `text` yet. */
  chatTemplatePath?: string;
  /** Overwrite the files of a run folder that was prepared before (checkpoints are kept). */
  force?: boolean;
  /** The command line, recorded in run.json. */
  command?: readonly string[];
  /** Where progress goes (the CLI draws a bar); silent by default. */
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

export interface PrepareResult {
  runDir: string;
  manifest: RunManifest;
  stats?: TokenLengthStats;
}

/**
 * `m1 train prepare`: everything a training run needs, in one folder: the TRL dataset, sft.yaml,
 * accelerate.yaml, fsdp_config.json, train.py, launch.sh and run.json. All checks run before the
 * first file is written, so bad input leaves nothing behind.
 */
export async function prepareRun(options: PrepareOptions): Promise<PrepareResult> {
  const runDir = resolve(options.runDir);
  const resolved = resolveTrainSettings(options.model, options.settings);
  const settings = resolved.settings;
  if (existsSync(join(runDir, RUN_FILES.manifest)) && !options.force) {
    throw new ConfigError(`${runDir} already holds a prepared run`, {
      key: "--out",
      fix: "pick another --out folder, or pass --force to rewrite its files (checkpoints are kept)",
    });
  }
  const rows = await readRows(options.dataPath);
  const locate = rowLocator(options.dataPath);
  const dataset = toTrlDataset(rows, { responseTemplate: settings.response_template, locate });
  const lengths = await measureLengths(rows, dataset, options, settings.block_size);
  const runName = basename(runDir);

  const manifest: RunManifest = {
    kind: "m1-train-run",
    version: 1,
    m1_version: M1_VERSION,
    created_at: new Date().toISOString(),
    command: [...(options.command ?? [])],
    run_name: runName,
    model: {
      name: options.model,
      family: resolved.family ?? null,
      decoder_layer_class: settings.decoder_layer_class,
    },
    data: { path: resolve(options.dataPath), rows: rows.length, form: dataset.form },
    settings,
    derived: {
      gradient_accumulation_steps: resolved.gradientAccumulationSteps,
      world_size: resolved.worldSize,
    },
    files: {
      dataset: RUN_FILES.dataset,
      sft_config: RUN_FILES.sftConfig,
      accelerate_config: RUN_FILES.accelerateConfig,
      fsdp_config: RUN_FILES.fsdpConfig,
      train_script: RUN_FILES.trainScript,
      launch_script: RUN_FILES.launchScript,
      checkpoints: settings.output_dir,
      logs: RUN_FILES.logs,
    },
    token_lengths: lengths
      ? {
          tokenizer: lengths.stats.tokenizer,
          count: lengths.stats.count,
          mean: lengths.stats.mean,
          max: lengths.stats.max,
          above_block_size: lengths.stats.aboveBlockSize,
          above_block_size_ids: lengths.aboveBlockSize,
        }
      : null,
  };

  mkdirSync(join(runDir, RUN_FILES.logs), { recursive: true });
  writeRows(join(runDir, RUN_FILES.dataset), dataset.examples as unknown as Row[]);
  writeFileAtomically(join(runDir, RUN_FILES.sftConfig), renderSftConfig(resolved, runName));
  writeFileAtomically(join(runDir, RUN_FILES.accelerateConfig), renderAccelerateConfig(resolved));
  writeFileAtomically(join(runDir, RUN_FILES.fsdpConfig), renderFsdpConfigJson(resolved));
  writeFileAtomically(join(runDir, RUN_FILES.trainScript), TRAIN_SCRIPT, { mode: 0o755 });
  writeFileAtomically(join(runDir, RUN_FILES.launchScript), renderLaunchScript(settings, runName), {
    mode: 0o755,
  });
  // run.json last: its presence says the folder is complete.
  writeFileAtomically(join(runDir, RUN_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return { runDir, manifest, stats: lengths?.stats };
}

interface MeasuredLengths {
  stats: TokenLengthStats;
  aboveBlockSize: string[];
}

/**
 * Token lengths of the full training texts: counted with --tokenizer when given (rows without a
 * formatted `text` are rendered with the chat template first), else taken from a `num_tokens`
 * column that `m1 curate format` left; otherwise not measured.
 */
async function measureLengths(
  rows: readonly Row[],
  dataset: TrlDataset,
  options: PrepareOptions,
  blockSize: number,
): Promise<MeasuredLengths | undefined> {
  const locate = rowLocator(options.dataPath);
  const labelsAbove = (counts: readonly number[]) =>
    counts.flatMap((count, index) =>
      count > blockSize ? [rowLabel(rows[index]!, locate(index))] : [],
    );
  if (!options.tokenizerPath) {
    const counts = rows.map((row) => row.num_tokens);
    if (rows.length === 0 || !counts.every((count) => typeof count === "number")) return undefined;
    const numbers = counts as number[];
    return {
      stats: tokenLengthStats(numbers, blockSize, "num_tokens column"),
      aboveBlockSize: labelsAbove(numbers),
    };
  }
  const texts = trainingTexts(dataset, options);
  const counter = await openTokenCounter(options.tokenizerPath);
  const progress = (options.progress ?? silentProgress).bar({
    label: "count tokens",
    total: texts.length,
    unit: "rows",
  });
  try {
    const counts = await countTokensOfTexts(texts, counter, { progress, signal: options.signal });
    return {
      stats: tokenLengthStats(counts, blockSize, counter.description),
      aboveBlockSize: labelsAbove(counts),
    };
  } finally {
    progress.stop();
    await counter.close();
  }
}

function trainingTexts(dataset: TrlDataset, options: PrepareOptions): string[] {
  if (dataset.form === "text") return dataset.texts as string[];
  let template: ChatTemplate | undefined;
  return dataset.columns!.map((columns, index) => {
    const text = dataset.texts[index];
    if (text !== undefined) return text;
    template ??= chatTemplateForCounting(options);
    return m1TrainingText(columns, template);
  });
}

function chatTemplateForCounting(options: PrepareOptions): ChatTemplate {
  if (options.chatTemplatePath) return loadChatTemplateFile(options.chatTemplatePath);
  const beside = siblingTokenizerConfig(options.tokenizerPath!);
  if (beside) return loadChatTemplateFile(beside);
  throw new ConfigError("counting tokens of rows without `text` needs the model's chat template", {
    key: "--chat-template",
    fix: "pass --chat-template (a .jinja file or tokenizer_config.json), or run `m1 curate format` first",
  });
}

/** transformers keeps tokenizer_config.json beside tokenizer.json; use it when it is there. */
function siblingTokenizerConfig(tokenizerPath: string): string | undefined {
  let folder = dirname(tokenizerPath);
  try {
    if (statSync(tokenizerPath).isDirectory()) folder = tokenizerPath;
  } catch {
    return undefined;
  }
  const candidate = join(folder, "tokenizer_config.json");
  return existsSync(candidate) ? candidate : undefined;
}
