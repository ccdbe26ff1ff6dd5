import { copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
import { runReport } from "../../src/report/run-report.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";
import { runCli } from "../support/cli.js";

/** A store m1 wrote at schema version 1 (see test/fixtures/store/README.md). */
const V1_STORE = new URL("../fixtures/store/m1-schema-v1.sqlite", import.meta.url).pathname;

/** The generation the fixture's first sample holds. */
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
  // Version 3's fields, as a store from before them reads: the model stopped, no probes.
  stopped_by: "model",
  probe_answers: [],
  probe_tokens_total: 0,
};

/** A copy of the version-1 store as `<dir>/m1.sqlite`, optionally changed with old-style SQL. */
function copyOldStore(prefix: string, change?: (db: Database.Database) => void): string {
  const path = join(temporaryDirectory(prefix), STORE_FILE_NAME);
  copyFileSync(V1_STORE, path);
  if (change) {
    const db = new Database(path);
    change(db);
    db.close();
  }
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

/** A resumed run's answer to the fixture's failed sample. */
function answeredSample(sampleIndex: 2): StoredSample {
  return {
    experiment_id: 1,
    sample_index: sampleIndex,
    question_key: "q2",
    source: "PubMedQA",
    ...RECORD,
    probe_answers: [],
    evaluated_tokens: null,
    extracted_answer: "B",
    huatuo_extracted_answer: "B",
    scored_huatuo_extracted_answer: null,
    correct: true,
    error: null,
    cached: false,
    started_at: "2025-01-01T00:00:02Z",
    elapsed_ms: 10,
    decided_by: "letter",
    choice: "B",
    vote_share: null,
    compute_tokens: 12,
  };
}

describe("stores written with the version-1 schema", () => {
  it("are read as they are by reports, and upgraded when eval opens them", async () => {
    const path = copyOldStore("store-v1");

    const report = await runReport({ directories: [dirname(path)], format: "json" });
    expect(
      (JSON.parse(report.stdout) as Array<Record<string, unknown>>).map((row) => [
        row.source,
        row.correct_count,
        row.total_count,
      ]),
    ).toEqual([
      ["MedQA", 1, 2],
      ["average", 1, 2],
    ]);
    expect(storedVersion(path)).toBe("1");

    using store = EvalStore.open(path);
    expect(storedVersion(path)).toBe(String(STORE_SCHEMA_VERSION));
    expect(store.listExperiments()).toMatchObject([
      {
        name: "study/budget_64-wait_0-seed_42/version_0",
        status: "incomplete",
        config: { seed: 42 },
      },
    ]);
    expect(store.failedSampleCount(1)).toBe(1);
    expect(store.completedSampleIndices(1)).toEqual(new Set([0, 1]));
    expect(store.samplesWithQuestions(1)[0]).toMatchObject({
      correct: true,
      cached: false,
      thinking_tokens: 5,
      question: { options: { B: "Lipase" }, answer_idx: "B" },
    });
    expect(store.cachedGeneration("cache-key-0")).toEqual(RECORD);
    // A resumed run retries the failed sample in the upgraded store.
    store.recordSample(answeredSample(2), { cacheKey: "cache-key-2" });
    expect(store.completedSampleIndices(1)).toEqual(new Set([0, 1, 2]));
    expect(store.cachedGeneration("cache-key-2")).toEqual(RECORD);
  });

  it("from before generation_cache gain the pointer table and keep their JSON cache", () => {
    const path = copyOldStore("store-first", (db) => {
      db.exec("DROP TABLE generation_cache");
      db.prepare(
        "INSERT INTO response_cache (key, record_json, created_at) VALUES ('legacy-key', ?, '')",
      ).run(JSON.stringify(RECORD));
    });
    using store = EvalStore.open(path);
    expect(storedVersion(path)).toBe(String(STORE_SCHEMA_VERSION));
    expect(store.cachedGeneration("legacy-key")).toEqual(RECORD);
    store.recordSample(answeredSample(2), { cacheKey: "cache-key-2" });
    expect(store.cachedGeneration("cache-key-2")).toEqual(RECORD);
  });

  it("once upgraded, have the layout the column lists now build (same columns, types, keys and indexes)", () => {
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
    const oldPath = copyOldStore("store-old-layout");
    EvalStore.open(oldPath).close();
    const old = new Database(oldPath, { readonly: true });
    using store = EvalStore.open(join(temporaryDirectory("store-layout"), STORE_FILE_NAME));
    // Every migration ran (1 -> 2 -> 3 -> 4): the upgraded store has version 4's sessions too.
    expect(layout(store.db)).toEqual(layout(old));
    expect(layout(old)).toHaveProperty("experiment_sessions");
    old.close();
  });
});

describe("stores this m1 cannot use", () => {
  it("refuses a store written by a newer m1, with the fix, for writers and readers", () => {
    const path = copyOldStore("store-newer", (db) =>
      db.exec("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'"),
    );
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
    const path = copyOldStore("store-newer-cli", (db) =>
      db.exec("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'"),
    );
    const result = await runCli(["report", dirname(path)]);
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
