import { readdirSync, statSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { createRepo, HubApiError, listFiles, uploadFiles } from "@huggingface/hub";
import { ConfigError, InputError } from "../../errors.js";
import {
  checkRepoId,
  describeHubFailure,
  repoDesignation,
  withHubRetries,
  type HubConnection,
} from "./connection.js";
import { hashFile } from "./download.js";

export interface PushFile {
  /** Path inside the repo (forward slashes). */
  path: string;
  localPath: string;
}

export interface PushRequest {
  /** `owner/name`. */
  repo: string;
  repoType?: "dataset" | "model";
  connection: HubConnection;
  /** Create the repo private (an existing repo keeps its visibility). */
  private?: boolean;
  files: readonly PushFile[];
  /** Commit title (m1's notebooks: "Upload dataset"). */
  title: string;
  /** Files per commit: a failed push resumes after the last finished commit (default 100). */
  filesPerCommit?: number;
  onProgress?: (committedFiles: number, totalFiles: number) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  repo: string;
  /** https://.../datasets/owner/name */
  url: string;
  created: boolean;
  /** Files uploaded now. */
  uploaded: string[];
  /** Files the repo already held with the same content (skipped). */
  unchanged: string[];
  commits: number;
}

/** The token a push needs, or the one-line error that says how to give it. */
export function requireHubToken(connection: HubConnection): string {
  if (!connection.token) {
    throw new ConfigError("is not set; pushing to the hub needs a token with write access", {
      key: "HF_TOKEN",
      fix: "export HF_TOKEN=hf_... (a write token from huggingface.co/settings/tokens)",
    });
  }
  return connection.token;
}

/**
 * Push files to a hub repo through `@huggingface/hub`, as m1's notebooks did with `push_to_hub` and
 * its docs with `huggingface-cli upload-large-folder`: create the repo if needed (private on
 * request), skip files whose content the repo already holds (their git blob id or LFS sha256
 * matches), and commit the rest in batches, so a push that failed midway resumes where it stopped
 * and pushing the same files twice commits nothing. The library decides what goes through LFS.
 */
export async function pushFiles(request: PushRequest): Promise<PushResult> {
  const repo = checkRepoId(request.repo, "--repo");
  const repoType = request.repoType ?? "dataset";
  const accessToken = requireHubToken(request.connection);
  const hubUrl = request.connection.endpoint;
  const designation = repoDesignation(repo, repoType);
  const context = { repo, writing: true };
  const url = `${hubUrl}/${repoType === "dataset" ? "datasets/" : ""}${repo}`;

  let created = false;
  try {
    await createRepo({
      repo: designation,
      accessToken,
      hubUrl,
      ...(request.private ? { visibility: "private" as const } : {}),
    });
    created = true;
  } catch (error) {
    if (!(error instanceof HubApiError && error.statusCode === 409)) {
      throw describeHubFailure(error, `cannot create ${repo}`, context).error;
    }
  }

  const remote = new Map<string, { gitSha1?: string; sha256?: string }>();
  if (!created) {
    try {
      for await (const entry of listFiles({ repo: designation, recursive: true, accessToken, hubUrl })) {
        if (entry.type === "file") {
          remote.set(entry.path, entry.lfs ? { sha256: entry.lfs.oid } : { gitSha1: entry.oid });
        }
      }
    } catch (error) {
      throw describeHubFailure(error, `cannot list ${repo}`, context).error;
    }
  }
  const uploaded: string[] = [];
  const unchanged: string[] = [];
  const pending: PushFile[] = [];
  for (const file of request.files) {
    const known = remote.get(file.path);
    if (known) {
      const hashes = await hashFile(file.localPath);
      if (known.sha256 === hashes.sha256 || known.gitSha1 === hashes.gitSha1) {
        unchanged.push(file.path);
        continue;
      }
    }
    pending.push(file);
  }

  const batch = request.filesPerCommit ?? 100;
  let commits = 0;
  request.onProgress?.(0, pending.length);
  for (let start = 0; start < pending.length; start += batch) {
    const files = pending.slice(start, start + batch);
    const title =
      pending.length > batch
        ? `${request.title} (${Math.floor(start / batch) + 1}/${Math.ceil(pending.length / batch)})`
        : request.title;
    await withHubRetries(
      () =>
        uploadFiles({
          repo: designation,
          accessToken,
          hubUrl,
          files: files.map((file) => ({ path: file.path, content: pathToFileURL(file.localPath) })),
          commitTitle: title,
          abortSignal: request.signal,
        }),
      `cannot push to ${repo}`,
      { ...context, signal: request.signal },
      { attempts: 3, delayMs: 500 },
    );
    commits++;
    uploaded.push(...files.map((file) => file.path));
    request.onProgress?.(uploaded.length, pending.length);
  }
  return { repo, url, created, uploaded, unchanged, commits };
}

/**
 * Names never pushed from a results tree: partial and temporary files, SQLite's side files, and the
 * manifest `m1 data fetch` keeps beside what it fetched.
 */
const SKIPPED_NAMES = /(\.part|\.tmp-\d+|-wal|-shm|-journal|^\.m1-fetch\.json)$/;

/**
 * Every file under `folder` with its repo path (`pathInRepo/relative/path`), symlinks and the
 * transient files above left out, in a stable order.
 */
export function folderFiles(folder: string, pathInRepo = ""): PushFile[] {
  let stat;
  try {
    stat = statSync(folder);
  } catch {
    throw new InputError("no such file or directory", { file: folder }, "check the path");
  }
  const prefix = pathInRepo.replace(/^\/+|\/+$/g, "");
  const files: PushFile[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && !SKIPPED_NAMES.test(entry.name)) {
        const inside = relative(folder, full).split(sep).join("/");
        files.push({ path: prefix ? `${prefix}/${inside}` : inside, localPath: full });
      }
    }
  };
  if (stat.isDirectory()) walk(folder);
  else files.push({ path: prefix || basename(folder), localPath: folder });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
