import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runM1Batch } from "../fixtures/eval/cli.js";
import { CLI_TEST_TIMEOUT_MS, startM1 } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { llamaServerAvailable, startLlamaServer, type RunningLlamaServer } from "./llama-server.js";
import {
  ANSWER_PREFIX,
  FORCED_ANSWER_PREFIX,
  experimentStatuses,
  llamaTokenize,
  readStudy,
  writeStudyConfig,
  type ComparedRecord,
} from "./support.js";

/**
 * m1's protocol (text prompts, as m1 sends them to SGLang) against a real llama.cpp server built
 * from the llama.cpp node-llama-cpp ships, on the smoke model: `m1 ask` and `m1 eval` with
 * backend=openai, over several slots at once.
 */

const tempDir = useTempDirs("m1-real-text-");
const SLOTS = 4;
const ANSWER_BUDGET = 24;
let server: RunningLlamaServer;

beforeAll(async () => {
  if (!llamaServerAvailable) return;
  server = await startLlamaServer({ modelPath: await tinyModelPath(), parallel: SLOTS });
});
afterAll(() => server?.stop());

/** The record `m1 ask --json` prints last. */
function lastJsonLine(stdout: string): ComparedRecord {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as ComparedRecord;
}

/** Tokens m1 inserts after thinking: the answer prefix, and a newline unless thinking ended in one. */
async function insertedTokenChoices(prefix: string): Promise<number[]> {
  const prefixTokens = (await llamaTokenize(server.baseUrl, prefix)).length;
  const newline = (await llamaTokenize(server.baseUrl, "\n")).length;
  return [prefixTokens, prefixTokens + newline];
}

/** The invariants of one m1-format record on a thinking budget (engine.md, "exact budgets"). */
async function expectBudgetForcing(record: ComparedRecord, budget: number, waits: number) {
  expect(record.thinking_tokens).toBeLessThanOrEqual(budget);
  expect(record.num_keep_think_below_budget).toBeLessThanOrEqual(waits);
  expect(record.thinking_text!.endsWith("\n")).toBe(true);
  const forced = record.thinking_finish_reason === "length";
  if (forced) {
    // The budget cut thinking: exactly the budget, and the forced answer prefix.
    expect(record.thinking_tokens).toBe(budget);
    expect(record.response_text.startsWith(FORCED_ANSWER_PREFIX)).toBe(true);
  } else {
    expect(record.thinking_finish_reason).toBe("stop");
    expect(record.response_text.startsWith(ANSWER_PREFIX)).toBe(true);
    expect(record.response_text.startsWith(FORCED_ANSWER_PREFIX)).toBe(false);
  }
  // Each Wait round inserted the Wait text once.
  expect((record.thinking_text!.match(/Wait/g) ?? []).length).toBeGreaterThanOrEqual(
    record.num_keep_think_below_budget,
  );
  // Usage: the answer got at most its budget, all of it when cut by length.
  expect(record.answer_tokens).toBeLessThanOrEqual(ANSWER_BUDGET);
  if (record.finish_reason === "length") expect(record.answer_tokens).toBe(ANSWER_BUDGET);
  // m1's total: thinking + inserted (counted by the server's /tokenize) + answer.
  const inserted = record.num_gen_tokens - record.thinking_tokens - record.answer_tokens;
  expect(await insertedTokenChoices(forced ? FORCED_ANSWER_PREFIX : ANSWER_PREFIX)).toContain(
    inserted,
  );
}

describe.skipIf(!llamaServerAvailable)("m1 against a real llama.cpp server (text prompts)", () => {
  it(
    "m1 ask: exact budgets, Wait rounds, both answer prefixes, prompt tokens from usage",
    async () => {
      const dir = tempDir();
      const questions = [
        "Which drug reverses heparin?",
        "A 45-year-old man has crushing chest pain. What is the next step?",
      ];
      const settings = [
        { budget: 16, wait: 0 },
        { budget: 200, wait: 2 },
      ];
      const cases = questions.flatMap((question) =>
        settings.map(({ budget, wait }) => ({
          cwd: dir,
          argv: [
            "ask",
            question,
            ...["--budget", String(budget), "--wait", String(wait)],
            ...["--answer-budget", String(ANSWER_BUDGET), "--json"],
            ...["--base-url", server.baseUrl],
          ],
        })),
      );
      // And once as a person would run it: the thinking and the answer streamed (SSE), then the tally.
      const streamed = {
        cwd: dir,
        argv: ["ask", questions[0]!, "--budget", "16", "--answer-budget", String(ANSWER_BUDGET)],
      };
      const results = await runM1Batch(
        [...cases, { ...streamed, argv: [...streamed.argv, "--base-url", server.baseUrl] }],
        dir,
      );
      const shown = results.pop()!;
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain("── thinking ──");
      expect(shown.stdout).toContain(`── answer ──\n${FORCED_ANSWER_PREFIX}`);
      expect(shown.stdout).toMatch(
        new RegExp(
          `tokens: thinking 16/16 \\(budget reached, answer forced\\) · Wait rounds 0 · answer ${ANSWER_BUDGET} ·`,
        ),
      );
      const records: ComparedRecord[] = [];
      for (const [index, result] of results.entries()) {
        expect(result.code, result.stderr).toBe(0);
        const record = lastJsonLine(result.stdout);
        const { budget, wait } = settings[index % settings.length]!;
        await expectBudgetForcing(record, budget, wait);
        records.push(record);
      }
      // The prompt's tokens as the server counted them: the rendered ChatML prompt + think start.
      const rendered =
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
        `<|im_start|>user\n${questions[0]}<|im_end|>\n<|im_start|>assistant\n<|im_start|>think\n`;
      expect(records[0]!.prompt_tokens).toBe(
        (await llamaTokenize(server.baseUrl, rendered)).length,
      );
      // A budget of 16 always cuts this model's thinking short.
      expect(records[0]!.thinking_finish_reason).toBe("length");
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "m1 eval: a budget x Wait sweep over 4 slots at once, every sample once and within its budget",
    async () => {
      const dir = tempDir();
      const budgets = [16, 160];
      const waits = [0, 2];
      const config = writeStudyConfig(dir, {
        backend: "openai",
        base_url: server.baseUrl,
        budgets,
        wait_rounds: waits,
        max_new_answer_tokens: ANSWER_BUDGET,
        limit: 6,
        concurrency: SLOTS,
        output_dir: dir,
      });
      // Watch the server's slots while the study runs: how many decode at the same moment.
      let busiest = 0;
      const running = startM1(["eval", "-c", config]);
      let finished = false;
      void running.done.then(() => (finished = true));
      while (!finished) {
        const slots = (await (
          await fetch(`${server.baseUrl.replace(/\/v1$/, "")}/slots`)
        ).json()) as {
          is_processing: boolean;
        }[];
        busiest = Math.max(busiest, slots.filter((slot) => slot.is_processing).length);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const result = await running.done;
      expect(result.code, result.stderr).toBe(0);
      expect(busiest).toBeGreaterThan(1);

      const statuses = experimentStatuses(dir);
      expect([...statuses.values()]).toEqual(["finished", "finished", "finished", "finished"]);
      const samples = readStudy(dir);
      expect(samples.size).toBe(budgets.length * waits.length * 6);
      const finishes = new Set<string>();
      let waitRoundsRun = 0;
      for (const [key, sample] of samples) {
        expect(sample.error, key).toBeNull();
        const budget = Number(/budget_(\d+)/.exec(key)![1]);
        const wait = Number(/wait_(\d+)/.exec(key)![1]);
        await expectBudgetForcing(sample.record, budget, wait);
        finishes.add(sample.record.thinking_finish_reason!);
        waitRoundsRun += sample.record.num_keep_think_below_budget;
      }
      // Both ends of thinking happened (the budget, and the model's own stop) and Wait rounds ran.
      expect([...finishes].sort()).toEqual(["length", "stop"]);
      expect(waitRoundsRun).toBeGreaterThan(0);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
