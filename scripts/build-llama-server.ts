/**
 * Builds llama.cpp's `llama-server` from the source node-llama-cpp ships
 * (`node_modules/node-llama-cpp/llama/gitRelease.bundle`), so the tests can talk to a real
 * llama.cpp server of the very version the embedded engine runs. CPU only, Release, no SSL, no
 * web UI download, only the `llama-server` target.
 *
 *   tsx scripts/build-llama-server.ts          # build when missing (npm test's pretest runs this)
 *   tsx scripts/build-llama-server.ts --path   # print where the binary is (or would be)
 *
 * The binary lands in `<m1 cache>/llama-server/<release tag>/llama-server`, once per llama.cpp
 * version: a present binary built from the same commit is kept and nothing is printed. The build
 * runs in a temporary folder and the binary is moved into place by one rename, so a failed or
 * killed build leaves no half binary; a second process arriving meanwhile waits for the first one
 * (m1's process lock, taken over when its holder is gone). Missing tools (git, cmake,
 * ninja, g++) are installed from Debian packages when we are root with apt-get; otherwise the
 * script says what to install and the real-server tests skip (they fail under CI=true).
 *
 * Environment: M1_LLAMA_SERVER_PATH (use this binary, build nothing), M1_SKIP_LLAMA_SERVER_BUILD=1
 * (build nothing), M1_CACHE_DIR (the cache, see src/paths.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
  writeFileSync,
  createWriteStream,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tryLock } from "../src/io/process-lock.js";
import { m1CacheDir } from "../src/paths.js";

/** Where node-llama-cpp keeps the llama.cpp source it was built from, and which release it is. */
export interface LlamaCppSource {
  bundle: string;
  /** The release tag node-llama-cpp names its llama.cpp by (binariesGithubRelease.json, e.g. `v0.4.0`). */
  tag: string;
  /** The commit the bundle holds. */
  commit: string;
}

export interface LlamaServerBuildInfo {
  tag: string;
  commit: string;
  cmakeOptions: string[];
  seconds: number;
  builtAt: string;
}

const BINARY_NAME = "llama-server";

/** CPU only and offline: no SSL, no web UI (its prebuilt assets would be downloaded), no tests. */
export const CMAKE_OPTIONS = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DBUILD_SHARED_LIBS=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DLLAMA_BUILD_SERVER=ON",
  "-DLLAMA_OPENSSL=OFF",
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_BUILD_UI=OFF",
  "-DLLAMA_USE_PREBUILT_UI=OFF",
  "-DGGML_CCACHE=OFF",
];

export function llamaCppSource(): LlamaCppSource {
  const llamaDir = join(nodeLlamaCppRoot(), "llama");
  const bundle = join(llamaDir, "gitRelease.bundle");
  if (!existsSync(bundle)) {
    throw new Error(`${bundle} is missing: this node-llama-cpp ships no llama.cpp source`);
  }
  return { bundle, tag: releaseTag(llamaDir), commit: bundleCommit(bundle) };
}

/** The package folder (its `exports` hide package.json from resolution, so walk up from the entry). */
function nodeLlamaCppRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readFileOr(manifest, "").includes('"name": "node-llama-cpp"')) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the node-llama-cpp package folder");
    dir = parent;
  }
}

function releaseTag(llamaDir: string): string {
  const candidates: [string, string][] = [
    ["binariesGithubRelease.json", "release"],
    ["llama.cpp.info.json", "tag"],
  ];
  for (const [file, key] of candidates) {
    const path = join(llamaDir, file);
    if (!existsSync(path)) continue;
    const value = (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>)[key];
    if (typeof value === "string" && /^[\w.-]+$/.test(value)) return value;
  }
  throw new Error(`cannot tell which llama.cpp release ${llamaDir} holds`);
}

/** A git bundle starts with a text header: `# v2 git bundle`, then `<sha> <ref>` lines. */
function bundleCommit(bundle: string): string {
  const buffer = Buffer.alloc(4096);
  const fd = openSync(bundle, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  const match = /^([0-9a-f]{40}) /m.exec(buffer.toString("latin1"));
  if (!match) throw new Error(`${bundle} is not a git bundle`);
  return match[1]!;
}

/** The folder of one llama.cpp release's build in the m1 cache. */
export function llamaServerInstallDir(tag: string = llamaCppSource().tag): string {
  return join(m1CacheDir(), "llama-server", tag);
}

/** The llama-server binary the tests use: M1_LLAMA_SERVER_PATH, else the cached build. */
export function llamaServerBinaryPath(): string {
  return process.env.M1_LLAMA_SERVER_PATH || join(llamaServerInstallDir(), BINARY_NAME);
}

function readBuildInfo(installDir: string): LlamaServerBuildInfo | undefined {
  try {
    return JSON.parse(
      readFileSync(join(installDir, "build-info.json"), "utf8"),
    ) as LlamaServerBuildInfo;
  } catch {
    return undefined;
  }
}

/** True when the cached binary exists and was built from this source. */
function isBuilt(source: LlamaCppSource, installDir: string): boolean {
  return (
    existsSync(join(installDir, BINARY_NAME)) && readBuildInfo(installDir)?.commit === source.commit
  );
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface Toolchain {
  generator: "Ninja" | "Unix Makefiles";
}

/** Find git, cmake, a C++ compiler and ninja (or make); install what is missing when root with apt. */
function ensureToolchain(log: (line: string) => void): Toolchain | { missing: string[] } {
  const compiler = hasCommand("c++") || hasCommand("g++");
  const wanted: [boolean, string][] = [
    [hasCommand("git"), "git"],
    [hasCommand("cmake"), "cmake"],
    [compiler, "g++"],
    [hasCommand("ninja") || hasCommand("make"), "ninja-build"],
  ];
  const missing = wanted.filter(([present]) => !present).map(([, pkg]) => pkg);
  if (missing.length > 0) {
    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    if (!isRoot || !hasCommand("apt-get")) return { missing };
    log(`installing ${missing.join(", ")} from Debian packages (apt-get)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
      stdio: "inherit",
      env,
    });
  }
  return { generator: hasCommand("ninja") ? "Ninja" : "Unix Makefiles" };
}

/** Run a command, its output appended to the log; progress lines (`[12/330]`) go to `onLine`. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; logFile: string; onLine?: (line: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const logStream = createWriteStream(options.logFile, { flags: "a" });
    logStream.write(`$ ${command} ${args.join(" ")}\n`);
    const child = spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    const onData = (data: Buffer) => {
      logStream.write(data);
      if (!options.onLine) return;
      pending += data.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) options.onLine(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => {
      logStream.end();
      reject(error);
    });
    child.on("close", (code, signal) => {
      logStream.end(() => {
        if (code === 0) resolve();
        else reject(new Error(`${command} ${args[0] ?? ""} failed (${signal ?? `exit ${code}`})`));
      });
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Take the build lock (m1's process lock: a holder that died mid-build does not keep it) or wait
 * for its holder. Resolves to a release function, or to undefined when another process built the
 * binary while we waited.
 */
async function takeLock(
  lockPath: string,
  done: () => boolean,
  log: (line: string) => void,
): Promise<(() => void) | undefined> {
  let announced = false;
  for (;;) {
    if (done()) return undefined;
    const attempt = tryLock(lockPath);
    if ("held" in attempt) return () => attempt.held.release();
    if (!announced) {
      log(
        `waiting for another process (pid ${attempt.holder.pid}) that is building llama-server...`,
      );
      announced = true;
    }
    await sleep(2000);
  }
}

function readFileOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.round(seconds)} s`;
}

export type EnsureResult =
  | { status: "present" | "built"; path: string; seconds?: number }
  | { status: "unavailable"; reason: string };

/** Build llama-server into the m1 cache unless it is there; see the file comment. */
export async function ensureLlamaServer(
  options: { log?: (line: string) => void } = {},
): Promise<EnsureResult> {
  const log = options.log ?? ((line: string) => console.error(`m1 tests: ${line}`));
  if (process.env.M1_LLAMA_SERVER_PATH) {
    return { status: "present", path: process.env.M1_LLAMA_SERVER_PATH };
  }
  const source = llamaCppSource();
  const installDir = llamaServerInstallDir(source.tag);
  const binary = join(installDir, BINARY_NAME);
  if (isBuilt(source, installDir)) return { status: "present", path: binary };
  if (process.env.M1_SKIP_LLAMA_SERVER_BUILD === "1") {
    return { status: "unavailable", reason: "M1_SKIP_LLAMA_SERVER_BUILD=1" };
  }

  const toolchain = ensureToolchain(log);
  if ("missing" in toolchain) {
    return {
      status: "unavailable",
      reason: `${toolchain.missing.join(", ")} missing (install them, e.g. sudo apt-get install ${toolchain.missing.join(" ")})`,
    };
  }

  mkdirSync(dirname(installDir), { recursive: true });
  const release = await takeLock(
    `${installDir}.build-lock`,
    () => isBuilt(source, installDir),
    log,
  );
  if (!release) return { status: "present", path: binary };
  const workDir = mkdtempSync(join(tmpdir(), "m1-llama-server-build-"));
  const logFile = join(workDir, "build.log");
  const started = performance.now();
  try {
    const jobs = Math.max(1, availableParallelism());
    log(
      `building llama-server ${source.tag} (llama.cpp ${source.commit.slice(0, 8)}) from node-llama-cpp's source ` +
        `into ${installDir}: once per llama.cpp version, about 6 minutes on 2 cores (${jobs} jobs)...`,
    );
    const sourceDir = join(workDir, "llama.cpp");
    const buildDir = join(workDir, "build");
    await run(
      "git",
      ["-c", "advice.detachedHead=false", "clone", "--quiet", source.bundle, sourceDir],
      { cwd: workDir, logFile },
    );
    await run(
      "cmake",
      ["-S", sourceDir, "-B", buildDir, "-G", toolchain.generator, ...CMAKE_OPTIONS],
      { cwd: workDir, logFile },
    );
    let lastReport = performance.now();
    await run(
      "cmake",
      ["--build", buildDir, "--target", BINARY_NAME, "--config", "Release", "-j", String(jobs)],
      {
        cwd: workDir,
        logFile,
        onLine: (line) => {
          const step = /^\[\s*(\d+)\s*\/\s*(\d+)\]/.exec(line) ?? /^\[\s*(\d+)%\]/.exec(line);
          if (!step || performance.now() - lastReport < 30_000) return;
          lastReport = performance.now();
          const done = step[2] ? `${step[1]}/${step[2]} steps` : `${step[1]}%`;
          log(`  llama-server build: ${done}, ${formatDuration((lastReport - started) / 1000)}`);
        },
      },
    );
    const built = join(buildDir, "bin", BINARY_NAME);
    if (!existsSync(built)) throw new Error(`the build produced no ${built}`);
    const seconds = (performance.now() - started) / 1000;
    mkdirSync(installDir, { recursive: true });
    const info: LlamaServerBuildInfo = {
      tag: source.tag,
      commit: source.commit,
      cmakeOptions: CMAKE_OPTIONS,
      seconds: Math.round(seconds),
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(installDir, "build-info.json"), `${JSON.stringify(info, null, 2)}\n`);
    // Copy next to the target, then rename: the binary appears whole or not at all.
    const partial = join(installDir, `.${BINARY_NAME}.${process.pid}.partial`);
    copyFileSync(built, partial);
    renameSync(partial, binary);
    log(`built llama-server in ${formatDuration(seconds)}: ${binary}`);
    return { status: "built", path: binary, seconds };
  } catch (error) {
    const kept = join(dirname(installDir), `build-failed-${source.tag}.log`);
    if (existsSync(logFile)) copyFileSync(logFile, kept);
    const tail = readFileOr(logFile, "").trimEnd().split("\n").slice(-25).join("\n");
    throw new Error(
      `building llama-server failed: ${(error as Error).message}\n${tail}\n(full log: ${kept})`,
      { cause: error },
    );
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    release();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--path")) {
    process.stdout.write(`${llamaServerBinaryPath()}\n`);
    return;
  }
  const result = await ensureLlamaServer();
  if (result.status === "unavailable") {
    console.error(
      `m1 tests: llama-server is not built (${result.reason}); the real llama.cpp server tests ` +
        "will be skipped (and fail under CI=true).",
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(`m1 tests: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
