import { cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { runPipeline } from "../../src/curate/pipeline/run-pipeline.js";
import { readRows, writeRows, type Row } from "../../src/io/rows.js";
import { FAKE_HUB_TOKEN, startFakeHub, stopFakeHubs, type FakeHub } from "../fixtures/fake-hub.js";
import { runCli } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { fixture } from "./helpers.js";

const tempDir = useTempDirs("m1-hub-push-");
afterEach(stopFakeHubs);

/** HF_ENDPOINT, HF_TOKEN and the cache pointed at this test's fake hub and folder. */
const saved: Record<string, string | undefined> = {};
const ENV_KEYS = ["HF_ENDPOINT", "HF_TOKEN", "M1_CACHE_DIR"] as const;
beforeAll(() => {
  for (const key of ENV_KEYS) saved[key] = process.env[key];
});
afterAll(() => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});
async function hubWithToken(token: string | null = FAKE_HUB_TOKEN): Promise<FakeHub> {
  const hub = await startFakeHub();
  process.env.HF_ENDPOINT = hub.endpoint;
  if (token) process.env.HF_TOKEN = token;
  else delete process.env.HF_TOKEN;
  process.env.M1_CACHE_DIR = join(tempDir(), "cache");
  return hub;
}

function classifiedRows(count: number): Row[] {
  return Array.from({ length: count }, (_, index) => ({
    source: index % 3 === 0 ? "GBaker/MedQA-USMLE-4-options" : "openlifescienceai/medmcqa",
    prompt: `Question ${index}?\nA. yes\nB. no`,
    answer_letter: "A",
    answer_idx: 0,
    domain_code: String(index % 4).padStart(2, "0"),
    domain_name: "Anatomy",
    is_domain_code_extracted: true,
  }));
}

describe("pushing datasets, both ways through @huggingface/hub", () => {
  test("curate select --push-to-hub writes a datasets-shaped repo that fetch reads back", async () => {
    const hub = await hubWithToken();
    const dir = tempDir();
    const input = join(dir, "m23k.jsonl");
    writeRows(input, classifiedRows(30));
    const out = join(dir, "m1k.jsonl");
    const result = await runCli([
      "curate", "select", "--in", input, "--out", out, "--size", "10", "--push-to-hub", "me/m1k-domain", "--private",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/pushed to http:\/\/127\.0\.0\.1:\d+\/datasets\/me\/m1k-domain \(new repo\): 2 files in 1 commit/);
    expect([...hub.files("me/m1k-domain")!.keys()].sort()).toEqual(["README.md", "data/train-00000-of-00001.parquet"]);
    expect(hub.files("me/m1k-domain")!.get("data/train-00000-of-00001.parquet")!.lfs).toBe(true);
    expect(hub.repo("me/m1k-domain")!.private).toBe(true);
    const card = hub.files("me/m1k-domain")!.get("README.md")!.content.toString();
    expect(card).toContain("  - split: train\n    path: data/train-*");

    const fetched = await runCli(["data", "fetch", "hf:me/m1k-domain", "--quiet"]);
    expect(fetched.code, fetched.stderr).toBe(0);
    const shard = join(fetched.stdout.trim(), "data", "train-00000-of-00001.parquet");
    expect(await readRows(shard)).toEqual(await readRows(out));

    // The same output again: nothing new is committed.
    const again = await runCli(["data", "push", out, "--repo", "me/m1k-domain"]);
    expect(again.stderr).toContain("nothing new (2 files already there)");
    expect(hub.repo("me/m1k-domain")!.commits).toHaveLength(1);
  });

  test("refuses a push without HF_TOKEN before any work, naming the fix", async () => {
    await hubWithToken(null);
    const dir = tempDir();
    const input = join(dir, "m23k.jsonl");
    writeRows(input, classifiedRows(5));
    const out = join(dir, "m1k.jsonl");
    const result = await runCli(["curate", "select", "--in", input, "--out", out, "--push-to-hub", "me/x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HF_TOKEN: is not set; pushing to the hub needs a token with write access \(fix: export HF_TOKEN=hf_/);
    expect(existsSync(out)).toBe(false);
    const badRepo = await runCli(["data", "push", input, "--repo", "not a repo"]);
    expect(badRepo.code).toBe(2);
  });

  test("a private dataset cannot be fetched without the token", async () => {
    const hub = await hubWithToken();
    const dir = tempDir();
    const rows = join(dir, "rows.jsonl");
    writeRows(rows, classifiedRows(3));
    expect((await runCli(["data", "push", rows, "--repo", "me/secret", "--private"])).code).toBe(0);
    delete process.env.HF_TOKEN;
    const denied = await runCli(["data", "fetch", "hf:me/secret"]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/HF_TOKEN: cannot list me\/secret at 'main': the hub answered 401/);
    expect(hub.requests.every((request) => request.url !== "/api/repos/create" || request.headers.authorization)).toBe(true);
  });

  test("m1 report --push uploads result trees as they are laid out, then only what changed", async () => {
    const hub = await hubWithToken();
    const outputs = join(tempDir(), "outputs");
    cpSync(join(import.meta.dirname, "../fixtures/report/m1-outputs"), outputs, { recursive: true });
    writeFileSync(join(outputs, "m1.sqlite-wal"), "transient");
    writeFileSync(join(outputs, ".m1-fetch.json"), "{}"); // what m1 data fetch --local-dir leaves
    const first = await runCli(["report", outputs, "--push", "me/m1-results"]);
    expect(first.code, first.stderr).toBe(0);
    const files = [...hub.files("me/m1-results")!.keys()];
    expect(files).toContain(
      "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0/m1_eval_data.scored.json",
    );
    expect(files).toHaveLength(25);
    expect(files.some((file) => file.endsWith("-wal"))).toBe(false);
    const budget128 = join(outputs, "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0/log.txt");
    writeFileSync(budget128, "Start time: x\nEnd time: y\nScript runtime: 00:05:01\n");
    const second = await runCli(["report", outputs, "--push", "me/m1-results"]);
    expect(second.stderr).toMatch(/: 1 files in 1 commit, 24 unchanged/);
    expect(hub.repo("me/m1-results")!.commits.at(-1)!.files).toEqual([
      "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0/log.txt",
    ]);
  });

  test("a pipeline step with push_to_hub publishes its output, also when it is up to date", async () => {
    const hub = await hubWithToken();
    const dir = tempDir();
    cpSync(fixture("../curate/medqa-rows.jsonl"), join(dir, "medqa.jsonl"));
    const pipeline = join(dir, "pipeline.yaml");
    writeFileSync(
      pipeline,
      [
        "steps:",
        "  - step: collect",
        "    medqa: medqa.jsonl",
        "    out: work/m196k.jsonl",
        "    push_to_hub: me/m196k",
        "  - step: select",
        "    strategy: random",
        "    size: 2",
        "    out: work/random.jsonl",
        "    push_to_hub: me/m196k-random",
        "",
      ].join("\n"),
    );
    const lines: string[] = [];
    await runPipeline(pipeline, { log: (line) => lines.push(line) });
    expect(lines.filter((line) => line.includes("pushed to"))).toHaveLength(2);
    expect(await readRows(join(dir, "work/random.jsonl"))).toHaveLength(2);
    expect(hub.repo("me/m196k-random")!.commits).toHaveLength(1);
    const rerun: string[] = [];
    await runPipeline(pipeline, { log: (line) => rerun.push(line) });
    expect(rerun.filter((line) => line.includes("already up to date"))).toHaveLength(2);
    expect(hub.repo("me/m196k")!.commits).toHaveLength(1);
  });
});
