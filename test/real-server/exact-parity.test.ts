import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI_TEST_TIMEOUT_MS,
  REPO_ROOT,
  runM1,
  runM1Batch,
  useTempDirs,
} from "../fixtures/eval/cli.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { llamaServerAvailable, startLlamaServer, type RunningLlamaServer } from "./llama-server.js";
import { COMPARED_KEYS, readStudy, writeStudyConfig, type ComparedRecord } from "./support.js";

/**
 * Token-exact HTTP (`--exact-tokens`, `exact_tokens: true`): greedy, the real llama.cpp server
 * built from node-llama-cpp's own llama.cpp gives the same records as the embedded engine on the
 * same GGUF, every field but the embedded engine's `evaluated_tokens` meter, for thinking budgets
 * 16 to 512 with 0 to 4 Wait rounds; the server decodes several questions at once in its slots.
 * Text prompts (m1's protocol) re-tokenize the text at the seams between thinking, Wait and answer,
 * and on this model that changes most answers: measured here as well, so the difference is known.
 */

const tempDir = useTempDirs("m1-real-exact-");
const BUDGETS = [16, 32, 64, 128, 256, 512];
const WAIT_ROUNDS = [0, 1, 2, 3, 4];
const QUESTIONS = 4;
const ANSWER_BUDGET = 32;
const SLOTS = 4;
let server: RunningLlamaServer;
let modelPath: string;

beforeAll(async () => {
  if (!llamaServerAvailable) return;
  modelPath = await tinyModelPath();
  server = await startLlamaServer({ modelPath, parallel: SLOTS });
});
afterAll(() => server?.stop());

function differingKeys(a: ComparedRecord, b: ComparedRecord): string[] {
  return COMPARED_KEYS.filter((key) => a[key] !== b[key]);
}

describe.skipIf(!llamaServerAvailable)("exact tokens over HTTP = the embedded engine", () => {
  it(
    "m1 eval: budgets 16-512 x Wait rounds 0-4, server with exact_tokens (4 slots) vs embedded",
    async () => {
      const study = {
        budgets: BUDGETS,
        wait_rounds: WAIT_ROUNDS,
        limit: QUESTIONS,
        max_new_answer_tokens: ANSWER_BUDGET,
      };
      const embeddedDir = tempDir();
      const exactDir = tempDir();
      const textDir = tempDir();
      const configs = [
        writeStudyConfig(embeddedDir, {
          ...study,
          model_path: modelPath,
          concurrency: 1,
          output_dir: embeddedDir,
        }),
        writeStudyConfig(exactDir, {
          ...study,
          backend: "openai",
          base_url: server.baseUrl,
          exact_tokens: true,
          concurrency: SLOTS,
          output_dir: exactDir,
        }),
        writeStudyConfig(textDir, {
          ...study,
          backend: "openai",
          base_url: server.baseUrl,
          concurrency: SLOTS,
          output_dir: textDir,
        }),
      ];
      const results = await runM1Batch(
        // From the repository: node-llama-cpp checks its binary in a child that needs tsx.
        configs.map((config) => ({ cwd: REPO_ROOT, argv: ["eval", "-c", config, "-q"] })),
        embeddedDir,
        { timeoutMs: CLI_TEST_TIMEOUT_MS },
      );
      for (const result of results) expect(result.code, result.stderr).toBe(0);

      const embedded = readStudy(embeddedDir);
      const exact = readStudy(exactDir);
      const text = readStudy(textDir);
      expect(embedded.size).toBe(BUDGETS.length * WAIT_ROUNDS.length * QUESTIONS);
      expect([...exact.keys()].sort()).toEqual([...embedded.keys()].sort());

      const exactMismatches: string[] = [];
      let textMismatches = 0;
      for (const [key, reference] of embedded) {
        const differs = differingKeys(reference.record, exact.get(key)!.record);
        if (differs.length > 0) exactMismatches.push(`${key}: ${differs.join(", ")}`);
        if (differingKeys(reference.record, text.get(key)!.record).length > 0) textMismatches++;
      }
      expect(exactMismatches).toEqual([]);
      // Both endings of thinking and Wait rounds are among what matched.
      const records = [...exact.values()].map((sample) => sample.record);
      expect(new Set(records.map((record) => record.thinking_finish_reason))).toEqual(
        new Set(["length", "stop"]),
      );
      expect(records.some((record) => record.num_keep_think_below_budget >= 3)).toBe(true);
      console.log(
        `exact tokens: ${embedded.size - exactMismatches.length}/${embedded.size} records equal to the embedded engine's; ` +
          `text prompts: ${embedded.size - textMismatches}/${embedded.size}`,
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "m1 ask --exact-tokens prints the embedded engine's record",
    async () => {
      const question = "Which drug reverses heparin?";
      const common = ["ask", question, "--budget", "64", "--wait", "2", "--answer-budget", "24"];
      const [embedded, exact] = await Promise.all([
        runM1([...common, "--json", "--model", modelPath]),
        runM1([...common, "--json", "--exact-tokens", "--base-url", server.baseUrl]),
      ]);
      expect(embedded.code, embedded.stderr).toBe(0);
      expect(exact.code, exact.stderr).toBe(0);
      const last = (stdout: string) =>
        JSON.parse(stdout.trim().split("\n").pop()!) as ComparedRecord & {
          evaluated_tokens?: number;
        };
      const { evaluated_tokens: evaluated, ...reference } = last(embedded.stdout);
      expect(evaluated).toBeGreaterThan(0);
      expect(last(exact.stdout)).toEqual(reference);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
