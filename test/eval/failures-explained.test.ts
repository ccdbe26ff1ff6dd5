import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { makeItems, scriptedMedicalModel, writeEvalFile } from "../fixtures/eval/medical-model.js";
import { answersFor, readStore } from "../fixtures/eval/scripted-study.js";
import { CLI_TEST_TIMEOUT_MS, runCli } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * Failures explain themselves (`m1 eval` and `m1 ask` against the fake OpenAI server): the
 * end-of-run summary groups failed samples by kind with counts and shows the first server message
 * whole; a run whose first samples all fail the same way that retrying cannot fix stops there;
 * retries are announced on stderr once per kind of failure; a malformed 200 is retried.
 */

const tempDir = useTempDirs("m1-failures-");
const sources = { alpha: makeItems("alpha", 20) };
const answers = answersFor(sources, (_item, index) => "ABCD"[index % 4]!);
let server: FakeOpenAIServer;
let evalPath: string;

beforeAll(async () => {
  server = await startFakeOpenAIServer({ model: scriptedMedicalModel(answers) });
  evalPath = writeEvalFile(join(tempDir(), "alpha.json"), sources);
});
afterAll(() => server.close());

/** A server message longer than the summary's line for its kind, as vLLM's context errors are. */
const CONTEXT_MESSAGE =
  "This model's maximum context length is 4096 tokens. However, you requested 8260 tokens " +
  "(68 in the messages, 8192 in the completion). Please reduce the length of the messages or " +
  "completion. (Also: the server's --max-model-len is set by whoever started it.)";

const evalArgs = (outputDir: string, ...items: string[]) => [
  "eval",
  "-u",
  [
    `eval_data_path=${evalPath}`,
    `base_url=${server.baseUrl}`,
    `output_dir=${outputDir}`,
    "exp_name=fail",
    "force_think=True",
    "concurrency=1",
    ...items,
  ].join(","),
  "-q",
];

const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

describe("m1 eval with failing samples", () => {
  it(
    "stops a run whose first samples all fail the same way, says why in full, and resumes once fixed",
    async () => {
      const outputDir = join(tempDir(), "outputs");
      server.clearFaults();
      server.failNext({ status: 400, message: CONTEXT_MESSAGE }, 1000);
      const sent = server.completionRequests().length;
      const result = await runCli(evalArgs(outputDir, "budgets=[64,128]"));

      expect(result.code).toBe(3);
      // 8 samples, not the 2 x 20 of the study.
      expect(server.completionRequests().length - sent).toBe(8);
      const errors = lines(result.stderr).filter((line) => line.startsWith("m1: error:"));
      expect(errors).toEqual([
        `m1: error: fail/budget_64-wait_0-seed_42/version_0: stopped after its first 8 samples all failed the same way: ` +
          `POST ${server.baseUrl}/completions failed with 400: ${CONTEXT_MESSAGE} ` +
          "(fix: remove the cause named here, then run the same command to resume)",
      ]);
      const summary = lines(result.stdout);
      expect(summary).toContain("failed samples: 8 in 1 experiment, 1 kind of failure:");
      const kindLine = summary.find((line) => line.startsWith("  8 x POST "))!;
      expect(kindLine.length).toBeLessThan(210);
      expect(kindLine.endsWith("...")).toBe(true);
      expect(summary).toContain(
        "first failure (fail/budget_64-wait_0-seed_42/version_0), in full:",
      );
      expect(summary).toContain(
        `  POST ${server.baseUrl}/completions failed with 400: ${CONTEXT_MESSAGE}`,
      );
      // The stopped experiment waits to be resumed; the next one never started; no results files.
      readStore(outputDir, (store) => {
        const experiments = store.listExperiments();
        expect(experiments.map((experiment) => [experiment.name, experiment.status])).toEqual([
          ["fail/budget_64-wait_0-seed_42/version_0", "incomplete"],
        ]);
        expect(store.failedSampleCount(experiments[0]!.id)).toBe(8);
      });
      const versionDir = join(outputDir, "fail", "budget_64-wait_0-seed_42", "version_0");
      expect(readdirSync(versionDir).sort()).toEqual(["config.yaml", "log.txt"]);

      // The cause removed, the same command resumes and finishes both experiments.
      server.clearFaults();
      const again = await runCli(evalArgs(outputDir, "budgets=[64,128]"));
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).not.toContain("failed samples");
      readStore(outputDir, (store) => {
        const experiments = store.listExperiments();
        expect(experiments.map((experiment) => experiment.status)).toEqual([
          "finished",
          "finished",
        ]);
        expect(experiments.map((experiment) => store.failedSampleCount(experiment.id))).toEqual([
          0, 0,
        ]);
      });
      expect(existsSync(join(versionDir, "alpha.json"))).toBe(true);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "groups failed samples by kind, with counts, after a run that went on",
    async () => {
      const outputDir = join(tempDir(), "outputs");
      server.clearFaults();
      const answer = {};
      const tooLong = (needed: number) => ({
        status: 400,
        message: `context holds 8192 tokens, this call needs up to ${needed}`,
      });
      // Two requests per sample (thinking, then the answer); one request for a sample that fails.
      for (const fault of [
        answer,
        answer,
        tooLong(8260),
        answer,
        answer,
        tooLong(8311),
        { status: 422, message: "unknown field 'min_tokens'" },
      ]) {
        server.failNext(fault);
      }
      const result = await runCli(evalArgs(outputDir, "limit=6"));

      expect(result.code).toBe(3);
      const summary = lines(result.stdout);
      const start = summary.indexOf("failed samples: 3 in 1 experiment, 2 kinds of failure:");
      expect(start).toBeGreaterThan(0);
      const url = `${server.baseUrl}/completions`;
      expect(summary.slice(start + 1, start + 5)).toEqual([
        `  2 x POST ${url} failed with 400: context holds 8192 tokens, this call needs up to 8260`,
        `  1 x POST ${url} failed with 422: unknown field 'min_tokens'`,
        "first failure (fail/version_0), in full:",
        `  POST ${url} failed with 400: context holds 8192 tokens, this call needs up to 8260`,
      ]);
      expect(lines(result.stderr).at(-1)).toBe(
        "m1: warning: 3 sample(s) failed after retries; run the same command to retry them",
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "says once that it retries a kind of failure, however many requests meet it",
    async () => {
      const outputDir = join(tempDir(), "outputs");
      server.clearFaults();
      server.failNext({ status: 503, message: "overloaded" }, 2);
      const result = await runCli(evalArgs(outputDir, "limit=3"));

      expect(result.code, result.stderr).toBe(0);
      const notices = lines(result.stderr).filter((line) => line.includes("retrying"));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(
        new RegExp(
          `^m1: warning: retrying in \\d+(\\.\\d)? s: POST ${server.baseUrl}/completions failed with 503: overloaded$`,
        ),
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe("m1 ask against a server that sends a malformed 200", () => {
  it(
    "retries it like a dropped connection, says so once on stderr, and answers",
    async () => {
      server.clearFaults();
      server.failNext({ body: '{"choices": []}' });
      const question = sources.alpha[0]!.question;
      const result = await runCli([
        "ask",
        question,
        "--base-url",
        server.baseUrl,
        "--budget",
        "64",
        "--json",
      ]);

      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        response_text: expect.stringContaining("\\boxed{A}"),
      });
      const notices = lines(result.stderr).filter((line) => line.includes("retrying"));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(
        /^m1: warning: retrying in \d+(\.\d)? s: http:.*\/completions returned an unexpected completion \(it has no choices\[0\]\.text\): \{"choices":\[\]\}$/,
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
