import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import {
  EvalStore,
  STORE_FILE_NAME,
  STORE_SCHEMA_VERSION,
  type StoredDraw,
  type StoredSample,
} from "../../src/eval/store/index.js";
import type { RuntimeRow } from "../../src/report/runtime.js";
import { runReport } from "../../src/report/run-report.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";

/** Sessions: what each process did to an experiment, committed with its samples. */

function newStore(): EvalStore {
  const store = EvalStore.open(join(temporaryDirectory("store-sessions"), STORE_FILE_NAME));
  store.upsertQuestions(
    [0, 1, 2, 3].map((index) => ({
      question_key: `q${index}`,
      source: "MedQA",
      question: `Question ${index}`,
      options: { A: "one", B: "two" },
      answer: "one",
      answer_idx: "A",
    })),
  );
  store.createExperiment({
    name: "study/budget_64-wait_0-seed_42/version_0",
    exp_dir: "study/budget_64-wait_0-seed_42",
    version: 0,
    model: "tiny",
    thinking_budget: 64,
    wait_rounds: 0,
    seed: 42,
    thinking_format: "m1",
    eval_data_path: "data/eval.json",
    total_samples: 4,
    config: {},
  });
  return store;
}

function sample(index: number, change: Partial<StoredSample> = {}): StoredSample {
  return {
    experiment_id: 1,
    sample_index: index,
    question_key: `q${index}`,
    source: "MedQA",
    thinking_text: "thinking",
    thinking_finish_reason: "stop",
    response_text: "\\boxed{A}",
    finish_reason: "stop",
    num_gen_tokens: 10 + index,
    num_keep_think_below_budget: 0,
    num_min_thinking_waits: 0,
    thinking_tokens: 5,
    answer_tokens: 5 + index,
    prompt_tokens: 20,
    evaluated_tokens: null,
    extracted_answer: "A",
    huatuo_extracted_answer: "A",
    scored_huatuo_extracted_answer: null,
    correct: true,
    error: null,
    cached: false,
    started_at: "2026-01-01T00:00:00Z",
    elapsed_ms: 5,
    stopped_by: "model",
    probe_answers: null,
    probe_tokens_total: null,
    decided_by: "letter",
    choice: "A",
    vote_share: null,
    compute_tokens: 10 + index,
    ...change,
  };
}

/** One of a question's n samples, as the vote's draws are stored. */
function draw(
  sampleIndex: number,
  drawIndex: number,
  change: Partial<StoredDraw> = {},
): StoredDraw {
  const {
    question_key: _key,
    source: _source,
    vote_share: _share,
    compute_tokens: _compute,
    ...rest
  } = sample(sampleIndex);
  return { ...rest, draw_index: drawIndex, seed: 42 + drawIndex, ...change };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("experiment sessions", () => {
  it("count answered, cached and failed samples and generated tokens with each commit", async () => {
    using store = newStore();
    store.beginSession(1);
    store.recordSample(sample(0));
    store.recordSample(sample(1, { cached: true }));
    store.recordSample(
      sample(2, { error: "HTTP 503 after 3 retries", correct: null, num_gen_tokens: null }),
    );
    await pause(20);
    store.recordSample(sample(3));
    const [session] = store.experimentSessions(1);
    expect(session).toMatchObject({
      session_index: 0,
      pid: process.pid,
      answered: 3,
      cached: 1,
      failed: 1,
      // Samples 0 and 3 were generated; the cached one's tokens were spent by an earlier run.
      generated_tokens: 10 + 13,
      outcome: null,
    });
    expect(session!.active_ms).toBeGreaterThanOrEqual(19);
    store.endSession(1, "incomplete");
    expect(store.experimentSessions(1)[0]!.outcome).toBe("incomplete");
  });

  it("keep a stopped process's time up to its last commit, and number the next process's session", async () => {
    const first = newStore();
    first.beginSession(1);
    await pause(15);
    first.recordSample(sample(0));
    first.flush();
    // The process dies here: nothing ends its session. Another process reads and resumes.
    const path = first.path;
    const second = EvalStore.open(path);
    const [stopped] = second.experimentSessions(1);
    expect(stopped!.outcome).toBeNull();
    expect(stopped!.answered).toBe(1);
    expect(stopped!.active_ms).toBeGreaterThanOrEqual(14);
    second.beginSession(1);
    second.recordSample(sample(1));
    second.endSession(1, "finished");
    expect(second.experimentSessions(1).map((session) => session.session_index)).toEqual([0, 1]);
    second.close();
    first.db.close();
  });

  it("count every draw's tokens with n samples per question, and the question once", () => {
    using store = newStore();
    store.beginSession(1);
    // Question 0: three draws (one of them from the cache), then the vote's row, which repeats
    // the winning draw's tokens.
    store.recordDraw(draw(0, 0, { num_gen_tokens: 100 }));
    store.recordDraw(draw(0, 1, { num_gen_tokens: 200, cached: true }));
    store.recordDraw(draw(0, 2, { num_gen_tokens: 300 }));
    store.recordSample(sample(0, { num_gen_tokens: 100, vote_share: 2 / 3, compute_tokens: 600 }));
    // Question 1: a draw failed, so the question did.
    store.recordDraw(draw(1, 0, { num_gen_tokens: 50 }));
    store.recordDraw(draw(1, 1, { error: "HTTP 503", num_gen_tokens: null, correct: null }));
    store.recordSample(sample(1, { error: "1 of 2 samples failed: HTTP 503", correct: null }));
    store.flush();
    expect(store.experimentSessions(1)[0]).toMatchObject({
      answered: 1,
      cached: 0,
      failed: 1,
      generated_tokens: 100 + 300 + 50,
    });
  });

  it("are added to a version-3 store by its upgrade (3 -> 4); a reader leaves it as it is", () => {
    const created = newStore();
    const path = created.path;
    created.close();
    const before = new Database(path);
    before.exec("DROP TABLE experiment_sessions");
    before.exec("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'");
    before.close();

    using reader = EvalStore.open(path, { readonly: true });
    expect(reader.experimentSessions(1)).toEqual([]);
    using writer = EvalStore.open(path);
    expect(
      writer.db.prepare("SELECT value FROM store_meta WHERE key = 'schema_version'").pluck().get(),
    ).toBe(String(STORE_SCHEMA_VERSION));
    expect(STORE_SCHEMA_VERSION).toBe(4);
    expect(writer.listExperiments()).toHaveLength(1);
    writer.beginSession(1);
    writer.recordSample(sample(0));
    writer.endSession(1, "finished");
    expect(writer.experimentSessions(1)).toMatchObject([{ answered: 1, outcome: "finished" }]);
  });

  it("leave a store from before sessions readable: the report has no time for its experiments", async () => {
    const path = join(temporaryDirectory("store-sessions-v1"), STORE_FILE_NAME);
    copyFileSync(new URL("../fixtures/store/m1-schema-v1.sqlite", import.meta.url).pathname, path);
    const report = await runReport({ directories: [dirname(path)], format: "json", runtime: true });
    expect(JSON.parse(report.stdout) as RuntimeRow[]).toEqual([
      expect.objectContaining({
        experiment: "study/budget_64-wait_0-seed_42/version_0",
        runtime: "",
        runtime_seconds: null,
        processes: null,
        samples: 2,
        generated_tokens: 24,
        samples_per_second: null,
        from: null,
        note: "no runtime record: no sessions in the store (run before it kept them) and no log.txt",
      }),
    ]);
    expect(report.warnings).toEqual([
      "no runtime records: none of the 1 experiment(s) has sessions in a store or a log.txt with an end (the note column says why, per experiment)",
    ]);
  });
});
