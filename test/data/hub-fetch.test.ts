import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { catalogEntry, M1_EVAL_DATA, resolveHubDatasets } from "../../src/data/hub/catalog.js";
import { HubDownloadError } from "../../src/data/hub/connection.js";
import { hubCachePath } from "../../src/data/hub/download.js";
import { fetchHubDataset, type FetchDatasetOptions } from "../../src/data/hub/fetch.js";
import { md5Hex } from "../../src/eval/datasets/index.js";
import { FAKE_HUB_TOKEN, startFakeHub, stopFakeHubs, type FakeHub } from "../fixtures/fake-hub.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-datasets-");
afterEach(stopFakeHubs);

const EVAL_BODY = Buffer.from(
  JSON.stringify({ medqa: [{ question: "Q?", options: { A: "x", B: "y" }, answer: "x", answer_idx: "A" }] }).repeat(
    200,
  ),
);
const EVAL_MD5 = md5Hex(EVAL_BODY);
const m1Eval = catalogEntry("m1-eval")!;

async function evalHub(): Promise<FakeHub> {
  const hub = await startFakeHub();
  hub.addFile(M1_EVAL_DATA.repo, M1_EVAL_DATA.file, EVAL_BODY);
  return hub;
}

function options(hub: FakeHub, extra: Partial<FetchDatasetOptions> = {}): FetchDatasetOptions {
  return { connection: { endpoint: hub.endpoint }, cacheDir: tempDir(), ...extra };
}

describe("m1-eval through @huggingface/hub", () => {
  test("downloads into the hub cache, checks the md5, then reuses the copy without a request", async () => {
    const hub = await evalHub();
    const settings = options(hub, { md5: EVAL_MD5 });
    const first = await fetchHubDataset(m1Eval, settings);
    const path = join(settings.cacheDir, "hub", "datasets", "UCSC-VLAA", "m1_eval_data", "main", "m1_eval_data.json");
    expect(first.files).toEqual([
      { file: "m1_eval_data.json", path, downloaded: true, bytes: EVAL_BODY.length, md5: EVAL_MD5 },
    ]);
    expect(readFileSync(path).equals(EVAL_BODY)).toBe(true);
    const asked = hub.requests.length;
    const second = await fetchHubDataset(m1Eval, settings);
    expect(second).toMatchObject({ offline: true, files: [{ path, downloaded: false }] });
    expect(hub.requests).toHaveLength(asked);
  });

  test("expects m1's published md5 by default and sends HF_TOKEN as a bearer token", async () => {
    const hub = await evalHub();
    const error = await fetchHubDataset(m1Eval, {
      ...options(hub),
      connection: { endpoint: hub.endpoint, token: "hf_test" },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubDownloadError);
    expect((error as Error).message).toContain(`md5 ${EVAL_MD5}, expected ${M1_EVAL_DATA.md5}; nothing was kept`);
    expect(hub.requests[0]!.headers.authorization).toBe("Bearer hf_test");
  });

  test("leaves nothing behind after a download with the wrong md5", async () => {
    const hub = await evalHub();
    const settings = options(hub, { md5: "0".repeat(32) });
    await expect(fetchHubDataset(m1Eval, settings)).rejects.toThrow(/has md5 [0-9a-f]{32}, expected 0{32}; nothing was kept/);
    const target = hubCachePath({ ...M1_EVAL_DATA, cacheDir: settings.cacheDir, revision: "main" });
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.part`)).toBe(false);
  });

  test("reports an unknown revision as an input error in the hub's words, with the fix", async () => {
    const hub = await evalHub();
    const settings = options(hub, { revision: "v9", md5: EVAL_MD5 });
    const error = await fetchHubDataset(m1Eval, settings).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^cannot download m1_eval_data\.json from UCSC-VLAA\/m1_eval_data: the hub answered 404 \(Invalid rev id: v9\) \(fix: check the repo name UCSC-VLAA\/m1_eval_data, --revision \(v9\)/);
    expect(existsSync(join(settings.cacheDir, "hub"))).toBe(false);
  });

  test("reports a hub that is down after retrying, leaving nothing behind", async () => {
    const hub = await evalHub();
    await hub.close();
    const settings = options(hub, { md5: EVAL_MD5 });
    await expect(fetchHubDataset(m1Eval, settings)).rejects.toThrow(
      /cannot download m1_eval_data\.json from UCSC-VLAA\/m1_eval_data: ECONNREFUSED \(fix: check the network and HF_ENDPOINT/,
    );
    expect(existsSync(hubCachePath({ ...M1_EVAL_DATA, cacheDir: settings.cacheDir, revision: "main" }))).toBe(false);
  });

  test("resumes a partial download from where it stopped (a Range request)", async () => {
    const hub = await evalHub();
    const settings = options(hub, { md5: EVAL_MD5 });
    const target = hubCachePath({ ...M1_EVAL_DATA, cacheDir: settings.cacheDir, revision: "main" });
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.part`, EVAL_BODY.subarray(0, 5000));
    const { files } = await fetchHubDataset(m1Eval, settings);
    expect(readFileSync(files[0]!.path).equals(EVAL_BODY)).toBe(true);
    expect(hub.requests.at(-1)!.headers.range).toBe(`bytes=5000-${EVAL_BODY.length - 1}`);
  });

  test("retries a connection cut mid-file, resuming from what arrived", async () => {
    const hub = await evalHub();
    hub.fault({ path: /resolve/, cutAfterBytes: 1000, skipProbes: true });
    const progress: number[] = [];
    const { files } = await fetchHubDataset(m1Eval, {
      ...options(hub, { md5: EVAL_MD5 }),
      onProgress: ({ receivedBytes }) => progress.push(receivedBytes),
    });
    expect(readFileSync(files[0]!.path).equals(EVAL_BODY)).toBe(true);
    expect(hub.requests.at(-1)!.headers.range).toBe(`bytes=1000-${EVAL_BODY.length - 1}`);
    expect(progress.at(-1)).toBe(EVAL_BODY.length);
  });

  test("downloads again with force, and when the cached copy is damaged", async () => {
    const hub = await evalHub();
    const settings = options(hub, { md5: EVAL_MD5 });
    const { path } = (await fetchHubDataset(m1Eval, settings)).files[0]!;
    expect((await fetchHubDataset(m1Eval, { ...settings, force: true })).files[0]!.downloaded).toBe(true);
    writeFileSync(path, "corrupted");
    const repaired = await fetchHubDataset(m1Eval, settings);
    expect(repaired.files[0]!.downloaded).toBe(true);
    expect(readFileSync(path).equals(EVAL_BODY)).toBe(true);
  });
});

describe("repo snapshots (m1-results, training sets, references)", () => {
  const RESULTS = "UCSC-VLAA/m1-results";
  const tree = (root: string) => ({
    [`${root}/m1-7B-23K/version_0/metrics.json`]: '{"MedQA_USLME_test": {}}',
    [`${root}/m1-7B-23K/version_0/config.yaml`]: "max_new_tokens: 4096\n",
    [`${root}/m1-7B-23K/version_0/m1_eval_data.json`]: "[]".padEnd(3000, " "),
  });

  async function resultsHub(): Promise<FakeHub> {
    const hub = await startFakeHub({ pageSize: 2 });
    for (const root of ["seed_42-temperature-0.0/250318-eval-medical_llm", "seed_42-temperature-0.0/250319-ablation-thinking_budget"]) {
      for (const [path, content] of Object.entries(tree(root))) hub.addFile(RESULTS, path, content);
    }
    hub.addFile(RESULTS, "README.md", "# m1 results\n");
    return hub;
  }

  test("fetches the files an --include folder pattern selects, across paged listings, offline the second time", async () => {
    const hub = await resultsHub();
    const settings = options(hub, { include: ["seed_42-temperature-0.0/250318-eval-medical_llm/"] });
    const result = await fetchHubDataset(catalogEntry("m1-results")!, settings);
    expect(result.files.map((file) => file.file).sort()).toEqual(Object.keys(tree("seed_42-temperature-0.0/250318-eval-medical_llm")).sort());
    expect(result.directory).toBe(join(settings.cacheDir, "hub", "datasets", "UCSC-VLAA", "m1-results", "main"));
    for (const file of result.files) {
      expect(readFileSync(file.path).equals(hub.files(RESULTS)!.get(file.file)!.content)).toBe(true);
    }
    expect(hub.requests.filter((request) => request.url.includes("/tree/")).length).toBeGreaterThan(2);
    const asked = hub.requests.length;
    expect((await fetchHubDataset(catalogEntry("m1-results")!, settings)).offline).toBe(true);
    expect(hub.requests).toHaveLength(asked);
  });

  test("checks every file against the hub's listed hash and keeps none that differs", async () => {
    const hub = await resultsHub();
    hub.fault({ path: /resolve\/main\/README\.md$/, corrupt: true, times: 10 });
    const settings = options(hub, { include: ["README.md", "*/config.yaml"], localDir: join(tempDir(), "outputs") });
    const error = await fetchHubDataset(catalogEntry("m1-results")!, settings).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubDownloadError);
    expect((error as Error).message).toMatch(/^downloaded README\.md has git blob id [0-9a-f]{40}, expected [0-9a-f]{40}; nothing was kept/);
    expect(existsSync(join(settings.localDir!, "README.md"))).toBe(false);
  });

  test("reads references from the Parquet conversion branch, LFS files through the CDN, gated ones with HF_TOKEN", async () => {
    const hub = await startFakeHub();
    const parquet = Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64, 7), Buffer.from("PAR1")]);
    hub.addFile("Idavidrein/gpqa", "gpqa_diamond/train/0000.parquet", parquet, { revision: "refs/convert/parquet", private: true });
    hub.addFile("Idavidrein/gpqa", "gpqa_main/train/0000.parquet", parquet, { revision: "refs/convert/parquet", private: true });
    const [gpqa] = resolveHubDatasets("gpqa-diamond");
    const denied = await fetchHubDataset(gpqa!, options(hub)).catch((caught: unknown) => caught);
    expect(denied).toBeInstanceOf(InputError);
    expect((denied as Error).message).toMatch(/^HF_TOKEN: cannot list Idavidrein\/gpqa at 'refs\/convert\/parquet': the hub answered 401 .*\(fix: set HF_TOKEN to a token that can read Idavidrein\/gpqa/);
    const result = await fetchHubDataset(gpqa!, { ...options(hub), connection: { endpoint: hub.endpoint, token: FAKE_HUB_TOKEN } });
    expect(result.files.map((file) => file.file)).toEqual(["gpqa_diamond/train/0000.parquet"]);
    expect(readFileSync(result.files[0]!.path).equals(parquet)).toBe(true);
    expect(result.directory).toMatch(/hub\/datasets\/Idavidrein\/gpqa\/refs%2Fconvert%2Fparquet$/);
    expect(hub.requests.some((request) => request.url.startsWith("/cdn/"))).toBe(true);
    expect(hub.requests.some((request) => request.url.includes("/tree/refs%2Fconvert%2Fparquet"))).toBe(true);
  });

  test("names m1's references, any hub dataset as hf:owner/name@rev, and suggests a near name", () => {
    expect(resolveHubDatasets("m1-references").map((dataset) => [dataset.name, dataset.repo, dataset.field])).toEqual([
      ["gpqa-diamond", "Idavidrein/gpqa", "Question"],
      ["medmcqa-validation", "openlifescienceai/medmcqa", "question"],
      ["medqa-test", "GBaker/MedQA-USMLE-4-options", "question"],
      ["pubmedqa-test", "mmqm/pubmedqa_custom_test", "prompt"],
      ["mmlu-medical", "cais/mmlu", "question"],
      ["mmlu-pro", "TIGER-Lab/MMLU-Pro", "question"],
    ]);
    expect(resolveHubDatasets("mmlu-medical")[0]!.include).toEqual([
      "clinical_knowledge/test/*.parquet",
      "college_biology/test/*.parquet",
      "college_medicine/test/*.parquet",
      "medical_genetics/test/*.parquet",
      "professional_medicine/test/*.parquet",
    ]);
    expect(resolveHubDatasets("hf:mmqm/m196k-dedup-decon@v1")[0]).toMatchObject({ repo: "mmqm/m196k-dedup-decon", revision: "v1" });
    expect(() => resolveHubDatasets("m1k-tokenized")).toThrow(/unknown dataset 'm1k-tokenized'/);
    expect(() => resolveHubDatasets("m23")).toThrow(/did you mean 'm23k'/);
    expect(() => resolveHubDatasets("hf:nope")).toThrow(/'nope' is not a hub repo name/);
  });
});
