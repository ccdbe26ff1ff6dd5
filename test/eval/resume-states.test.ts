import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StudyResult } from "../../src/eval/study/study.js";
import { makeItems, wrongLetter } from "../fixtures/eval/medical-model.js";
import { answersFor, readStore, useScriptedStudy } from "../fixtures/eval/scripted-study.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * Resuming from the states an interrupted or killed run leaves (in process, real harness and
 * store): Ctrl-C mid-run, a run killed before its config.yaml was written, half-written files.
 */

const tempDir = useTempDirs("m1-resume-states-");
const items = makeItems("alpha", 10);
/** Called with each completion request's number (to interrupt a run at a chosen moment). */
let onCompletion: (count: number) => void = () => {};
let completions = 0;

const setup = useScriptedStudy({
  dir: tempDir,
  evalFile: "states.json",
  sources: { alpha: items },
  answers: answersFor({ alpha: items }, (item, index) =>
    index % 4 === 0 ? wrongLetter(item) : item.answer_idx,
  ),
  wrapModel: (model) => (prompt) => {
    onCompletion(++completions);
    return model(prompt);
  },
});

function study(
  outputDir: string,
  signal?: AbortSignal,
  overrides: Record<string, unknown> = {},
): Promise<StudyResult> {
  return setup.study(
    {
      force_think: true,
      max_new_tokens: 48,
      max_new_answer_tokens: 24,
      concurrency: 2,
      retries: 0,
      output_dir: outputDir,
      exp_name: "states",
      ...overrides,
    },
    signal,
  );
}

const versionDir = (outputDir: string) => join(outputDir, "states", "version_0");

function sampleCount(outputDir: string): number {
  return readStore(
    outputDir,
    (store) => store.db.prepare("SELECT COUNT(*) FROM samples").pluck().get() as number,
  );
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
    const requestsBefore = setup.server.requests.length;

    // Without sweeps the budget is not part of the directory name: resuming must check it.
    await expect(study(outputDir, undefined, { max_new_tokens: 96 })).rejects.toThrow(
      "max_new_tokens: experiment states/version_0 was started with max_new_tokens=48, now 96",
    );
    expect(setup.server.requests.length).toBe(requestsBefore);
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
