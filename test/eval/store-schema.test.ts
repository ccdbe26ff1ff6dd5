import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { GenerationRecord } from "../../src/engine/record.js";
import { InputError } from "../../src/errors.js";
import {
  EvalStore,
  STORE_FILE_NAME,
  STORE_SCHEMA_VERSION,
  type StoredSample,
} from "../../src/eval/store/index.js";
import { runCli, temporaryDirectory } from "../fixtures/report/run-cli.js";

/** The DDL of version-1 stores, as m1 wrote them (test/fixtures/store/). */
const V1_DDL = readFileSync(new URL("../fixtures/store/schema-v1.sql", import.meta.url), "utf8");
const FIRST_DDL = readFileSync(
  new URL("../fixtures/store/schema-v1-first.sql", import.meta.url),
  "utf8",
);

const RECORD: GenerationRecord = {
  thinking_text: "Lipase rises.",
  thinking_finish_reason: "stop",
  response_text: "The answer is \\boxed{B}.",
  finish_reason: "stop",
  num_gen_tokens: 12,
  num_keep_think_below_budget: 0,
  num_min_thinking_waits: 0,
  thinking_tokens: 5,
  answer_tokens: 7,
  prompt_tokens: 30,
};

/** A store file written with old DDL: one experiment, one question, one answered sample. */
function writeOldStore(directory: string, ddl: string, version: string | null): string {
  const path = join(directory, STORE_FILE_NAME);
  const db = new Database(path);
  db.exec(ddl);
  if (version !== null) {
    db.prepare("INSERT INTO store_meta (key, value) VALUES ('schema_version', ?)").run(version);
  }
  db.prepare(
    `INSERT INTO experiments (id, name, exp_dir, version, model, thinking_budget, wait_rounds, seed,
       thinking_format, eval_data_path, total_samples, status, config_json, created_at)
     VALUES (1, 'study/budget_64/version_0', 'study/budget_64', 0, 'tiny', 64, 0, 42, 'm1',
       'data/eval.json', 1, 'finished', '{"seed":42}', '2025-01-01T00:00:00Z')`,
  ).run();
  db.prepare(
    `INSERT INTO questions VALUES ('q1', 'MedQA', 'Which enzyme?', '{"A":"Amylase","B":"Lipase"}',
       'Lipase', 'B')`,
  ).run();
  db.prepare(
    `INSERT INTO samples (experiment_id, sample_index, question_key, source, thinking_text,
       thinking_finish_reason, response_text, finish_reason, num_gen_tokens, thinking_tokens,
       answer_tokens, prompt_tokens, extracted_answer, correct, cached, started_at, elapsed_ms)
     VALUES (1, 0, 'q1', 'MedQA', 'Lipase rises.', 'stop', 'The answer is \\boxed{B}.', 'stop', 12,
       5, 7, 30, 'B', 1, 0, '2025-01-01T00:00:01Z', 50)`,
  ).run();
  db.prepare(
    "INSERT INTO response_cache (key, record_json, created_at) VALUES ('legacy-key', ?, '')",
  ).run(JSON.stringify(RECORD));
  db.close();
  return path;
}

function storedVersion(path: string): string | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT value FROM store_meta WHERE key = 'schema_version'").pluck().get() as
      string | undefined;
  } finally {
    db.close();
  }
}

function answeredSample(sampleIndex: number): StoredSample {
  return {
    experiment_id: 1,
    sample_index: sampleIndex,
    question_key: "q1",
    source: "MedQA",
    ...RECORD,
    evaluated_tokens: null,
    extracted_answer: "B",
    huatuo_extracted_answer: "B",
    scored_huatuo_extracted_answer: null,
    correct: true,
    error: null,
    cached: false,
    started_at: "2025-01-01T00:00:02Z",
    elapsed_ms: 10,
  };
}

describe("stores written with the version-1 schema", () => {
  it("open, read as before and are upgraded to the current version", () => {
    const path = writeOldStore(temporaryDirectory("store-v1"), V1_DDL, "1");

    // Readers open it read-only and leave it as it is.
    using reader = EvalStore.open(path, { readonly: true });
    expect(reader.sourceCounts(1)).toEqual([{ source: "MedQA", correct_count: 1, total_count: 1 }]);
    reader.close();
    expect(storedVersion(path)).toBe("1");

    using store = EvalStore.open(path);
    expect(storedVersion(path)).toBe(String(STORE_SCHEMA_VERSION));
    expect(store.listExperiments()).toMatchObject([
      { name: "study/budget_64/version_0", status: "finished", config: { seed: 42 } },
    ]);
    const [row] = store.samplesWithQuestions(1);
    expect(row).toMatchObject({
      correct: true,
      cached: false,
      thinking_tokens: 5,
      question: { options: { A: "Amylase", B: "Lipase" }, answer_idx: "B" },
    });
    store.recordSample(answeredSample(1), { cacheKey: "new-key" });
    expect(store.completedSampleIndices(1)).toEqual(new Set([0, 1]));
    expect(store.cachedGeneration("new-key")).toEqual(RECORD);
  });

  it("from the first layout (no generation_cache) gain the pointer table and keep their cache", () => {
    const path = writeOldStore(temporaryDirectory("store-first"), FIRST_DDL, "1");
    using store = EvalStore.open(path);
    expect(storedVersion(path)).toBe(String(STORE_SCHEMA_VERSION));
    expect(store.cachedGeneration("legacy-key")).toEqual(RECORD);
    store.recordSample(answeredSample(1), { cacheKey: "new-key" });
    expect(store.cachedGeneration("new-key")).toEqual(RECORD);
  });

  it("have the layout the column lists now build (same columns, types, keys and indexes)", () => {
    const layout = (db: Database.Database) =>
      Object.fromEntries(
        (
          db
            .prepare(
              "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name",
            )
            .pluck()
            .all() as string[]
        ).map((name) => [
          name,
          [
            db.pragma(`table_info(${name})`),
            db.pragma(`index_info(${name})`),
            db.pragma(`foreign_key_list(${name})`),
          ],
        ]),
      );
    const old = new Database(":memory:");
    old.exec(V1_DDL);
    using store = EvalStore.open(join(temporaryDirectory("store-layout"), STORE_FILE_NAME));
    expect(layout(store.db)).toEqual(layout(old));
    old.close();
  });
});

describe("stores this m1 cannot use", () => {
  it("refuses a store written by a newer m1, with the fix, for writers and readers", () => {
    const directory = temporaryDirectory("store-newer");
    const path = writeOldStore(directory, V1_DDL, "99");
    for (const readonly of [false, true]) {
      let error: unknown;
      try {
        EvalStore.open(path, { readonly });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).exitCode).toBe(2);
      expect((error as InputError).message).toBe(
        `${path}: store schema version 99 was written by a newer m1 (this one reads up to ${STORE_SCHEMA_VERSION}) (fix: upgrade m1, or give another output directory)`,
      );
    }
    expect(storedVersion(path)).toBe("99");
  });

  it("says so in one line with exit code 2 when `m1 report` meets one", async () => {
    const directory = temporaryDirectory("store-newer-cli");
    writeOldStore(directory, V1_DDL, "99");
    const result = await runCli(["report", directory]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("store schema version 99 was written by a newer m1");
  });

  it("refuses a file that is not a store, and leaves it untouched", () => {
    const directory = temporaryDirectory("store-foreign");
    const path = join(directory, STORE_FILE_NAME);
    const db = new Database(path);
    db.exec("CREATE TABLE notes (text TEXT)");
    db.close();
    expect(() => EvalStore.open(path)).toThrow(
      `${path}: not an m1 evaluation store (no experiments table)`,
    );
    const text = join(directory, "other.sqlite");
    writeFileSync(text, "not a database at all, just some text to fill a page ".repeat(100));
    expect(() => EvalStore.open(text, { readonly: true })).toThrow(InputError);
    const after = new Database(path, { readonly: true });
    expect(after.prepare("SELECT name FROM sqlite_master").pluck().all()).toEqual(["notes"]);
    after.close();
  });
});
