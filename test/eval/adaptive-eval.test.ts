import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { validateEvalConfig } from "../../src/eval/config/load.js";
import { openStudyBackend } from "../../src/eval/study/model-backend.js";
import { runStudy, type StudyResult } from "../../src/eval/study/study.js";
import { drawSeed, majorityVote } from "../../src/eval/study/votes.js";
import { EvalStore } from "../../src/eval/store/index.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { makeItems, writeEvalFile } from "../fixtures/eval/medical-model.js";

/**
 * Adaptive compute through `m1 eval`'s study (in process, on the fake OpenAI-compatible server):
 * probes and early exit land in the store and in m1's results file; n samples per question run
 * with derived seeds, vote, resume draw by draw; bad settings are refused before anything is
 * written.
 */

const tempDir = useTempDirs("m1-adaptive-eval-");
const items = makeItems("alpha", 4);
const LETTERS = ["A", "B", "C", "D"];

/**
 * Thinks " tick" (one toy token) 200 times. Asked for its answer it says the gold letter from
 * 30 ticks on (the next letter before). Its final answer depends on the request's seed: the gold letter
 * when seed % 3 != 0, else the next letter, so votes over seeds are known in advance.
 */
function model(prompt: string, request?: { seed?: number }): string {
  const item = items.find((candidate) => prompt.includes(candidate.question));
  if (!item) throw new Error("unknown question");
  const thought = (prompt.match(/ tick/g) ?? []).length;
  if (prompt.endsWith("<|im_start|>think\n") || !/answer/.test(prompt.slice(-40))) {
    return `${" tick".repeat(Math.max(0, 200 - thought))}<|im_start|>answer`;
  }
  const gold = item.answer_idx;
  const wrong = LETTERS[(LETTERS.indexOf(gold) + 1) % 4]!;
  if (prompt.endsWith("Final Answer:") && thought < 200 && request?.seed === undefined) {
    return ` \\boxed{${thought >= 30 ? gold : wrong}}<|im_end|>`;
  }
  const seed = request?.seed ?? 0;
  return ` \\boxed{${seed % 3 === 0 ? wrong : gold}}<|im_end|>`;
}

let server: FakeOpenAIServer;
let evalPath: string;
beforeAll(async () => {
  server = await startFakeOpenAIServer({ model });
  evalPath = writeEvalFile(join(tempDir(), "adaptive.json"), { alpha: items });
});
afterAll(() => server.close());

function config(overrides: Record<string, unknown>) {
  return validateEvalConfig({
    eval_data_path: evalPath,
    base_url: server.baseUrl,
    force_think: true,
    max_new_tokens: 120,
    max_new_answer_tokens: 12,
    retries: 0,
    ...overrides,
  });
}

async function study(overrides: Record<string, unknown>): Promise<StudyResult> {
  const resolved = config(overrides);
  return runStudy({ config: resolved, openBackend: (entry) => openStudyBackend(resolved, entry) });
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("answer probes and early exit in m1 eval", () => {
  it("stores probes, stop reasons and compute, and writes them after m1's fields", async () => {
    const outputDir = tempDir();
    // No seed in probe requests is how the scripted model tells them apart: send none.
    server.setModel((prompt, request) => model(prompt, { ...request, seed: undefined }));
    try {
      const result = await study({
        output_dir: outputDir,
        exp_name: "early",
        probe_every: 20,
        early_exit_patience: 2,
      });
      expect(result.failedSamples).toBe(0);
      using store = EvalStore.openInDirectory(outputDir, { readonly: true });
      const [experiment] = store.listExperiments();
      expect(experiment!.config).toMatchObject({ probe_every: 20, early_exit_patience: 2 });
      for (const sample of store.samplesWithQuestions(experiment!.id)) {
        // A wrong letter at 20, the gold one at 40 and 60: settled at 60 (patience 2).
        expect(sample.stopped_by).toBe("converged");
        expect(sample.thinking_tokens).toBe(60);
        expect(sample.probe_answers!.map((probe) => probe.thinking_tokens)).toEqual([20, 40, 60]);
        expect(sample.probe_answers!.map((probe) => probe.correct)).toEqual([false, true, true]);
        expect(sample.compute_tokens).toBe(sample.num_gen_tokens! + sample.probe_tokens_total!);
        expect(sample.probe_tokens_total).toBeGreaterThan(0);
        expect(sample.decided_by).toBe("letter");
      }
      const results = readJson(join(outputDir, "early", "version_0", "adaptive.json")) as Array<
        Record<string, unknown>
      >;
      expect(Object.keys(results[0]!).slice(-5)).toEqual([
        "stopped_by",
        "decided_by",
        "probe_answers",
        "probe_tokens_total",
        "compute_tokens",
      ]);
      expect(results[0]!.stopped_by).toBe("converged");
    } finally {
      server.setModel(model);
    }
  });
});

describe("samples_per_question: n seeded samples and a majority vote", () => {
  it("derives a distinct seed per sample (the first is the experiment's) and votes, ties to the earliest", () => {
    const seeds = [0, 1, 2, 3, 4].map((draw) => drawSeed(42, draw));
    expect(seeds[0]).toBe(42);
    expect(new Set(seeds).size).toBe(5);
    expect(drawSeed(43, 0)).not.toBe(drawSeed(42, 1));
    expect(majorityVote(["B", "A", "A"])).toEqual({ winner: 1, share: 2 / 3 });
    expect(majorityVote(["B", "A", "A", "B"])).toEqual({ winner: 0, share: 0.5 });
    expect(majorityVote([null, "C", null])).toEqual({ winner: 1, share: 1 / 3 });
    expect(majorityVote([null, null])).toEqual({ winner: 0, share: 0 });
  });

  it("runs n draws per question with their seeds, stores them and the vote, and resumes draw by draw", async () => {
    const outputDir = tempDir();
    const n = 5;
    const seeds = Array.from({ length: n }, (_, draw) => drawSeed(7, draw));
    const goldVotes = seeds.filter((seed) => seed % 3 !== 0).length;
    // The last draw of the first question fails (beyond retries); everything else answers.
    let failing = true;
    server.setModel((prompt, request) => {
      if (failing && prompt.includes(items[0]!.question) && request?.seed === seeds[n - 1]) {
        throw new Error("injected");
      }
      return model(prompt, request);
    });
    try {
      const first = await study({
        output_dir: outputDir,
        exp_name: "votes",
        samples_per_question: n,
        temperature: 0.7,
        seed: 7,
        concurrency: 3,
      });
      expect(first.failedSamples).toBe(1);
      const requestsBefore = server.completionRequests().length;
      failing = false;
      const second = await study({
        output_dir: outputDir,
        exp_name: "votes",
        samples_per_question: n,
        temperature: 0.7,
        seed: 7,
      });
      expect(second.failedSamples).toBe(0);
      // Only the failed draw ran again: its thinking and its answer.
      expect(server.completionRequests().length - requestsBefore).toBe(2);

      using store = EvalStore.openInDirectory(outputDir, { readonly: true });
      const [experiment] = store.listExperiments();
      expect(experiment!.samples_per_question).toBe(n);
      const rows = store.samplesWithQuestions(experiment!.id);
      expect(rows).toHaveLength(items.length);
      for (const row of rows) {
        const votes = store.read.drawVotes(experiment!.id, row.sample_index);
        expect(votes.map((vote) => [vote.draw_index, vote.seed])).toEqual(
          seeds.map((seed, draw) => [draw, seed]),
        );
        expect(votes.map((vote) => vote.correct)).toEqual(seeds.map((seed) => seed % 3 !== 0));
        const majority = goldVotes > n / 2;
        expect(row.correct).toBe(majority);
        expect(row.vote_share).toBe((majority ? goldVotes : n - goldVotes) / n);
        expect(row.compute_tokens).toBe(n * row.num_gen_tokens!);
      }
      const results = readJson(join(outputDir, "votes", "version_0", "adaptive.json")) as Array<
        Record<string, unknown>
      >;
      expect(results[0]!.vote_share).toBe(rows[0]!.vote_share);
      expect((results[0]!.votes as unknown[]).length).toBe(n);
    } finally {
      server.setModel(model);
    }
  });

  it("sweeps samples_per_question as its own axis, in directories named after it", async () => {
    const outputDir = tempDir();
    const result = await study({
      output_dir: outputDir,
      exp_name: "sweep",
      samples_per_question: [1, 3],
      temperature: 0.7,
    });
    expect(result.experiments.map((experiment) => experiment.point.expDir)).toEqual([
      join("sweep", "budget_120-wait_0-seed_42"),
      join("sweep", "budget_120-wait_0-seed_42-samples_3"),
    ]);
  });
});

describe("bad adaptive settings", () => {
  const refused = (overrides: Record<string, unknown>): string => {
    try {
      config({ output_dir: join(tempDir(), "never"), ...overrides });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(2);
      return (error as ConfigError).message;
    }
    return "accepted";
  };

  it("refuses them in one line, naming the key, before anything is written", () => {
    expect(refused({ samples_per_question: 3 })).toMatch(
      /samples_per_question: 3 samples of one question need sampling, but temperature is 0/,
    );
    expect(refused({ probe_every: 0 })).toMatch(/probe_every: 0 is not/);
    expect(refused({ probe_every: 100, budgets: [64, 256] })).toMatch(
      /probe_every: 100 is above the thinking budget 64/,
    );
    expect(refused({ early_exit_patience: 2 })).toMatch(
      /probe_every: early_exit_patience needs answer probes/,
    );
    expect(refused({ loop_cutoff: { ngram: 8, repeats: 1 } })).toMatch(/loop_cutoff: repeats 1/);
    expect(refused({ loop_cutoff: { ngram: 100, repeats: 3 } })).toMatch(/could never fire/);
    expect(refused({ probe_every: 20, force_think: false })).toMatch(
      /probe_every acts on the thinking phase, but force_think is False/,
    );
    expect(refused({ probe_every: 20, early_exit_patience: 0 })).toBe("accepted");
    expect(existsSync(join(tempDir(), "never"))).toBe(false);
  });
});
