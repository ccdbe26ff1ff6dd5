import { m1CacheDir } from "../../paths.js";
import { downloadHubFile, type HubFileResult } from "./download.js";

/** m1's eval file on the hub (docs/ENV.md of UCSC-VLAA/m1) and the md5 its config checks. */
export const M1_EVAL_DATA = {
  repo: "UCSC-VLAA/m1_eval_data",
  repoType: "dataset",
  file: "m1_eval_data.json",
  revision: "main",
  md5: "fe50ce67a958cfa9bc958a51b2502e57",
} as const;

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

export interface FetchM1EvalOptions {
  revision?: string;
  /** Replaces the m1 cache directory (the file lands under `{cacheDir}/hub/...`). */
  cacheDir?: string;
  force?: boolean;
  /** Expected md5; m1's published sum by default. */
  md5?: string;
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  signal?: AbortSignal;
  /** Environment to read HF_ENDPOINT and HF_TOKEN from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

/** Fetch (or find cached) `m1_eval_data.json`, verified against its md5. */
export async function fetchM1EvalData(options: FetchM1EvalOptions = {}): Promise<HubFileResult> {
  const env = options.env ?? process.env;
  return downloadHubFile({
    ...M1_EVAL_DATA,
    revision: options.revision ?? M1_EVAL_DATA.revision,
    endpoint: env.HF_ENDPOINT || DEFAULT_HUB_ENDPOINT,
    token: env.HF_TOKEN || undefined,
    cacheDir: options.cacheDir ?? m1CacheDir(),
    expectedMd5: options.md5 ?? M1_EVAL_DATA.md5,
    force: options.force,
    onProgress: options.onProgress,
    signal: options.signal,
  });
}
