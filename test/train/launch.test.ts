import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchRun, type LaunchOptions } from "../../src/train/launch.js";
import { prepareRun } from "../../src/train/prepare.js";
import { FAKE_BIN, huatuoRows, readJsonl, temporaryFolder, writeJsonl } from "./support.js";

interface Recorded {
  tool: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  signal?: string;
}

let base: { path: string; remove: () => void };
let oneNode: string;
let twoNodes: string;
let recordFile: string;

beforeAll(async () => {
  base = temporaryFolder("m1-launch-");
  const data = writeJsonl(join(base.path, "m1k.jsonl"), huatuoRows(2));
  oneNode = join(base.path, "m1-7b");
  twoNodes = join(base.path, "m1-32b");
  await prepareRun({
    dataPath: data,
    model: "Qwen/Qwen2.5-7B-Instruct",
    runDir: oneNode,
    settings: [],
  });
  await prepareRun({
    dataPath: data,
    model: "Qwen/Qwen2.5-32B-Instruct",
    runDir: twoNodes,
    settings: [{ origin: { kind: "flag", flag: "--nodes" }, values: { nodes: 2 } }],
  });
  recordFile = join(base.path, "calls.jsonl");
});
afterAll(() => base.remove());
beforeEach(() => rmSync(recordFile, { force: true }));

function recorded(): Recorded[] {
  return existsSync(recordFile) ? readJsonl<Recorded>(recordFile) : [];
}

/** Launch with the fake tools first on PATH; returns the result and what was printed. */
async function launch(
  options: Partial<LaunchOptions> & { runDir: string },
  fakeEnv: Record<string, string> = {},
) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += String(chunk)));
  stderr.on("data", (chunk) => (err += String(chunk)));
  const result = await launchRun({
    baseEnvironment: {
      ...process.env,
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      M1_FAKE_RECORD: recordFile,
      ...fakeEnv,
    },
    stdout,
    stderr,
    ...options,
  });
  return { result, out, err };
}

describe("m1 train launch", () => {
  it("runs accelerate launch with the run's configs on one node and streams the output to the terminal and the log", async () => {
    const { result, out, err } = await launch({
      runDir: oneNode,
      environment: { NCCL_DEBUG: "WARN" },
    });
    expect(result.exitCode).toBe(0);
    const [call] = recorded();
    expect(call).toMatchObject({
      tool: "accelerate",
      argv: ["launch", "--config_file", "accelerate.yaml", "train.py", "--config", "sft.yaml"],
      cwd: oneNode,
    });
    expect(call!.env).toMatchObject({ PYTHONUNBUFFERED: "1", NCCL_DEBUG: "WARN" });
    expect(out).toContain("fake accelerate: training started");
    expect(err).toContain("fake accelerate: a warning on stderr");
    const log = readFileSync(result.logPath!, "utf8");
    expect(log).toContain(
      "# accelerate launch --config_file accelerate.yaml train.py --config sft.yaml",
    );
    expect(log).toContain("fake accelerate: training started");
    expect(log).toContain("fake accelerate: a warning on stderr");
    expect(log).toContain("# exit code 0");
  });

  it("returns the training process's exit code", async () => {
    const { result } = await launch({ runDir: oneNode }, { M1_FAKE_EXIT_CODE: "7" });
    expect(result.exitCode).toBe(7);
    expect(readFileSync(join(oneNode, "logs", "launches.jsonl"), "utf8")).toContain(
      '"exit_code":7',
    );
  });

  it("starts node 1 of 2 with the machine rank and the head node's address and port", async () => {
    const { result } = await launch({
      runDir: twoNodes,
      nodeRank: 1,
      headAddress: "10.0.0.1",
      headPort: 29600,
    });
    expect(result.exitCode).toBe(0);
    expect(recorded()[0]!.argv).toEqual([
      "launch",
      "--config_file",
      "accelerate.yaml",
      "--machine_rank",
      "1",
      "--main_process_ip",
      "10.0.0.1",
      "--main_process_port",
      "29600",
      "train.py",
      "--config",
      "sft.yaml",
    ]);
    expect(result.logPath).toMatch(/logs\/train-node1-.*\.log$/);
  });

  it("launches through torchrun with c10d rendezvous and the Trainer's FSDP options (m1's way)", async () => {
    await launch({ runDir: twoNodes, launcher: "torchrun", nodeRank: 0, headAddress: "head-node" });
    expect(recorded()[0]).toMatchObject({
      tool: "torchrun",
      argv: [
        "--nnodes",
        "2",
        "--nproc_per_node",
        "8",
        "--rdzv_backend",
        "c10d",
        "--rdzv_endpoint",
        "head-node:29500",
        "--rdzv_id",
        "m1-32b",
        "train.py",
        "--config",
        "sft.yaml",
        "--fsdp",
        "full_shard auto_wrap",
        "--fsdp_config",
        "fsdp_config.json",
      ],
    });
  });

  it("asks for the node rank and head address of a multi-node run, and for the prepared node count", async () => {
    await expect(launch({ runDir: twoNodes })).rejects.toThrow(
      /--node-rank: a 2-node run needs this node's rank and the head node's address/,
    );
    await expect(launch({ runDir: oneNode, nodes: 2 })).rejects.toThrow(
      /--nodes: the run was prepared for 1 node\(s\), not 2 .*\(fix: prepare it again with --nodes 2\)/,
    );
    expect(recorded()).toEqual([]);
  });

  it("submits to Slurm: writes the sbatch script, prints the job id, and the job runs every node with the head from SLURM_JOB_NODELIST", async () => {
    const { result, out } = await launch(
      {
        runDir: twoNodes,
        slurm: { partition: "gpu", account: "med", time: "3-00:00:00", extraArgs: ["--exclusive"] },
      },
      { M1_FAKE_SBATCH_RUN: "1", M1_FAKE_JOB_ID: "777" },
    );
    expect(result).toMatchObject({ exitCode: 0, jobId: "777" });
    expect(out).toContain("submitted Slurm job 777");
    const script = readFileSync(join(twoNodes, "slurm.sbatch"), "utf8");
    for (const line of [
      "#SBATCH --nodes=2",
      "#SBATCH --ntasks-per-node=1",
      "#SBATCH --gpus-per-node=8",
      "#SBATCH --partition=gpu",
      "#SBATCH --account=med",
      "#SBATCH --time=3-00:00:00",
      "#SBATCH --exclusive",
      `#SBATCH --output=${twoNodes}/logs/slurm-%j.out`,
    ]) {
      expect(script).toContain(line);
    }
    const calls = recorded();
    expect(calls.map((call) => call.tool)).toEqual([
      "sbatch",
      "scontrol",
      "srun",
      "accelerate",
      "accelerate",
    ]);
    expect(calls[0]!.argv).toEqual(["--parsable", "slurm.sbatch"]);
    const nodes = calls.filter((call) => call.tool === "accelerate");
    nodes.forEach((call, rank) => {
      expect(call.argv).toEqual([
        "launch",
        "--config_file",
        "accelerate.yaml",
        "--machine_rank",
        String(rank),
        "--main_process_ip",
        "node-0",
        "--main_process_port",
        "29500",
        "train.py",
        "--config",
        "sft.yaml",
      ]);
      expect(call.cwd).toBe(twoNodes);
    });
  });

  it("prints the exact commands and environment with --dry-run and runs nothing", async () => {
    rmSync(join(oneNode, "slurm.sbatch"), { force: true });
    const here = await launch({ runDir: oneNode, dryRun: true });
    expect(here.out).toBe(
      [
        "# dry run: nothing was started; this is what would run",
        `cd ${oneNode}`,
        "export PYTHONUNBUFFERED=1",
        "accelerate launch --config_file accelerate.yaml train.py --config sft.yaml",
        "",
      ].join("\n"),
    );
    const slurm = await launch({ runDir: oneNode, dryRun: true, slurm: { partition: "gpu" } });
    expect(slurm.out).toContain("#SBATCH --partition=gpu");
    expect(slurm.out).toContain("sbatch --parsable slurm.sbatch");
    expect(recorded()).toEqual([]);
    expect(existsSync(join(oneNode, "slurm.sbatch"))).toBe(false);
  });

  it("passes Ctrl-C on to the training process group and returns its exit code", async () => {
    const abort = new AbortController();
    const stdout = new PassThrough();
    stdout.on("data", (chunk) => {
      if (String(chunk).includes("waiting")) abort.abort();
    });
    const result = await launchRun({
      runDir: oneNode,
      baseEnvironment: {
        ...process.env,
        PATH: `${FAKE_BIN}:${process.env.PATH}`,
        M1_FAKE_RECORD: recordFile,
        M1_FAKE_WAIT_FOR_SIGNAL: "1",
      },
      signal: abort.signal,
      stdout,
      stderr: new PassThrough(),
    });
    expect(result.exitCode).toBe(130);
    expect(recorded().at(-1)).toMatchObject({ tool: "accelerate", signal: "SIGINT" });
  });

  it("says when the launcher is not installed", async () => {
    await expect(
      launchRun({
        runDir: oneNode,
        baseEnvironment: { PATH: "/nonexistent" },
        stdout: new PassThrough(),
        stderr: new PassThrough(),
      }),
    ).rejects.toThrow(
      /accelerate is not on PATH \(fix: install the training stack, see `m1 train doctor`\)/,
    );
    expect(readdirSync(join(oneNode, "logs")).length).toBeGreaterThan(0);
  });
});
