import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { EvalStore } from "../../src/eval/store/index.js";
import { PROGRESS_BAR_PATTERN, PUBMEDQA_DEMO, filesUnder } from "../fixtures/eval/cli.js";
import { CLI_TEST_TIMEOUT_MS, runM1, type ProcessResult } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * `m1 eval` end to end on the embedded llama.cpp engine with the tiny GGUF (random weights): one
 * real CLI process runs a 2 budgets x 2 Wait rounds sweep over 2 bundled PubMedQA questions, and
 * the test reads what m1 would have written, the store, and the summary table.
 */

const tempDir = useTempDirs("m1-study-embedded-");
const BUDGETS = [8, 16];
const WAIT_ROUNDS = [0, 2];
const LIMIT = 2;
const POINTS = BUDGETS.flatMap((budget) =>
  WAIT_ROUNDS.map((rounds) => ({
    budget,
    rounds,
    dir: `sweep/budget_${budget}-wait_${rounds}-seed_42`,
  })),
);
const M1_RESULT_FIELDS = [
  "question",
  "options",
  "answer",
  "answer_idx",
  "id", // the item's own extra field, kept where the file has it
  "source",
  "option_str",
  "input_str",
  "thinking_text",
  "thinking_finish_reason",
  "response_text",
  "finish_reason",
  "extracted_answer",
  "huatuo_extracted_answer",
  "num_gen_tokens",
  "num_keep_think_below_budget",
];
const OUR_RESULT_FIELDS = [
  "num_min_thinking_waits",
  "thinking_tokens",
  "answer_tokens",
  "prompt_tokens",
  "evaluated_tokens",
  "stopped_by",
  "decided_by",
  "probe_tokens_total",
  "compute_tokens",
];

let outputDir: string;
let run: ProcessResult;
let modelPath: string;

beforeAll(async () => {
  modelPath = await tinyModelPath();
  outputDir = tempDir();
  run = await runM1(
    [
      "eval",
      "-u",
      [
        `eval_data_path=${PUBMEDQA_DEMO}`,
        `model_path=${modelPath}`,
        `limit=${LIMIT}`,
        "force_think=True",
        `budgets=[${BUDGETS.join(",")}]`,
        `wait_rounds=[${WAIT_ROUNDS.join(",")}]`,
        "max_new_answer_tokens=8",
        "suffix_prompt='Return your final response within \\boxed{{}}.'",
        "threads=1",
        "concurrency=3",
        "context_size=1536",
        `output_dir=${outputDir}`,
        "exp_name=sweep",
      ].join(","),
    ],
    { timeoutMs: CLI_TEST_TIMEOUT_MS - 5_000 },
  );
}, CLI_TEST_TIMEOUT_MS);

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("m1 eval on the tiny GGUF (embedded backend, real CLI)", () => {
  it("finishes with exit code 0, a summary table on stdout and no progress bar off a terminal", () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const table = run.stdout.split("\n");
    expect(table[1]).toMatch(/^experiment\s+status\s+source\s+correct\/total\s+accuracy\s+95% CI$/);
    for (const point of POINTS) {
      expect(run.stdout).toMatch(
        new RegExp(`${point.dir}/version_0\\s+finished\\s+pubmedqa\\s+\\d/${LIMIT}\\s+\\d+\\.\\d%`),
      );
    }
    expect(run.stdout).toContain(`store:   ${join(outputDir, "m1.sqlite")}`);
    expect(run.stderr).not.toMatch(PROGRESS_BAR_PATTERN);
  });

  it("writes m1's layout: budget_B-wait_K-seed_S/version_0 with exactly m1's five files", () => {
    const expected = POINTS.flatMap((point) =>
      [
        "config.yaml",
        "log.txt",
        "metrics.json",
        "pubmedqa_demo.json",
        "pubmedqa_demo.scored.json",
      ].map((name) => `${point.dir}/version_0/${name}`),
    );
    expect(filesUnder(outputDir).filter((path) => !path.startsWith("m1.sqlite"))).toEqual(
      expected.sort(),
    );
  });

  it("writes config.yaml with the point's budget, Wait rounds, seed and version", () => {
    for (const point of POINTS) {
      const config = YAML.parse(
        readFileSync(join(outputDir, point.dir, "version_0", "config.yaml"), "utf8"),
      ) as Record<string, unknown>;
      expect(config).toMatchObject({
        model_path: modelPath,
        max_new_tokens: point.budget,
        keep_think_below_budget_times: point.rounds,
        max_new_answer_tokens: 8,
        force_think: true,
        think_str: "<|im_start|>think\n",
        start_answer_str: "<|im_start|>answer",
        start_overthink_answer_str: "<|im_start|>answer\nFinal Answer:",
        keep_think_below_budget_str: "Wait",
        seed: 42,
        temperature: 0,
        exp_name: point.dir,
        version: 0,
        limit: LIMIT,
        backend: "embedded",
      });
      expect(config).not.toHaveProperty("budgets");
      expect(config).not.toHaveProperty("wait_rounds");
    }
  });

  it("writes log.txt as m1 does: Start time, End time, Script runtime", () => {
    const stamp = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?`;
    for (const point of POINTS) {
      expect(readFileSync(join(outputDir, point.dir, "version_0", "log.txt"), "utf8")).toMatch(
        new RegExp(
          `^Start time: ${stamp}\\nEnd time: ${stamp}\\nScript runtime: \\d\\d:\\d\\d:\\d\\d\\n$`,
        ),
      );
    }
  });

  it("writes every m1 per-sample field in m1's order (then ours) and scored.json as m1's array", () => {
    for (const point of POINTS) {
      const versionDir = join(outputDir, point.dir, "version_0");
      const samples = readJson(join(versionDir, "pubmedqa_demo.json")) as Array<
        Record<string, unknown>
      >;
      expect(samples).toHaveLength(LIMIT);
      for (const sample of samples) {
        expect(Object.keys(sample)).toEqual([...M1_RESULT_FIELDS, ...OUR_RESULT_FIELDS]);
        expect(sample.source).toBe("pubmedqa");
        expect(sample.option_str).toBe("A. yes\nB. no\nC. maybe");
        expect(["stop", "length"]).toContain(sample.thinking_finish_reason);
        expect(String(sample.thinking_text).endsWith("\n")).toBe(true);
        expect(String(sample.response_text)).toMatch(/^<\|im_start\|>answer/);
        expect(sample.num_keep_think_below_budget as number).toBeLessThanOrEqual(point.rounds);
        expect(sample.thinking_tokens as number).toBeLessThanOrEqual(point.budget);
        expect(String(sample.input_str)).toMatch(
          /\nA\. yes\nB\. no\nC\. maybe\nReturn your final response within \\boxed\{\}\.$/,
        );
      }
      const scored = readJson(join(versionDir, "pubmedqa_demo.scored.json")) as Array<
        Record<string, unknown>
      >;
      expect(scored).toHaveLength(LIMIT);
      for (const [index, record] of scored.entries()) {
        expect(Object.keys(record)).toEqual([
          "correct",
          "extracted_answer",
          "answer",
          "source",
          "option_str",
          "question",
          "huatuo_extracted_answer",
        ]);
        expect(record.extracted_answer).toBe(samples[index]!.extracted_answer);
      }
      const correct = scored.filter((record) => record.correct === true).length;
      expect(readJson(join(versionDir, "metrics.json"))).toEqual({
        pubmedqa: { correct_count: correct, total_count: LIMIT, accuracy: correct / LIMIT },
      });
    }
  });

  it("stores one finished experiment per point and one row per sample, thinking within the budget", () => {
    const store = EvalStore.openInDirectory(outputDir, { readonly: true });
    try {
      const experiments = store.listExperiments();
      expect(
        experiments.map((experiment) => [
          experiment.name,
          experiment.status,
          experiment.thinking_budget,
          experiment.wait_rounds,
          experiment.total_samples,
        ]),
      ).toEqual(
        POINTS.map((point) => [
          `${point.dir}/version_0`,
          "finished",
          point.budget,
          point.rounds,
          LIMIT,
        ]),
      );
      for (const experiment of experiments) {
        const rows = store.samplesWithQuestions(experiment.id);
        expect(rows.map((row) => row.sample_index)).toEqual([...Array(LIMIT).keys()]);
        const scored = readJson(
          join(outputDir, experiment.name, "pubmedqa_demo.scored.json"),
        ) as Array<{ correct: boolean }>;
        for (const row of rows) {
          expect(row.error).toBeNull();
          expect(row.thinking_tokens!).toBeLessThanOrEqual(experiment.thinking_budget);
          expect(row.num_keep_think_below_budget!).toBeLessThanOrEqual(experiment.wait_rounds);
          expect(row.correct).toBe(scored[row.sample_index]!.correct);
          expect(row.evaluated_tokens!).toBeGreaterThan(row.prompt_tokens!);
        }
      }
      expect(store.db.prepare("SELECT COUNT(*) FROM samples").pluck().get()).toBe(
        POINTS.length * LIMIT,
      );
    } finally {
      store.close();
    }
  });
});
