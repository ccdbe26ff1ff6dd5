import { spawn } from "node:child_process";
import { appendFileSync, createWriteStream, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { constants as osConstants } from "node:os";
import { ConfigError, M1Error } from "../errors.js";
import { writeFileAtomically } from "../io/atomic.js";
import {
  LAUNCH_ENVIRONMENT,
  renderSlurmScript,
  singleNodePlacement,
  trainCommand,
  type Launcher,
  type NodePlacement,
  type SlurmOptions,
} from "./launch-commands.js";
import { RUN_FILES } from "./run-files.js";
import { readRunManifest, type RunManifest } from "./run-manifest.js";
import { shellCommand, shellQuote } from "./shell-words.js";

export interface LaunchOptions {
  runDir: string;
  launcher?: Launcher;
  /** Several nodes without Slurm: this node's rank and the rank-0 node's address. */
  nodes?: number;
  nodeRank?: number;
  headAddress?: string;
  headPort?: number;
  /** Submit with sbatch instead of running here. */
  slurm?: SlurmOptions;
  dryRun?: boolean;
  /** Extra environment for the training processes. */
  environment?: Record<string, string>;
  /** The environment the child starts from (default: this process's). */
  baseEnvironment?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Where the child's output and our notes go (default: this process's stdout/stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface LaunchResult {
  /** The child's exit code (128 + signal number when a signal ended it); 0 for dry runs. */
  exitCode: number;
  /** The Slurm job id, when submitted. */
  jobId?: string;
  logPath?: string;
}

/**
 * `m1 train launch`: run the prepared training here (one node, or one node of several), or submit
 * it to Slurm. The child's output streams to the terminal and to RUN_DIR/logs; Ctrl-C is passed
 * on to it; the exit code is the child's.
 */
export async function launchRun(options: LaunchOptions): Promise<LaunchResult> {
  const runDir = resolve(options.runDir);
  const manifest = readRunManifest(runDir);
  const launcher = options.launcher ?? "accelerate";
  const nodes = options.nodes ?? manifest.settings.nodes;
  if (nodes !== manifest.settings.nodes) {
    throw new ConfigError(
      `the run was prepared for ${manifest.settings.nodes} node(s), not ${nodes} (gradient accumulation and process counts depend on it)`,
      { key: "--nodes", fix: `prepare it again with --nodes ${nodes}` },
    );
  }
  const out = options.stdout ?? process.stdout;
  const environment = { ...LAUNCH_ENVIRONMENT, ...options.environment };
  if (options.slurm) return submitToSlurm(runDir, manifest, launcher, options, environment, out);

  const placement = placementFor(manifest, options);
  const command = trainCommand(launcher, manifest.settings, placement);
  if (options.dryRun) {
    out.write(
      [
        "# dry run: nothing was started; this is what would run",
        ...shellLines(runDir, environment, command),
        "",
      ].join("\n"),
    );
    return { exitCode: 0 };
  }
  const logPath = join(runDir, RUN_FILES.logs, logFileName(placement));
  mkdirSync(join(runDir, RUN_FILES.logs), { recursive: true });
  const exitCode = await runStreaming(command, {
    cwd: runDir,
    env: { ...(options.baseEnvironment ?? process.env), ...environment },
    logPath,
    signal: options.signal,
    stdout: out,
    stderr: options.stderr ?? process.stderr,
    header: [`# ${new Date().toISOString()} cd ${runDir}`, `# ${shellCommand(command)}`],
  });
  recordLaunch(runDir, {
    mode: launcher,
    command,
    node_rank: placement.nodeRank,
    exit_code: exitCode,
  });
  return { exitCode, logPath };
}

function placementFor(manifest: RunManifest, options: LaunchOptions): NodePlacement {
  const { settings } = manifest;
  if (settings.nodes === 1) {
    const placement = singleNodePlacement(settings, manifest.run_name);
    if (options.headPort) placement.headPort = String(options.headPort);
    return placement;
  }
  if (options.nodeRank === undefined || options.headAddress === undefined) {
    throw new ConfigError(
      `a ${settings.nodes}-node run needs this node's rank and the head node's address`,
      {
        key: "--node-rank",
        fix: `run on every node with --node-rank 0..${settings.nodes - 1} --head-address <rank-0 host>, or use --slurm`,
      },
    );
  }
  if (options.nodeRank >= settings.nodes) {
    throw new ConfigError(
      `--node-rank ${options.nodeRank} is not below --nodes ${settings.nodes}`,
      {
        key: "--node-rank",
        fix: `use 0..${settings.nodes - 1}`,
      },
    );
  }
  return {
    nodes: settings.nodes,
    nodeRank: String(options.nodeRank),
    headAddress: options.headAddress,
    headPort: String(options.headPort ?? settings.main_process_port),
    rendezvousId: manifest.run_name,
  };
}

function logFileName(placement: NodePlacement): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return placement.nodes > 1
    ? `train-node${placement.nodeRank}-${stamp}.log`
    : `train-${stamp}.log`;
}

async function submitToSlurm(
  runDir: string,
  manifest: RunManifest,
  launcher: Launcher,
  options: LaunchOptions,
  environment: Record<string, string>,
  out: NodeJS.WritableStream,
): Promise<LaunchResult> {
  if (options.nodeRank !== undefined || options.headAddress !== undefined) {
    throw new ConfigError("Slurm assigns node ranks and the head node", {
      key: "--node-rank",
      fix: "drop --node-rank and --head-address when using --slurm",
    });
  }
  const script = renderSlurmScript({
    settings: manifest.settings,
    runName: manifest.run_name,
    runDir,
    launcher,
    slurm: options.slurm!,
    headPort: options.headPort ?? manifest.settings.main_process_port,
  });
  const scriptPath = join(runDir, RUN_FILES.slurmScript);
  const command = ["sbatch", "--parsable", RUN_FILES.slurmScript];
  if (options.dryRun) {
    out.write(
      [
        `# dry run: nothing was submitted; ${scriptPath} would be:`,
        script.trimEnd(),
        "# submitted with:",
        ...shellLines(runDir, environment, command),
        "",
      ].join("\n"),
    );
    return { exitCode: 0 };
  }
  mkdirSync(join(runDir, RUN_FILES.logs), { recursive: true });
  writeFileAtomically(scriptPath, script, { mode: 0o755 });
  const submitted = await runCaptured(command, {
    cwd: runDir,
    env: { ...(options.baseEnvironment ?? process.env), ...environment },
    signal: options.signal,
  });
  if (submitted.exitCode !== 0) {
    throw new M1Error(
      `sbatch failed (exit ${submitted.exitCode}): ${submitted.stderr.trim() || submitted.stdout.trim()}`,
    );
  }
  // --parsable prints "jobid" or "jobid;cluster".
  const jobId = submitted.stdout.trim().split(";")[0]!;
  recordLaunch(runDir, { mode: "slurm", command, job_id: jobId, exit_code: 0 });
  const logPath = join(runDir, RUN_FILES.logs, `slurm-${jobId}.out`);
  out.write(`submitted Slurm job ${jobId}\nlogs: ${logPath}\n`);
  return { exitCode: 0, jobId, logPath };
}

/** One line per launch in RUN_DIR/logs/launches.jsonl: what ran, when, and how it ended. */
function recordLaunch(runDir: string, entry: Record<string, unknown>): void {
  appendFileSync(
    join(runDir, RUN_FILES.logs, "launches.jsonl"),
    `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`,
  );
}

interface StreamingOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
  signal?: AbortSignal;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  header: string[];
}

/**
 * Run `command` in its own process group, copying its output to our stdout/stderr and to the log
 * file. An abort (Ctrl-C) sends SIGINT to the whole group, so accelerate or torchrun can stop
 * their workers; if m1 itself is forced to exit, the group gets SIGTERM.
 */
function runStreaming(command: readonly string[], options: StreamingOptions): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(options.logPath, { flags: "a" });
    log.write(`${options.header.join("\n")}\n`);
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const onAbort = () => {
      options.stderr.write(`m1: passing the interrupt on to ${command[0]}\n`);
      signalGroup("SIGINT");
    };
    const onExit = () => signalGroup("SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    process.on("exit", onExit);
    const cleanUp = () => {
      options.signal?.removeEventListener("abort", onAbort);
      process.off("exit", onExit);
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      options.stdout.write(chunk);
      log.write(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      options.stderr.write(chunk);
      log.write(chunk);
    });
    // A child that cannot start emits "error" and then "close"; settle once.
    let settled = false;
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      cleanUp();
      log.end();
      reject(
        error.code === "ENOENT"
          ? new M1Error(
              `${command[0]} is not on PATH (fix: install the training stack, see \`m1 train doctor\`)`,
            )
          : error,
      );
    });
    child.on("close", (code, signal) => {
      if (settled) return;
      settled = true;
      cleanUp();
      const exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
      log.end(`# exit code ${exitCode}\n`, () => resolvePromise(exitCode));
    });
  });
}

function runCaptured(
  command: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      signal: options.signal,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new M1Error(`${command[0]} is not on PATH (fix: run this on a Slurm login node)`)
          : error,
      ),
    );
    child.on("close", (code) => resolvePromise({ exitCode: code ?? 1, stdout, stderr }));
  });
}

/** The commands a dry run shows: where, with which environment, what runs. */
function shellLines(
  runDir: string,
  environment: Record<string, string>,
  command: string[],
): string[] {
  return [
    `cd ${shellQuote(runDir)}`,
    ...Object.entries(environment).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    shellCommand(command),
  ];
}
