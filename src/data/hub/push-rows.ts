import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { readRows, writeRows, type Row } from "../../io/rows.js";
import { pushFiles, type PushResult } from "./push.js";
import type { HubConnection } from "./connection.js";

/** Where `datasets.Dataset.push_to_hub` puts a one-split dataset, and so where m1's rows live. */
export const DATASET_SHARD_PATH = "data/train-00000-of-00001.parquet";

export interface PushRowsRequest {
  repo: string;
  connection: HubConnection;
  private?: boolean;
  /** The rows file (.jsonl, .json or .parquet) being pushed, named in the dataset card. */
  file: string;
  /** The rows, when already in memory (read from `file` otherwise). */
  rows?: readonly Row[];
  /** What produced them, for the card and the commit title, e.g. `m1 curate select`. */
  producedBy: string;
  signal?: AbortSignal;
}

/**
 * Push a table of rows as a hub dataset in the layout `push_to_hub` writes (m1's notebooks pushed
 * every curation stage that way: mmqm/m196k, -dedup, -dedup-decon, ...): one Parquet shard under
 * `data/` and a README whose YAML header declares the train split, so
 * `datasets.load_dataset("owner/name")`, m1's own scripts and `m1 data fetch hf:owner/name` read it.
 */
export async function pushRowsToHub(request: PushRowsRequest): Promise<PushResult> {
  const rows = request.rows ?? (await readRows(request.file));
  const folder = mkdtempSync(join(tmpdir(), "m1-push-"));
  try {
    const shard = join(folder, "train.parquet");
    writeRows(shard, rows);
    const card = join(folder, "README.md");
    writeFileSync(card, datasetCard(request, rows));
    return await pushFiles({
      repo: request.repo,
      connection: request.connection,
      private: request.private,
      title: `${request.producedBy}: ${rows.length} rows from ${basename(request.file)}`,
      files: [
        { path: DATASET_SHARD_PATH, localPath: shard },
        { path: "README.md", localPath: card },
      ],
      signal: request.signal,
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function datasetCard(request: PushRowsRequest, rows: readonly Row[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return [
    "---",
    "configs:",
    "- config_name: default",
    "  data_files:",
    "  - split: train",
    "    path: data/train-*",
    "---",
    "",
    `# ${request.repo}`,
    "",
    `${rows.length} rows, written by m1 from \`${basename(request.file)}\`.`,
    "",
    `Columns: ${columns.map((column) => `\`${column}\``).join(", ")}.`,
    "",
  ].join("\n");
}
