import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  downloadFile,
  fileDownloadInfo,
  HubApiError,
  type FileDownloadInfoOutput,
} from "@huggingface/hub";
import { InputError, M1Error } from "../../errors.js";
import {
  HubDownloadError,
  withHubRetries,
  repoDesignation,
  type HubConnection,
} from "./connection.js";

export { HubDownloadError } from "./connection.js";

/** Hashes a finished file must have; any given is checked. */
export interface ExpectedHashes {
  md5?: string;
  /** The LFS oid (sha256 of the content). */
  sha256?: string;
  /** The git blob id (`sha1("blob {size}\0" + content)`), what the hub lists for small files. */
  gitSha1?: string;
}

export interface HubFileRequest {
  /** `owner/name`. */
  repo: string;
  repoType: "dataset" | "model";
  /** Branch, tag or commit (`refs/convert/parquet` included). */
  revision: string;
  /** Path of the file inside the repo. */
  file: string;
  connection: HubConnection;
  /** Where the file goes (see `hubCachePath`). */
  target: string;
  expected?: ExpectedHashes;
  /** Download again even when a valid copy is there. */
  force?: boolean;
  /** Attempts for network errors and 5xx/429 answers; each resumes from what arrived (default 3). */
  attempts?: number;
  /** Give up on an attempt when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  signal?: AbortSignal;
}

export interface HubFileResult {
  path: string;
  /** False when a valid copy was already there. */
  downloaded: boolean;
  bytes: number;
  md5: string;
}

/** `{cacheDir}/hub/{datasets|models}/{owner}/{name}/{revision}/{file}` (revision URL-encoded). */
export function hubCachePath(
  request: Pick<HubFileRequest, "repoType" | "repo" | "revision" | "file"> & { cacheDir: string },
): string {
  return join(hubRepoCacheDir(request), ...request.file.split("/"));
}

/** The folder a repo revision is cached in. */
export function hubRepoCacheDir(
  request: Pick<HubFileRequest, "repoType" | "repo" | "revision"> & { cacheDir: string },
): string {
  return join(
    request.cacheDir,
    "hub",
    `${request.repoType}s`,
    ...request.repo.split("/"),
    encodeURIComponent(request.revision),
  );
}

/**
 * Download one hub file through `@huggingface/hub` (its `fileDownloadInfo` resolves the file and
 * its CDN location, its `downloadFile` blob reads byte ranges): reuse a valid copy without a
 * request, resume a partial download (`<target>.part`, read from where it stopped), retry network
 * errors and 5xx/429, check every known hash, and only then move the file into place, so the
 * target never holds a file that failed its check.
 */
export async function downloadHubFile(request: HubFileRequest): Promise<HubFileResult> {
  const { target } = request;
  const partial = `${target}.part`;
  if (!request.force && existsSync(target)) {
    const hashes = await hashFile(target);
    if (hashMismatch(hashes, request.expected) === null) {
      return { path: target, downloaded: false, bytes: statSync(target).size, md5: hashes.md5 };
    }
  }
  if (request.force) rmSync(partial, { force: true });
  const what = `cannot download ${request.file} from ${request.repo}`;
  const attempts = request.attempts ?? 3;
  let resolved: FileDownloadInfoOutput | undefined;
  const info = await withHubRetries(
    async () => {
      resolved ??= await resolveFile(request);
      await fetchRemainder(request, resolved, partial);
      return resolved;
    },
    what,
    request,
    { attempts, delayMs: 250 },
  );
  const expected = { ...hashesFromEtag(info.etag), ...request.expected };
  const hashes = await hashFile(partial);
  const mismatch = hashMismatch(hashes, expected);
  if (mismatch !== null) {
    rmSync(partial, { force: true });
    throw new HubDownloadError(
      `downloaded ${request.file} has ${mismatch}; nothing was kept`,
      "try again; if it persists, the file on the hub changed (check --revision, or pass its sum with --md5)",
    );
  }
  rmSync(target, { force: true });
  renameSync(partial, target);
  return { path: target, downloaded: true, bytes: statSync(target).size, md5: hashes.md5 };
}

async function resolveFile(request: HubFileRequest): Promise<FileDownloadInfoOutput> {
  const info = await fileDownloadInfo({
    repo: repoDesignation(request.repo, request.repoType),
    path: request.file,
    revision: request.revision,
    hubUrl: request.connection.endpoint,
    accessToken: request.connection.token,
    fetch: abortable(request.signal),
  });
  if (!info) {
    throw new InputError(
      `no ${request.file} at revision '${request.revision}' of ${request.repo}`,
      { field: "--revision" },
      "check --revision (default main) and HF_ENDPOINT",
    );
  }
  return info;
}

/** Append what is missing to the partial file, reading the blob from the partial file's size on. */
async function fetchRemainder(
  request: HubFileRequest,
  info: FileDownloadInfoOutput,
  partial: string,
): Promise<void> {
  let start = existsSync(partial) ? statSync(partial).size : 0;
  if (start > info.size) {
    rmSync(partial, { force: true }); // not a prefix of this file: start over
    start = 0;
  }
  request.onProgress?.(start, info.size);
  if (start === info.size) return;
  const idle = new AbortController();
  const idleMs = request.idleTimeoutMs ?? 60_000;
  let idleTimer = setTimeout(() => idle.abort(), idleMs);
  // The library reports a broken stream as a bare message; keep the real failure to describe it.
  let failure: unknown;
  const watched: typeof fetch = async (input, init) => {
    try {
      const response = await abortable(request.signal, idle.signal)(input, init);
      // The library reads the body for its own error; the status is what we need.
      if (!response.ok) failure = new HubApiError(response.url, response.status, undefined, `HTTP ${response.status}`);
      return response;
    } catch (error) {
      failure = error;
      throw error;
    }
  };
  const blob = await downloadFile({
    repo: repoDesignation(request.repo, request.repoType),
    path: request.file,
    revision: request.revision,
    hubUrl: request.connection.endpoint,
    accessToken: request.connection.token,
    downloadInfo: info,
    fetch: watched,
  });
  if (!blob) throw new M1Error(`${request.file} vanished from ${request.repo}`);
  mkdirSync(dirname(partial), { recursive: true });
  const handle = await open(partial, start > 0 ? "a" : "w");
  let received = start;
  try {
    for await (const chunk of blob.slice(start).stream() as unknown as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      received += chunk.byteLength;
      request.onProgress?.(received, info.size);
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(), idleMs);
    }
  } catch (error) {
    throw failure ?? (idle.signal.aborted ? new Error(`no data for ${idleMs} ms`) : error);
  } finally {
    clearTimeout(idleTimer);
    await handle.close();
  }
  if (received !== info.size) {
    throw failure ?? new Error(`the transfer ended after ${received} of ${info.size} bytes`);
  }
}

/** A fetch that gives up when any of the signals aborts. */
function abortable(...signals: (AbortSignal | undefined)[]): typeof fetch {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 0) return fetch;
  return (input, init) => {
    const all = init?.signal ? [...present, init.signal] : present;
    return fetch(input, { ...init, signal: AbortSignal.any(all) });
  };
}

/** The hub's ETag is the git blob id (40 hex) or, for LFS files, the sha256 (64 hex). */
function hashesFromEtag(etag: string): ExpectedHashes {
  const value = etag.replace(/^W\//, "").replaceAll('"', "").toLowerCase();
  if (/^[0-9a-f]{64}$/.test(value)) return { sha256: value };
  if (/^[0-9a-f]{40}$/.test(value)) return { gitSha1: value };
  return {};
}

interface FileHashes {
  md5: string;
  sha256: string;
  gitSha1: string;
}

/** md5, sha256 and the git blob id of a file in one streamed pass. */
export async function hashFile(path: string): Promise<FileHashes> {
  const md5 = createHash("md5");
  const sha256 = createHash("sha256");
  const git = createHash("sha1").update(`blob ${statSync(path).size}\0`);
  for await (const chunk of createReadStream(path)) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
    git.update(chunk as Buffer);
  }
  return { md5: md5.digest("hex"), sha256: sha256.digest("hex"), gitSha1: git.digest("hex") };
}

/** md5 of a file, streamed (eval files run to tens of MB). */
export async function md5OfFile(path: string): Promise<string> {
  return (await hashFile(path)).md5;
}

/** The first hash that differs, described; null when every expected hash matches. */
function hashMismatch(actual: FileHashes, expected: ExpectedHashes | undefined): string | null {
  for (const kind of ["md5", "sha256", "gitSha1"] as const) {
    const want = expected?.[kind]?.toLowerCase();
    if (want && actual[kind] !== want) {
      const name = kind === "gitSha1" ? "git blob id" : kind;
      return `${name} ${actual[kind]}, expected ${want}`;
    }
  }
  return null;
}
