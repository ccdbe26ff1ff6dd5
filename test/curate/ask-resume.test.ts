import { existsSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { mapMedqaRows } from "../../src/curate/collect/medqa.js";
import { readRows } from "../../src/io/rows.js";
import { startFakeChatServer, type FakeChatServer } from "../fixtures/fake-chat-server.js";
import { startM1 } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const HUATUO = new URL("../../data/huatuo-demo/demo_data.json", import.meta.url).pathname;
const tempDir = useTempDir();
let server: FakeChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** User messages of the answers committed to the cache file so far. */
function cachedUserMessages(cachePath: string): string[] {
  if (!existsSync(cachePath)) return [];
  const database = new Database(cachePath, { readonly: true, fileMustExist: true });
  try {
    const rows = database.prepare("SELECT request_json FROM chat_answers").all() as {
      request_json: string;
    }[];
    return rows.map((row) => {
      const body = JSON.parse(row.request_json) as {
        messages: { role: string; content: string }[];
      };
      return body.messages.at(-1)!.content;
    });
  } catch {
    return []; // the table may not exist yet
  } finally {
    database.close();
  }
}

function runAsk(args: string[]): { exited: Promise<number | null>; kill: () => void } {
  const cli = startM1(["curate", "ask", ...args]);
  return {
    exited: cli.done.then(({ code, stderr }) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      return code;
    }),
    kill: () => cli.child.kill("SIGKILL"),
  };
}

describe("a killed `m1 curate ask` run", () => {
  it("pays for no finished row twice when rerun, and completes the output", async () => {
    const dir = tempDir();
    const input = path(dir, "rows.jsonl");
    const output = path(dir, "answers.jsonl");
    const cachePath = path(dir, "cache.sqlite");
    const rows = mapMedqaRows((await readRows(HUATUO)).slice(0, 16), HUATUO, 42);
    writeFileSync(input, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
    server = await startFakeChatServer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return { content: "\\boxed{A}", reasoningContent: "thinking" };
    });
    const args = ["--in", input, "--out", output, "--preset", "distill", "--model", "r1"];
    const common = [
      ...args,
      "--base-url",
      server.baseUrl,
      "--cache",
      cachePath,
      "--concurrency",
      "2",
      "--quiet",
    ];

    const first = runAsk(common);
    let finished: string[] = [];
    for (let waited = 0; finished.length < 4 && waited < 60_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      finished = cachedUserMessages(cachePath);
    }
    first.kill();
    expect(await first.exited).toBeNull(); // killed, not finished
    finished = cachedUserMessages(cachePath); // everything committed before the kill
    expect(finished.length).toBeGreaterThanOrEqual(4);
    expect(finished.length).toBeLessThan(16);
    expect(existsSync(output)).toBe(false);
    const requestsBeforeRerun = server.requests.length;

    const second = runAsk(common);
    expect(await second.exited).toBe(0);
    for (const message of finished) expect(server.countFor(message)).toBe(1);
    // Only the unfinished rows were asked again (plus at most the two in flight at the kill).
    expect(server.requests.length - requestsBeforeRerun).toBe(16 - finished.length);
    const answered = await readRows(output);
    expect(answered).toHaveLength(16);
    expect(
      answered.every(
        (row) => row.distilled_answer_string === "\\boxed{A}" && row.reasoning === "thinking",
      ),
    ).toBe(true);
  }, 120_000);
});
