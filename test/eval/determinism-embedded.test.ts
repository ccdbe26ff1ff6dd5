import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { Mulberry32 } from "../../src/random/index.js";
import { validateEvalConfig } from "../../src/eval/config/load.js";
import { openStudyBackend } from "../../src/eval/study/model-backend.js";
import { runStudy } from "../../src/eval/study/study.js";
import { EvalStore, STORE_FILE_NAME } from "../../src/eval/store/index.js";
import { silentBar, silentProgress, type ProgressReporter } from "../../src/progress.js";
import { PUBMEDQA_DEMO, filesUnder } from "../fixtures/eval/cli.js";
import { CLI_TEST_TIMEOUT_MS, runM1, startM1, dotlist, waitForCli } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * Greedy runs reproduce on the embedded engine. Two identical `m1 demo` runs used to differ in a
 * few of 240 generations: llama.cpp's kernels depend on how many tokens share a decode, and
 * questions sharing one context shared decodes. Here the same study on the smoke model (long
 * PubMedQA prompts, budgets with Wait rounds) must give byte-identical samples and m1 files with
 * concurrency 1 and 8, after SIGKILLs and resumes, and while other processes load every core.
 */

const tempDir = useTempDirs("m1-determinism-");
const LIMIT = 16;
const EXPERIMENTS = ["det/budget_200-wait_0-seed_42", "det/budget_200-wait_2-seed_42"];

let modelPath: string;
let reference: string;

function settings(outputDir: string, concurrency: number): Record<string, unknown> {
  return {
    eval_data_path: PUBMEDQA_DEMO,
    model_path: modelPath,
    limit: LIMIT,
    force_think: true,
    budgets: [200],
    wait_rounds: [0, 2],
    // Every question thinks at least this long, so questions overlap for most of their decodes.
    min_thinking_tokens: 150,
    max_new_answer_tokens: 8,
    suffix_prompt: "Return your final response within \\boxed{{}}.",
    threads: 1,
    concurrency,
    output_dir: outputDir,
    exp_name: "det",
  };
}

async function study(outputDir: string, concurrency: number): Promise<void> {
  const config = validateEvalConfig(settings(outputDir, concurrency));
  const result = await runStudy({
    config,
    openBackend: (model) => openStudyBackend(config, model),
  });
  expect(result.experiments.map((experiment) => experiment.outcome)).toEqual(
    EXPERIMENTS.map(() => "finished"),
  );
}

/** Every generated field of every sample, in a fixed order. */
function samplesOf(outputDir: string): unknown[] {
  const db = new Database(join(outputDir, STORE_FILE_NAME), { readonly: true });
  try {
    return db
      .prepare(
        `SELECT e.exp_dir, s.sample_index, s.thinking_text, s.thinking_finish_reason,
           s.response_text, s.finish_reason, s.num_gen_tokens, s.num_keep_think_below_budget,
           s.thinking_tokens, s.answer_tokens, s.prompt_tokens, s.evaluated_tokens,
           s.extracted_answer, s.correct, s.error
         FROM samples s JOIN experiments e ON e.id = s.experiment_id
         ORDER BY e.exp_dir, s.sample_index`,
      )
      .all();
  } finally {
    db.close();
  }
}

/** m1's per-sample and metrics files, which must match byte for byte. */
function m1Files(outputDir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of filesUnder(outputDir)) {
    if (/(pubmedqa_demo(\.scored)?|metrics)\.json$/.test(path)) {
      files[path] = readFileSync(join(outputDir, path), "utf8");
    }
  }
  return files;
}

function expectSameAsReference(outputDir: string): void {
  const samples = samplesOf(outputDir);
  expect(samples).toHaveLength(LIMIT * EXPERIMENTS.length);
  expect(samples).toEqual(samplesOf(reference));
  expect(m1Files(outputDir)).toEqual(m1Files(reference));
}

beforeAll(async () => {
  modelPath = await tinyModelPath();
  reference = tempDir();
  await study(reference, 1);
}, CLI_TEST_TIMEOUT_MS);

describe("greedy generations on the embedded engine", () => {
  it(
    "are byte-identical with concurrency 1 and 8, and the experiment records the mode",
    async () => {
      const parallel = tempDir();
      await study(parallel, 8);
      expectSameAsReference(parallel);
      for (const experiment of EXPERIMENTS) {
        const config = YAML.parse(
          readFileSync(join(parallel, experiment, "version_0", "config.yaml"), "utf8"),
        ) as Record<string, unknown>;
        expect(config).toMatchObject({ deterministic: true, concurrency: 8 });
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "are byte-identical after SIGKILLs at random moments and resumes",
    async () => {
      const outputDir = tempDir();
      const args = ["eval", "-u", dotlist(settings(outputDir, 8))];
      const total = LIMIT * EXPERIMENTS.length;
      const random = new Mulberry32(20250402);
      for (let kill = 0; kill < 3; kill++) {
        const before = storedSamples(outputDir);
        // Kill once a random share of the rest is stored, plus a random moment in the next sample.
        const target = before + 1 + Math.floor(random.nextFloat() * ((total - before) / 3));
        const cli = startM1(args);
        const reached = await waitForCli(cli, () => storedSamples(outputDir) >= target);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random.nextFloat() * 200)));
        cli.child.kill("SIGKILL");
        const result = await cli.done;
        expect(reached, `run ${kill} ended before it was killed:\n${result.stderr}`).toBe(true);
      }
      expect(storedSamples(outputDir)).toBeLessThan(total);
      const final = await runM1(args);
      expect(final.stderr).toMatch(/resuming \(\d+\/16 samples done\)/);
      expect(final.code, final.stderr).toBe(0);
      expectSameAsReference(outputDir);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "are byte-identical while other processes keep every core busy",
    async () => {
      const burners = [0, 1, 2].map(() => burnCpu());
      try {
        const outputDir = tempDir();
        await study(outputDir, 8);
        expectSameAsReference(outputDir);
      } finally {
        for (const burner of burners) burner.kill("SIGKILL");
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe("the embedded engine's mode", () => {
  it("must stay the same when an experiment resumes (older experiments count as batched)", async () => {
    const outputDir = tempDir();
    const controller = new AbortController();
    const config = validateEvalConfig({ ...settings(outputDir, 4), budgets: [16], limit: 8 });
    // Interrupt after the first sample is stored.
    const abortAfterFirst: ProgressReporter = {
      ...silentProgress,
      group: () => ({
        add: () => ({ ...silentBar, increment: () => controller.abort() }),
        stop: () => {},
      }),
    };
    const first = await runStudy({
      config,
      signal: controller.signal,
      progress: abortAfterFirst,
      openBackend: (model) => openStudyBackend(config, model),
    });
    expect(first.interrupted).toBe(true);

    const batched = validateEvalConfig({ ...config, deterministic: false });
    await expect(
      runStudy({ config: batched, openBackend: (model) => openStudyBackend(batched, model) }),
    ).rejects.toThrow(
      /deterministic: experiment .* was started with deterministic=true, now false/,
    );

    // An experiment recorded before the key existed ran batched: only deterministic=false resumes it.
    const store = EvalStore.openInDirectory(outputDir);
    try {
      for (const experiment of store.listExperiments()) {
        const { deterministic: _mode, ...older } = experiment.config;
        store.db
          .prepare("UPDATE experiments SET config_json = ? WHERE id = ?")
          .run(JSON.stringify(older), experiment.id);
      }
    } finally {
      store.close();
    }
    await expect(
      runStudy({ config, openBackend: (model) => openStudyBackend(config, model) }),
    ).rejects.toThrow(/was started with deterministic=false, now true/);
    const resumed = await runStudy({
      config: batched,
      openBackend: (model) => openStudyBackend(batched, model),
    });
    expect(resumed.experiments.map((experiment) => experiment.outcome)).toEqual([
      "finished",
      "finished",
    ]);
  });
});

const burning: ChildProcess[] = [];
afterAll(() => {
  for (const child of burning) child.kill("SIGKILL");
});

/** A process that spins on a core until killed. */
function burnCpu(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  burning.push(child);
  return child;
}

function storedSamples(outputDir: string): number {
  const path = join(outputDir, STORE_FILE_NAME);
  if (!existsSync(path)) return 0;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM samples").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    // Created but not yet initialised.
    return 0;
  }
}
