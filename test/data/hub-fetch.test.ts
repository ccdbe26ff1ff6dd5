import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { HubDownloadError, hubCachePath } from "../../src/data/hub/download.js";
import { fetchM1EvalData, M1_EVAL_DATA } from "../../src/data/hub/m1-eval.js";
import { BODY, BODY_MD5, FILE_PATH, startFakeHub } from "./fake-hub.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-datasets-");
describe("fetchM1EvalData against a fake hub", () => {
  test("downloads into the hub cache through the redirect, verifies the md5, then reuses the cached copy", async () => {
    const hub = await startFakeHub();
    const cacheDir = tempDir();
    const env = { HF_ENDPOINT: hub.endpoint };
    const first = await fetchM1EvalData({ cacheDir, md5: BODY_MD5, env });
    expect(first).toEqual({
      path: join(cacheDir, "hub", "datasets", "UCSC-VLAA", "m1_eval_data", "main", "m1_eval_data.json"),
      downloaded: true,
      bytes: BODY.length,
      md5: BODY_MD5,
    });
    expect(readFileSync(first.path).equals(BODY)).toBe(true);
    const second = await fetchM1EvalData({ cacheDir, md5: BODY_MD5, env });
    expect(second.downloaded).toBe(false);
    expect(hub.requests.map((request) => request.url)).toEqual([FILE_PATH, "/cdn/blob"]);
  });

  test("expects m1's published md5 by default and sends HF_TOKEN as a bearer token", async () => {
    const hub = await startFakeHub();
    const cacheDir = tempDir();
    const error = await fetchM1EvalData({ cacheDir, env: { HF_ENDPOINT: hub.endpoint, HF_TOKEN: "hf_test" } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubDownloadError);
    expect((error as Error).message).toContain(`expected ${M1_EVAL_DATA.md5}; nothing was kept`);
    expect(hub.requests[0]!.headers.authorization).toBe("Bearer hf_test");
  });

  test("leaves nothing in the cache after a download with the wrong md5", async () => {
    const hub = await startFakeHub();
    const cacheDir = tempDir();
    await expect(fetchM1EvalData({ cacheDir, md5: "0".repeat(32), env: { HF_ENDPOINT: hub.endpoint } })).rejects.toThrow(
      /has md5 [0-9a-f]{32}, expected 0{32}; nothing was kept/,
    );
    const target = hubCachePath({ ...M1_EVAL_DATA, cacheDir, revision: "main" });
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.part`)).toBe(false);
  });

  test("reports a 404 as a wrong revision, naming the URL", async () => {
    const hub = await startFakeHub("404");
    const cacheDir = tempDir();
    const error = await fetchM1EvalData({ cacheDir, revision: "v9", md5: BODY_MD5, env: { HF_ENDPOINT: hub.endpoint } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /--revision: http:\/\/127\.0\.0\.1:\d+\/datasets\/UCSC-VLAA\/m1_eval_data\/resolve\/v9\/m1_eval_data\.json answered 404: no m1_eval_data\.json at revision 'v9'/,
    );
    expect(existsSync(join(cacheDir, "hub", "datasets", "UCSC-VLAA", "m1_eval_data", "v9", "m1_eval_data.json"))).toBe(false);
  });

  test("reports a server that is down after retrying, leaving nothing behind", async () => {
    const hub = await startFakeHub();
    await hub.close();
    const cacheDir = tempDir();
    await expect(fetchM1EvalData({ cacheDir, md5: BODY_MD5, env: { HF_ENDPOINT: hub.endpoint } })).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/.*: ECONNREFUSED \(fix: check the network and HF_ENDPOINT/,
    );
    const target = hubCachePath({ ...M1_EVAL_DATA, cacheDir, revision: "main" });
    expect(existsSync(target)).toBe(false);
  });

  test("resumes a partial download with a Range request", async () => {
    const hub = await startFakeHub();
    const cacheDir = tempDir();
    const target = hubCachePath({ ...M1_EVAL_DATA, cacheDir, revision: "main" });
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.part`, BODY.subarray(0, 5000));
    const result = await fetchM1EvalData({ cacheDir, md5: BODY_MD5, env: { HF_ENDPOINT: hub.endpoint } });
    expect(readFileSync(result.path).equals(BODY)).toBe(true);
    expect(hub.requests.at(-1)!.headers.range).toBe("bytes=5000-");
  });

  test("retries a connection cut mid-file, resuming from what arrived", async () => {
    const hub = await startFakeHub("cut-first-response");
    const cacheDir = tempDir();
    const progress: number[] = [];
    const result = await fetchM1EvalData({
      cacheDir,
      md5: BODY_MD5,
      env: { HF_ENDPOINT: hub.endpoint },
      onProgress: (received) => progress.push(received),
    });
    expect(readFileSync(result.path).equals(BODY)).toBe(true);
    expect(hub.requests.filter((request) => request.url === "/cdn/blob").at(-1)!.headers.range).toBe("bytes=1000-");
    expect(progress.at(-1)).toBe(BODY.length);
  });

  test("downloads again with force, and when the cached copy's md5 is wrong", async () => {
    const hub = await startFakeHub();
    const cacheDir = tempDir();
    const env = { HF_ENDPOINT: hub.endpoint };
    const { path } = await fetchM1EvalData({ cacheDir, md5: BODY_MD5, env });
    expect((await fetchM1EvalData({ cacheDir, md5: BODY_MD5, env, force: true })).downloaded).toBe(true);
    writeFileSync(path, "corrupted");
    const repaired = await fetchM1EvalData({ cacheDir, md5: BODY_MD5, env });
    expect(repaired.downloaded).toBe(true);
    expect(readFileSync(path).equals(BODY)).toBe(true);
  });
});
