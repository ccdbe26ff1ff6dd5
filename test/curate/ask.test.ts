import { existsSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  layerAskOptions,
  readAskConfigFile,
  type AskOptions,
} from "../../src/curate/ask/ask-options.js";
import { askRows } from "../../src/curate/ask/ask-rows.js";
import { resolveAskSettings, type AskSettings } from "../../src/curate/ask/ask-settings.js";
import { planAsk } from "../../src/curate/ask/dry-run.js";
import { ResponseCache } from "../../src/curate/ask/response-cache.js";
import { mapMedqaRows } from "../../src/curate/collect/medqa.js";
import { CancelledError, ConfigError, M1Error } from "../../src/errors.js";
import { readRows, type Row } from "../../src/io/rows.js";
import {
  startFakeChatServer,
  type FakeChatReply,
  type FakeChatRequest,
  type FakeChatServer,
} from "../fixtures/fake-chat-server.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const HUATUO = new URL("../../data/huatuo-demo/demo_data.json", import.meta.url).pathname;
const tempDir = useTempDir();
let server: FakeChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** HuatuoGPT-o1 demo questions (MedQA style) with their reasoning texts, as collected rows. */
async function demoRows(
  count: number,
): Promise<{ rows: Row[]; reasoningFor: (prompt: string) => Row }> {
  const demo = (await readRows(HUATUO)).slice(0, count);
  const rows = mapMedqaRows(demo, HUATUO, 42);
  return {
    rows,
    reasoningFor: (userContent) =>
      demo.find((item) => userContent.includes(item.question as string))!,
  };
}

function settingsFor(baseUrl: string, options: AskOptions = {}): AskSettings {
  return resolveAskSettings(
    layerAskOptions(
      {
        preset: "distill",
        model: "deepseek-r1",
        base_url: baseUrl,
        cache: path(tempDir(), "cache.sqlite"),
      },
      { retry_initial_delay_seconds: 0.01, retry_max_delay_seconds: 0.05 },
      options,
    ),
  );
}

async function serve(reply: (request: FakeChatRequest) => FakeChatReply | Promise<FakeChatReply>) {
  server = await startFakeChatServer(reply);
  return server;
}

describe("curate ask against an OpenAI-compatible chat server", () => {
  it("distills with m1's R1 settings and keeps reasoning_content as reasoning", async () => {
    const { rows, reasoningFor } = await demoRows(4);
    const fake = await serve((request) => {
      const item = reasoningFor(request.userContent);
      return { content: item.Response as string, reasoningContent: item.Complex_CoT as string };
    });
    const result = await askRows(rows, "demo.jsonl", settingsFor(fake.baseUrl));
    expect(fake.requests).toHaveLength(4);
    const body = fake.requests[0]!.body;
    expect(body).toMatchObject({ model: "deepseek-r1", temperature: 0, max_tokens: 8000 });
    expect(body.messages).toEqual([
      { role: "user", content: `Return your final response within \\boxed{}. ${rows[0]!.prompt}` },
    ]);
    const demo = (await readRows(HUATUO)).slice(0, 4);
    expect(result.rows[0]).toMatchObject({
      ...rows[0],
      distilled_answer_string: demo[0]!.Response,
      reasoning: demo[0]!.Complex_CoT,
    });
    expect(result.stats).toMatchObject({ answered: 4, cached: 0, failed: 0 });
  });

  it("answers a rerun from the cache and sends nothing", async () => {
    const { rows } = await demoRows(5);
    const fake = await serve(() => ({ content: "\\boxed{A}" }));
    const settings = settingsFor(fake.baseUrl);
    const first = await askRows(rows, "demo.jsonl", settings);
    const second = await askRows(rows, "demo.jsonl", settings);
    expect(fake.requests).toHaveLength(5);
    expect(second.rows).toEqual(first.rows);
    expect(second.stats).toMatchObject({ cached: 5, answered: 0, spentUsd: 0 });
  });

  it("keys the cache by the whole request: another temperature is a new request", async () => {
    const { rows } = await demoRows(2);
    const fake = await serve(() => ({ content: "\\boxed{A}" }));
    await askRows(rows, "demo.jsonl", settingsFor(fake.baseUrl));
    await askRows(rows, "demo.jsonl", settingsFor(fake.baseUrl, { temperature: 0.6 }));
    expect(fake.requests).toHaveLength(4);
  });

  it("retries 429 after Retry-After, 500s, timeouts and malformed bodies", async () => {
    const { rows } = await demoRows(4);
    const [tooMany, broken, slow, garbage] = rows.map(
      (row) => `Return your final response within \\boxed{}. ${row.prompt}`,
    );
    const fake = await serve((request) => {
      const first = request.previousAttempts;
      if (request.userContent === tooMany && first === 0) return { status: 429, retryAfter: "1" };
      if (request.userContent === broken && first < 2) return { status: 500 };
      if (request.userContent === slow && first === 0) return { content: "late", delayMs: 1500 };
      if (request.userContent === garbage && first === 0) return { status: "garbage" };
      return { content: "\\boxed{B}", reasoningContent: "because" };
    });
    const result = await askRows(
      rows,
      "demo.jsonl",
      settingsFor(fake.baseUrl, { timeout_seconds: 0.4 }),
    );
    expect(result.rows.map((row) => row.distilled_answer_string)).toEqual(
      Array(4).fill("\\boxed{B}"),
    );
    expect([tooMany, broken, slow, garbage].map((content) => fake.countFor(content!))).toEqual([
      2, 3, 2, 2,
    ]);
    expect(result.stats.retries).toBe(5);
    const [refused, retried] = fake.requests.filter((request) => request.userContent === tooMany);
    expect(retried!.receivedAtMs - refused!.receivedAtMs).toBeGreaterThanOrEqual(950);
  });

  it("fails after the other rows are answered and cached, and a rerun sends only the failed row", async () => {
    const { rows } = await demoRows(3);
    let serverFixed = false;
    const failing = `Return your final response within \\boxed{}. ${rows[1]!.prompt}`;
    const fake = await serve((request) =>
      request.userContent === failing && !serverFixed
        ? { status: 400, message: "prompt too long" }
        : { content: "\\boxed{C}" },
    );
    const settings = settingsFor(fake.baseUrl);
    const error = await askRows(rows, "demo.jsonl", settings).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(M1Error);
    expect((error as Error).message).toMatch(
      /^1 of 3 requests failed after retries \(first, row 2: .*prompt too long\)/,
    );
    expect(fake.countFor(failing)).toBe(1); // a 400 is not retried
    const cache = ResponseCache.open(settings.cachePath);
    expect(cache.size()).toBe(2);
    cache.close();
    serverFixed = true;
    const rerun = await askRows(rows, "demo.jsonl", settings);
    expect(fake.requests).toHaveLength(4);
    expect(rerun.rows).toHaveLength(3);
    expect(rerun.stats).toMatchObject({ cached: 2, answered: 1 });
  });

  it("leaves rows that still fail out of the output when failures are allowed", async () => {
    const { rows } = await demoRows(3);
    const failing = `Return your final response within \\boxed{}. ${rows[0]!.prompt}`;
    const fake = await serve((request) =>
      request.userContent === failing ? { status: 503 } : { content: "\\boxed{D}" },
    );
    const result = await askRows(
      rows,
      "demo.jsonl",
      settingsFor(fake.baseUrl, { allow_failures: true, max_retries: 2 }),
    );
    expect(fake.countFor(failing)).toBe(3);
    expect(result.rows.map((row) => row.prompt)).toEqual([rows[1]!.prompt, rows[2]!.prompt]);
    expect(result.failures).toEqual([
      { index: 0, error: expect.stringContaining("failed with 503") },
    ]);
  });

  it("says once on stderr that it retries, with the server's reason, and answers every row", async () => {
    const dir = tempDir();
    const input = path(dir, "rows.jsonl");
    const { rows } = await demoRows(3);
    writeFileSync(input, rows.map((row) => JSON.stringify(row)).join("\n"));
    // Every row's first attempt meets an overloaded server.
    const fake = await serve((request) =>
      request.previousAttempts === 0
        ? { status: 503, message: "overloaded" }
        : { content: "\\boxed{D}" },
    );
    const result = await runCli([
      "curate",
      "ask",
      "--in",
      input,
      "--out",
      path(dir, "answers.jsonl"),
      "--preset",
      "difficulty",
      "--model",
      "qwen-7b",
      "--base-url",
      fake.baseUrl,
      "--cache",
      path(dir, "c.sqlite"),
      "-q",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const notices = result.stderr.split("\n").filter((line) => line.includes("retrying"));
    expect(notices).toEqual([
      expect.stringMatching(
        /^m1: warning: retrying in \d+(\.\d)? s: POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions failed with 503: overloaded$/,
      ),
    ]);
    expect(fake.requests).toHaveLength(6);
    expect(await readRows(path(dir, "answers.jsonl"))).toHaveLength(3);
  });

  it("accounts tokens from usage and money from the price table", async () => {
    const { rows } = await demoRows(3);
    const fake = await serve(() => ({
      content: "\\boxed{A}",
      usage: { prompt_tokens: 1000, completion_tokens: 2000 },
    }));
    const settings = settingsFor(fake.baseUrl, {
      prices: { "deepseek-r1": { input_per_million: 0.55, output_per_million: 2.19 } },
    });
    const result = await askRows(rows, "demo.jsonl", settings);
    expect(result.stats.promptTokens).toBe(3000);
    expect(result.stats.completionTokens).toBe(6000);
    expect(result.stats.spentUsd).toBeCloseTo(3 * (0.00055 + 0.00438), 10);
    const again = await askRows(rows, "demo.jsonl", settings);
    expect(again.stats.spentUsd).toBe(0);
  });

  it("keeps no more requests in flight than the concurrency bound", async () => {
    const { rows } = await demoRows(8);
    let active = 0;
    let peak = 0;
    const fake = await serve(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 40));
      active--;
      return { content: "\\boxed{A}" };
    });
    await askRows(rows, "demo.jsonl", settingsFor(fake.baseUrl, { concurrency: 2 }));
    expect(fake.requests).toHaveLength(8);
    expect(peak).toBe(2);
  });

  it("respects the RPM limit in every window the server sees", async () => {
    const { rows } = await demoRows(14);
    const fake = await serve(() => ({ content: "\\boxed{A}" }));
    // 600 RPM = 10 requests/s; a 0.2 s burst holds 2.
    await askRows(rows, "demo.jsonl", settingsFor(fake.baseUrl, { rpm: 600, burst_seconds: 0.2 }));
    const times = fake.requests.map((request) => request.receivedAtMs);
    const windowMs = 500;
    for (const end of times) {
      const inWindow = times.filter((time) => time > end - windowMs && time <= end).length;
      expect(inWindow).toBeLessThanOrEqual(2 + 10 * (windowMs / 1000));
    }
    // 12 requests beyond the burst at 10/s cannot arrive in less than 1.2 s.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1100);
  });
});

describe("curate ask: keys and cancellation", () => {
  it("sends the API key as a bearer token, read from the variable the config names", async () => {
    const { rows } = await demoRows(1);
    const fake = await serve(() => ({ content: "\\boxed{A}" }));
    process.env.M1_TEST_CHAT_KEY = "sk-test-123";
    try {
      await askRows(
        rows,
        "demo.jsonl",
        settingsFor(fake.baseUrl, { api_key_env: "M1_TEST_CHAT_KEY" }),
      );
    } finally {
      delete process.env.M1_TEST_CHAT_KEY;
    }
    expect(fake.requests[0]!.authorization).toBe("Bearer sk-test-123");
    expect(() => settingsFor(fake.baseUrl, { api_key_env: "M1_TEST_CHAT_KEY" })).toThrow(
      "api_key_env: the environment variable M1_TEST_CHAT_KEY is not set",
    );
  });

  it("stops on cancel with what is answered kept in the cache", async () => {
    const { rows } = await demoRows(6);
    const controller = new AbortController();
    const fake = await serve(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { content: "\\boxed{A}" };
    });
    const settings = settingsFor(fake.baseUrl, { concurrency: 1 });
    let answered = 0;
    const error = await askRows(rows, "demo.jsonl", settings, {
      signal: controller.signal,
      onOutcome: () => {
        if (++answered === 2) controller.abort();
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe(
      "interrupted: 2 of 6 requests are answered and cached; rerun the same command to continue",
    );
    const rerun = await askRows(rows, "demo.jsonl", settings);
    expect(rerun.stats).toMatchObject({ cached: 2, answered: 4 });
  });
});

describe("curate ask --dry-run", () => {
  it("sends nothing, creates no cache and counts requests, tokens and cost", async () => {
    const { rows } = await demoRows(6);
    const fake = await serve(() => ({ content: "\\boxed{A}" }));
    const settings = settingsFor(fake.baseUrl, {
      prices: { "deepseek-r1": { input_per_million: 1, output_per_million: 2 } },
    });
    const plan = planAsk(rows, "demo.jsonl", settings);
    expect(fake.requests).toHaveLength(0);
    expect(existsSync(settings.cachePath)).toBe(false);
    expect(plan).toMatchObject({ rows: 6, cached: 0, requests: 6, maxOutputTokens: 48_000 });
    expect(plan.inputTokens).toBeGreaterThan(6 * 30);
    expect(plan.maxOutputCostUsd).toBeCloseTo(0.096, 10);
    await askRows(rows.slice(0, 2), "demo.jsonl", settings);
    expect(planAsk(rows, "demo.jsonl", settings)).toMatchObject({ cached: 2, requests: 4 });
  });

  it("prints the plan from the command line without sending anything", async () => {
    const dir = tempDir();
    const input = path(dir, "rows.jsonl");
    const { rows } = await demoRows(3);
    writeFileSync(input, rows.map((row) => JSON.stringify(row)).join("\n"));
    const fake = await serve(() => ({ content: "x" }));
    const args = ["curate", "ask", "--in", input, "--preset", "difficulty", "--model", "qwen-7b"];
    const result = await runCli([
      ...args,
      "--base-url",
      fake.baseUrl,
      "--cache",
      path(dir, "c.sqlite"),
      "--dry-run",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "rows: 3, already answered in the cache: 0, requests to send: 3",
    );
    expect(result.stderr).toContain("output: at most 12,000 tokens");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("ask.yaml", () => {
  it("names the file, line and key of a bad setting, with a suggestion", () => {
    const file = path(tempDir(), "ask.yaml");
    writeFileSync(file, "preset: distill\nmodel: r1\nmax_token: 100\n");
    expect(() => readAskConfigFile(file)).toThrow(
      new ConfigError("unknown key 'max_token'", {
        file: `${file}:3`,
        key: "max_token",
        fix: "did you mean 'max_tokens'? e.g. max_tokens: 100",
      }),
    );
    writeFileSync(file, "temperature: hot\n");
    expect(() => readAskConfigFile(file)).toThrow(
      `${file}:1: temperature: "hot" is not a number from 0 to 2 (fix: use e.g. temperature: 0)`,
    );
  });

  it("requires a model and a server", () => {
    expect(() =>
      resolveAskSettings({ preset: "distill", base_url: "http://127.0.0.1:9/v1" }),
    ).toThrow(
      "model: is required (fix: set model in the config (e.g. model: deepseek-reasoner) or pass --model)",
    );
  });
});
