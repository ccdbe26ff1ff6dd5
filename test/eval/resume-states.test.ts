import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateEvalConfig } from "../../src/eval/config/load.js";
import { openStudyBackend } from "../../src/eval/study/model-backend.js";
import { runStudy, type StudyResult } from "../../src/eval/study/study.js";
import { EvalStore } from "../../src/eval/store/index.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { useTempDirs } from "../support/temp-dirs.js";
import {
  makeItems,
  scriptedMedicalModel,
  wrongLetter,
  writeEvalFile,
  type ScriptedAnswer,
} from "../fixtures/eval/medical-model.js";

/**
 * Resuming from the states an interrupted or killed run leaves (in process, real harness and
 * store): Ctrl-C mid-run, a run killed before its config.yaml was written, half-written files.
 */

const tempDir = useTempDirs("m1-resume-states-");
const items = makeItems("alpha", 10);
const answers = new Map<string, ScriptedAnswer>(
  items.map((item, index) => [
    item.question,
    { reply: index % 4 === 0 ? wrongLetter(item) : item.answer_idx },
  ]),
);
const model = scriptedMedicalModel(answers);

let server: FakeOpenAIServer;
let evalPath: string;
/** Called with each completion request's number (to interrupt a run at a chosen moment). */
let onCompletion: (count: number) => void = () => {};
let completions = 0;

beforeAll(async () => {
  server = await startFakeOpenAIServer({
    model: (prompt) => {
      onCompletion(++completions);
      return model(prompt);
    },
  });
  evalPath = writeEvalFile(join(tempDir(), "states.json"), { alpha: items });
});
afterAll(() => server.close());

async function study(
  outputDir: string,
  signal?: AbortSignal,
  overrides: Record<string, unknown> = {},
): Promise<StudyResult> {
  const config = validateEvalConfig({
    eval_data_path: evalPath,
    base_url: server.baseUrl,
    force_think: true,
    max_new_tokens: 48,
    max_new_answer_tokens: 24,
    concurrency: 2,
    retries: 0,
    output_dir: outputDir,
    exp_name: "states",
    ...overrides,
  });
  return runStudy({
    config,
    signal,
    openBackend: (studyModel) => openStudyBackend(config, studyModel),
  });
}

const versionDir = (outputDir: string) => join(outputDir, "states", "version_0");

function sampleCount(outputDir: string): number {
  const store = EvalStore.openInDirectory(outputDir, { readonly: true });
  try {
    return store.db.prepare("SELECT COUNT(*) FROM samples").pluck().get() as number;
  } finally {
    store.close();
  }
}

describe("resuming m1 eval", () => {
  it("stops cleanly on an interrupt (no m1 result files yet) and resumes to the clean run's results", async () => {
    const cleanDir = tempDir();
    await study(cleanDir);

    const outputDir = tempDir();
    const controller = new AbortController();
    completions = 0;
    onCompletion = (count) => {
      if (count === 7) controller.abort();
    };
    const interrupted = await study(outputDir, controller.signal);
    onCompletion = () => {};
    expect(interrupted.interrupted).toBe(true);
    expect(interrupted.experiments.map((item) => item.outcome)).toEqual(["interrupted"]);
    const saved = sampleCount(outputDir);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(items.length);
    expect(readdirSync(versionDir(outputDir)).sort()).toEqual(["config.yaml", "log.txt"]);

    const resumed = await study(outputDir);
    expect(resumed.experiments.map((item) => item.outcome)).toEqual(["finished"]);
    expect(resumed.experiments[0]!.run!.alreadyDone).toBe(saved);
    expect(resumed.experiments[0]!.run!.answered).toBe(items.length - saved);
    for (const name of ["metrics.json", "states.json", "states.scored.json"]) {
      expect(readFileSync(join(versionDir(outputDir), name), "utf8")).toBe(
        readFileSync(join(versionDir(cleanDir), name), "utf8"),
      );
    }
    expect(readFileSync(join(versionDir(outputDir), "log.txt"), "utf8")).toMatch(
      /^Start time: .*\nResume time: .*\nEnd time: .*\nScript runtime: \d\d:\d\d:\d\d\n$/,
    );
    expect(sampleCount(outputDir)).toBe(items.length);
  });

  it("writes the missing config.yaml and removes half-written files when it resumes", async () => {
    const outputDir = tempDir();
    const controller = new AbortController();
    completions = 0;
    onCompletion = (count) => {
      if (count === 3) controller.abort();
    };
    await study(outputDir, controller.signal);
    onCompletion = () => {};
    const configBefore = readFileSync(join(versionDir(outputDir), "config.yaml"), "utf8");
    // What a kill at the wrong moment leaves: the experiment is in the store, config.yaml is not
    // written yet, and a results file was being written.
    rmSync(join(versionDir(outputDir), "config.yaml"));
    writeFileSync(join(versionDir(outputDir), "metrics.json.tmp-99999"), '{"alpha": {');

    const resumed = await study(outputDir);
    expect(resumed.experiments.map((item) => item.outcome)).toEqual(["finished"]);
    expect(readdirSync(versionDir(outputDir)).sort()).toEqual([
      "config.yaml",
      "log.txt",
      "metrics.json",
      "states.json",
      "states.scored.json",
    ]);
    expect(readFileSync(join(versionDir(outputDir), "config.yaml"), "utf8")).toBe(configBefore);
    expect(existsSync(join(outputDir, "states", "version_1"))).toBe(false);
  });

  it("refuses to resume a single experiment with another thinking budget, before writing anything", async () => {
    const outputDir = tempDir();
    const controller = new AbortController();
    completions = 0;
    onCompletion = (count) => {
      if (count === 3) controller.abort();
    };
    await study(outputDir, controller.signal);
    onCompletion = () => {};
    const logBefore = readFileSync(join(versionDir(outputDir), "log.txt"), "utf8");
    // A request cancelled by the interrupt may still reach the server a moment later.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const requestsBefore = server.requests.length;

    // Without sweeps the budget is not part of the directory name: resuming must check it.
    await expect(study(outputDir, undefined, { max_new_tokens: 96 })).rejects.toThrow(
      "max_new_tokens: experiment states/version_0 was started with max_new_tokens=48, now 96",
    );
    expect(server.requests.length).toBe(requestsBefore);
    expect(readFileSync(join(versionDir(outputDir), "log.txt"), "utf8")).toBe(logBefore);
  });

  it("writes config.yaml with m1's keys in m1's order (base.yaml), then ours", async () => {
    const outputDir = tempDir();
    await study(outputDir);
    const keys = readFileSync(join(versionDir(outputDir), "config.yaml"), "utf8")
      .split("\n")
      .filter((line) => /^[a-z0-9_]+:/.test(line))
      .map((line) => line.slice(0, line.indexOf(":")));
    // m1's base.yaml, in its order.
    const m1Keys = [
      "model_path",
      "tokenizer_path",
      "port",
      "dp",
      "tp",
      "mem_fraction_static",
      "log_level",
      "use_chat_template",
      "max_tokens",
      "max_new_tokens",
      "print_example",
      "force_think",
      "max_new_answer_tokens",
      "think_str",
      "start_answer_str",
      "start_overthink_answer_str",
      "seed",
      "eval_data_path",
      "eval_data_md5sum",
      "limit",
      "prefix_prompt",
      "prefix_prompt_delimiter",
      "suffix_prompt",
      "suffix_prompt_delimiter",
      "batch_size",
      "output_dir",
      "exp_name",
      "overwrite",
      "version",
      "temperature",
      "frequency_penalty",
      "timeout",
      "keep_think_below_budget_times",
      "keep_think_below_budget_str",
    ];
    expect(keys.slice(0, m1Keys.length)).toEqual(m1Keys);
    expect(keys.slice(m1Keys.length)).toContain("base_url");
    expect(keys.at(-1)).toBe("model");
  });

  it("lists experiments in the sweep's order when some were skipped", async () => {
    const outputDir = tempDir();
    await study(outputDir, undefined, { budgets: [64] });
    const result = await study(outputDir, undefined, { budgets: [32, 64, 80] });
    expect(result.experiments.map((item) => [item.point.thinkingBudget, item.outcome])).toEqual([
      [32, "finished"],
      [64, "skipped"],
      [80, "finished"],
    ]);
  });
});
