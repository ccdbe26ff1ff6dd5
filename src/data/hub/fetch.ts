import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { listFiles, type ListFileEntry } from "@huggingface/hub";
import { z } from "zod";
import { InputError } from "../../errors.js";
import { writeFileAtomically } from "../../io/atomic.js";
import type { HubDataset } from "./catalog.js";
import { describeHubFailure, repoDesignation, type HubConnection } from "./connection.js";
import { downloadHubFile, hubRepoCacheDir, type HubFileResult } from "./download.js";
import { matchesAnyPattern } from "./patterns.js";

export interface FetchDatasetOptions {
  connection: HubConnection;
  /** The m1 cache; files land under `{cacheDir}/hub/...` unless `localDir` is given. */
  cacheDir: string;
  /** Put the repo's files here instead (m1's `huggingface-cli download --local-dir`). */
  localDir?: string;
  /** Branch, tag or commit instead of the dataset's own. */
  revision?: string;
  /** fnmatch patterns narrowing the files (`seed_42-temperature-0.0/250318-eval-medical_llm/`). */
  include?: readonly string[];
  /** Download again even when valid copies are there. */
  force?: boolean;
  /** Expected md5 of a single-file dataset (m1-eval: m1's published sum by default). */
  md5?: string;
  onProgress?: (progress: FetchProgress) => void;
  signal?: AbortSignal;
}

export interface FetchProgress {
  file: string;
  /** Bytes of all files so far (cached ones included) and of all files to fetch. */
  receivedBytes: number;
  totalBytes: number;
}

export interface FetchedFile extends HubFileResult {
  /** Path inside the repo. */
  file: string;
}

export interface FetchResult {
  dataset: HubDataset;
  revision: string;
  /** The folder holding the files, laid out as in the repo. */
  directory: string;
  files: FetchedFile[];
  /** True when every file was already there and the listing was not asked for again. */
  offline: boolean;
}

/** What a finished fetch recorded, so the next one needs no network. */
const manifestSchema = z.object({
  repo: z.string(),
  revision: z.string(),
  include: z.array(z.string()).nullable(),
  files: z.array(
    z.object({
      file: z.string(),
      size: z.number(),
      sha256: z.string().optional(),
      gitSha1: z.string().optional(),
      md5: z.string(),
    }),
  ),
});
type FetchManifest = z.infer<typeof manifestSchema>;
const MANIFEST_NAME = ".m1-fetch.json";

interface RemoteFile {
  file: string;
  size: number;
  sha256?: string;
  gitSha1?: string;
  md5?: string;
}

/**
 * Fetch a hub dataset's files (all, or those matching `include`) through `@huggingface/hub`: the
 * tree listing gives each file's size and hashes, every file is downloaded resumably and checked
 * against them (and against m1's md5 where m1 published one), and a manifest beside the files lets
 * the next fetch with the same selection return at once, offline. A dataset of one named file
 * (m1-eval) skips the listing: its resolve answer carries the hash.
 */
export async function fetchHubDataset(
  dataset: HubDataset,
  options: FetchDatasetOptions,
): Promise<FetchResult> {
  const revision = options.revision ?? dataset.revision;
  const include = options.include?.length ? options.include : dataset.include;
  const directory =
    options.localDir ?? hubRepoCacheDir({ ...dataset, revision, cacheDir: options.cacheDir });
  const selection = include ? [...include] : null;
  if (!options.force) {
    const cached = reusableFiles(directory, dataset.repo, revision, selection, options.md5);
    if (cached) return { dataset, revision, directory, files: cached, offline: true };
  }
  const remote = singleFile(include)
    ? [{ file: include![0]!, size: NaN, md5: options.md5 ?? dataset.md5?.[include![0]!] }]
    : await listRemote(dataset, revision, include, options);
  const totalBytes = remote.reduce((sum, file) => sum + (Number.isNaN(file.size) ? 0 : file.size), 0);
  let doneBytes = 0;
  const files: FetchedFile[] = [];
  for (const entry of remote) {
    const result = await downloadHubFile({
      repo: dataset.repo,
      repoType: dataset.repoType,
      revision,
      file: entry.file,
      connection: options.connection,
      target: join(directory, ...entry.file.split("/")),
      expected: { sha256: entry.sha256, gitSha1: entry.gitSha1, md5: entry.md5 },
      force: options.force,
      signal: options.signal,
      onProgress: (received, total) =>
        options.onProgress?.({
          file: entry.file,
          receivedBytes: doneBytes + received,
          totalBytes: totalBytes || (total ?? 0),
        }),
    });
    doneBytes += result.bytes;
    files.push({ ...result, file: entry.file });
  }
  const manifest: FetchManifest = {
    repo: dataset.repo,
    revision,
    include: selection,
    files: files.map((fetched, index) => ({
      file: fetched.file,
      size: fetched.bytes,
      sha256: remote[index]!.sha256,
      gitSha1: remote[index]!.gitSha1,
      md5: fetched.md5,
    })),
  };
  writeFileAtomically(join(directory, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dataset, revision, directory, files, offline: false };
}

function singleFile(include: readonly string[] | undefined): boolean {
  return include?.length === 1 && !/[*?[]/.test(include[0]!) && !include[0]!.endsWith("/");
}

async function listRemote(
  dataset: HubDataset,
  revision: string,
  include: readonly string[] | undefined,
  options: FetchDatasetOptions,
): Promise<RemoteFile[]> {
  const entries: ListFileEntry[] = [];
  try {
    for await (const entry of listFiles({
      repo: repoDesignation(dataset.repo, dataset.repoType),
      // The library puts the revision into the path as given; the hub wants one segment.
      revision: encodeURIComponent(revision),
      recursive: true,
      hubUrl: options.connection.endpoint,
      accessToken: options.connection.token,
    })) {
      entries.push(entry);
    }
  } catch (error) {
    throw describeHubFailure(error, `cannot list ${dataset.repo} at '${revision}'`, {
      repo: dataset.repo,
      revision,
    }).error;
  }
  const files = entries.filter(
    (entry) => entry.type === "file" && matchesAnyPattern(entry.path, include),
  );
  if (files.length === 0) {
    throw new InputError(
      `no file of ${dataset.repo} at '${revision}' matches ${include ? include.join(", ") : "anything"} (${entries.length} entries listed)`,
      { field: "--include" },
      "check the patterns (fnmatch: * also crosses /, a trailing / takes a whole folder)",
    );
  }
  return files.map((entry) => ({
    file: entry.path,
    size: entry.size,
    sha256: entry.lfs?.oid,
    // For an LFS file the listed oid is the pointer's; its sha256 is what identifies the content.
    gitSha1: entry.lfs ? undefined : entry.oid,
    md5: dataset.md5?.[entry.path],
  }));
}

/** The files of an earlier fetch of the same selection, when all are still there, intact in size. */
function reusableFiles(
  directory: string,
  repo: string,
  revision: string,
  include: string[] | null,
  md5: string | undefined,
): FetchedFile[] | undefined {
  const path = join(directory, MANIFEST_NAME);
  if (!existsSync(path)) return undefined;
  let manifest: FetchManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return undefined; // unreadable: fetch again and rewrite it
  }
  if (
    manifest.repo !== repo ||
    manifest.revision !== revision ||
    JSON.stringify(manifest.include) !== JSON.stringify(include)
  ) {
    return undefined;
  }
  const files: FetchedFile[] = [];
  for (const entry of manifest.files) {
    const local = join(directory, ...entry.file.split("/"));
    if (!existsSync(local) || statSync(local).size !== entry.size) return undefined;
    if (md5 !== undefined && entry.md5 !== md5.toLowerCase()) return undefined;
    files.push({ file: entry.file, path: local, downloaded: false, bytes: entry.size, md5: entry.md5 });
  }
  return files;
}
