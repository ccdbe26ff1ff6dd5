import { silentProgress, type ProgressReporter } from "../../progress.js";
import { basename, dirname, extname, join } from "node:path";
import { loadChatTemplateFile, type ChatTemplate } from "../../backends/chat-template.js";
import { ConfigError } from "../../errors.js";
import { writeFileAtomically } from "../../io/atomic.js";
import { readRows, rowFileFormat, writeRows } from "../../io/rows.js";
import type { TokenCounter } from "../../tokenizers/types.js";
import { renderTrainingRows } from "./training-rows.js";
import { rowLocator } from "../../io/row-location.js";
import { openTokenCounter } from "./token-counting.js";
import type { TokenLengthStats } from "./token-stats.js";

export interface TrainingFileOptions {
  inPath: string;
  outPath: string;
  /** A .jinja template, or any file `loadChatTemplateFile` reads. */
  chatTemplatePath?: string;
  /** A tokenizer_config.json holding `chat_template`. */
  tokenizerConfigPath?: string;
  /** tokenizer.json (or its folder) or a .gguf file; enables the token statistics. */
  tokenizerPath?: string;
  blockSize?: number;
  /** Where progress goes (the CLI draws a bar); silent by default. */
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

export interface TrainingFileSummary {
  rows: number;
  outPath: string;
  statsPath?: string;
  stats?: TokenLengthStats;
  aboveBlockSize: string[];
}

/** `m1 curate format`: read, render, count, then write the rows and the stats file (atomically). */
export async function renderTrainingFile(
  options: TrainingFileOptions,
): Promise<TrainingFileSummary> {
  rowFileFormat(options.outPath); // an unsupported output type fails before any work
  const chatTemplate = chooseChatTemplate(options);
  const rows = await readRows(options.inPath);
  const counter: TokenCounter | undefined = options.tokenizerPath
    ? await openTokenCounter(options.tokenizerPath)
    : undefined;
  // Rendering alone is instant; the bar is for token counting.
  const progress = (counter ? (options.progress ?? silentProgress) : silentProgress).bar({
    label: "format",
    total: rows.length,
    unit: "rows",
  });
  try {
    const result = await renderTrainingRows(rows, {
      chatTemplate,
      tokenCounter: counter,
      blockSize: options.blockSize,
      locate: rowLocator(options.inPath),
      progress,
      signal: options.signal,
    });
    progress.stop();
    writeRows(options.outPath, result.rows);
    let statsPath: string | undefined;
    if (result.stats) {
      statsPath = tokenStatsPath(options.outPath);
      const stats = {
        ...result.stats,
        input: options.inPath,
        output: options.outPath,
        above_block_size_ids: result.aboveBlockSize,
      };
      writeFileAtomically(statsPath, `${JSON.stringify(stats, null, 2)}\n`);
    }
    return {
      rows: result.rows.length,
      outPath: options.outPath,
      statsPath,
      stats: result.stats,
      aboveBlockSize: result.aboveBlockSize,
    };
  } finally {
    progress.stop();
    await counter?.close();
  }
}

function chooseChatTemplate(options: TrainingFileOptions): ChatTemplate {
  if (options.chatTemplatePath && options.tokenizerConfigPath) {
    throw new ConfigError("give either --chat-template or --tokenizer-config, not both", {
      key: "--chat-template",
    });
  }
  const path = options.chatTemplatePath ?? options.tokenizerConfigPath;
  if (!path) {
    throw new ConfigError("the training text needs the model's chat template", {
      key: "--chat-template",
      fix: "pass --tokenizer-config path/to/tokenizer_config.json or --chat-template template.jinja",
    });
  }
  return loadChatTemplateFile(path);
}

/** `out/m1k.jsonl` -> `out/m1k.token-stats.json`. */
export function tokenStatsPath(outPath: string): string {
  return join(dirname(outPath), `${basename(outPath, extname(outPath))}.token-stats.json`);
}
