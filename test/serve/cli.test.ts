import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CLI_TEST_TIMEOUT_MS,
  PLAIN_ENV,
  runCli,
  startM1,
  type RunningCli,
} from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import {
  isAlive,
  pathWithFakes,
  readRecords,
  scratch,
  waitUntilGone,
} from "../fixtures/fake-launchers/process-helpers.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { postJson, sseEvents } from "./support.js";

/** `m1 serve` as a person runs it: the real command in its own process, stopped with a signal. */

const tempDir = useTempDirs("m1-serve-");

/** Resolves with the start line once the server prints it. */
async function startLineOf(running: RunningCli): Promise<string> {
  for (;;) {
    const { stdout } = running.output();
    const line = stdout.split("\n").find((text) => text.startsWith("m1 serve: listening on "));
    if (line) return line;
    const exited = await Promise.race([
      running.done.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 50)),
    ]);
    if (exited) throw new Error(`m1 serve exited early:\n${running.output().stderr}`);
  }
}

describe("m1 serve", () => {
  it(
    "prints one start line, takes requests with the API key, and drains on SIGTERM",
    async () => {
      const running = startM1(
        [
          "serve",
          "--model",
          await tinyModelPath(),
          "--port",
          "0",
          "--parallel",
          "1",
          "--budget",
          "64",
          "--answer-budget",
          "16",
          "--wait",
          "1",
        ],
        { env: { ...PLAIN_ENV, M1_SERVE_API_KEY: "test-key" } },
      );
      try {
        const line = await startLineOf(running);
        expect(line).toMatch(/^m1 serve: listening on http:\/\/127\.0\.0\.1:\d+\/v1 · /);
        expect(line).toContain("model m1-tiny-smoke");
        expect(line).toContain("format m1");
        expect(line).toContain("thinking_budget 64, max_completion_tokens 16, wait_rounds 1");
        expect(line).toContain("API key required");
        const root = line.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
        const auth = { authorization: "Bearer test-key" };
        const question = { messages: [{ role: "user", content: "hello" }] };

        expect((await postJson(`${root}/v1/chat/completions`, question)).status).toBe(401);
        const answered = await postJson(`${root}/v1/chat/completions`, question, auth);
        expect(answered.status).toBe(200);
        expect(answered.json).toMatchObject({
          m1: { thinking_budget: 64, max_completion_tokens: 16, wait_rounds: 1 },
        });

        // A long streamed request is in flight when the signal comes.
        const inFlight = fetch(`${root}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth },
          body: JSON.stringify({
            messages: [{ role: "user", content: "Which vitamin deficiency causes scurvy?" }],
            stream: true,
            thinking_budget: 4000,
            max_completion_tokens: 8,
          }),
        });
        const stream = await inFlight;
        const reader = stream.body!.getReader();
        await reader.read();
        running.child.kill("SIGTERM");
        let late: number | string;
        for (;;) {
          // Until the process has seen the signal, requests are still served.
          late = await postJson(`${root}/health`, "")
            .then(() => fetch(`${root}/v1/models`, { headers: auth }))
            .then((response) => response.status)
            .catch((error: Error) => error.message);
          if (late !== 200) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(late).toBe(503);
        let text = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        expect(sseEvents(`data: {}\n\n${text}`).at(-1)).toBe("[DONE]");
        const result = await running.done;
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("m1 serve: stopping: new requests get 503");
      } finally {
        running.child.kill("SIGKILL");
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "--launch starts vLLM, serves its model, and stops it when m1 serve stops",
    async () => {
      const files = scratch();
      try {
        const running = startM1(
          ["serve", "--launch", "vllm", "--model-path", "UCSC-VLAA/m1-7B-23K", "--port", "0"],
          {
            env: {
              ...PLAIN_ENV,
              PATH: pathWithFakes(),
              M1_FAKE_LAUNCHER_RECORD: files.recordFile,
            },
          },
        );
        try {
          const line = await startLineOf(running);
          expect(line).toContain("model UCSC-VLAA/m1-7B-23K (openai: http://127.0.0.1:");
          const root = line.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
          const [launched] = readRecords(files.recordFile);
          expect(launched!.executable).toBe("vllm");
          // (The fake vLLM answers completions only without streaming; its models are enough.)
          const models = (await (await fetch(`${root}/v1/models`)).json()) as {
            data: { id: string; m1: { backend: string } }[];
          };
          expect(models.data[0]!.id).toBe("UCSC-VLAA/m1-7B-23K");
          expect(isAlive(launched!.pid)).toBe(true);
          running.child.kill("SIGINT");
          const result = await running.done;
          expect(result.code).toBe(0);
          expect(await waitUntilGone(launched!.pid)).toBe(true);
          expect(isAlive(launched!.pid)).toBe(false);
        } finally {
          running.child.kill("SIGKILL");
        }
      } finally {
        files.remove();
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "refuses bad settings with one line naming the flag or file:line, exit 2",
    async () => {
      const dir = tempDir();
      const config = join(dir, "serve.yaml");
      writeFileSync(config, "port: 8001\nthinking_budget: 0\n");
      const typo = join(dir, "typo.yaml");
      writeFileSync(typo, "wait_round: 2\n");
      const cases: [string[], string][] = [
        [
          ["--config", config],
          `${config}:2: thinking_budget: 0 is not a whole number above 0 (fix: use e.g. thinking_budget: 2048)`,
        ],
        [
          ["--config", typo],
          `${typo}:1: wait_round: unknown key 'wait_round' (fix: did you mean 'wait_rounds'? e.g. wait_rounds: 2)`,
        ],
        [["--budget", "lots"], `--budget: "lots" is not a whole number above 0`],
        [
          ["--reasoning-effort", "extreme"],
          `--reasoning-effort: "extreme" is not one of low, medium, high`,
        ],
        [
          ["--budget", "100", "--reasoning-effort", "low"],
          "thinking_budget and reasoning_effort both set the default thinking budget",
        ],
        [
          ["--config", join(dir, "missing.yaml")],
          "cannot read the config file (fix: check the --config path)",
        ],
      ];
      for (const [args, message] of cases) {
        const result = await runCli(["serve", "--port", "0", ...args]);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr).toContain(message);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stdout).toBe("");
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "refuses to start when the default budgets leave no room in the context",
    async () => {
      const result = await runCli([
        "serve",
        "--model",
        await tinyModelPath(),
        "--port",
        "0",
        "--context-size",
        "512",
        "--budget",
        "600",
        "--answer-budget",
        "100",
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("thinking_budget: 600 needs up to");
      expect(result.stderr).toMatch(
        /thinking 600 \+ inserted \d+ \+ answer 100\), but m1-tiny-smoke\S* holds 512 \(context_size\)/,
      );
      expect(result.stderr).toMatch(
        /fix: lower thinking_budget to \d+ or less .*raise context_size \(--context-size/,
      );
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
