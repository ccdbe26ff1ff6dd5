import { beforeAll, describe, expect, it } from "vitest";
import { bundledDataPath } from "../../src/paths.js";
import { validateEvalConfig } from "../../src/eval/config/load.js";
import { openStudyBackend } from "../../src/eval/study/model-backend.js";
import { runStudy } from "../../src/eval/study/study.js";
import { discoverExperiments } from "../../src/report/discover.js";
import { probeCurve } from "../../src/report/probe-curve.js";
import { runReport } from "../../src/report/run-report.js";
import { SampleLoader } from "../../src/report/samples.js";
import { useTempDir } from "../support/temp-dirs.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * One capped run with answer probes gives the accuracy of every smaller budget: `m1 eval` on the
 * smoke model (greedy, deterministic) at budgets 32, 64 and 96, and once at 96 with a probe every
 * 32 tokens; the curve `m1 report` reads from the probes equals the three runs, question by
 * question.
 */
const tempDir = useTempDir("m1-probe-curve-");
const ANSWER_TOKENS = 12;
let outputDir: string;

beforeAll(async () => {
  outputDir = tempDir();
  const base = {
    model_path: await tinyModelPath(),
    eval_data_path: bundledDataPath("demo", "pubmedqa_demo.json"),
    force_think: true,
    max_new_answer_tokens: ANSWER_TOKENS,
    suffix_prompt: "Return your final response within \\boxed{{}}.",
    limit: 10,
    output_dir: outputDir,
    context_size: 2048,
  };
  for (const overrides of [
    { exp_name: "separate", budgets: [32, 64, 96] },
    // Probes read their answer from as many tokens as a run's answer has.
    { exp_name: "capped", max_new_tokens: 96, probe_every: 32, probe_tokens: ANSWER_TOKENS },
  ]) {
    const config = validateEvalConfig({ ...base, ...overrides });
    const result = await runStudy({
      config,
      openBackend: (model) => openStudyBackend(config, model),
    });
    expect(result.failedSamples).toBe(0);
  }
}, 180_000);

describe("the budget curve of one capped run", () => {
  it("matches separate runs at every probed budget, question by question", async () => {
    const experiments = discoverExperiments([outputDir]);
    using loader = new SampleLoader();
    const capped = experiments.find((experiment) => experiment.label.startsWith("capped/"))!;
    const curve = probeCurve(capped, loader.outcomes(capped), experiments)!;
    expect(curve.points.map((point) => point.budget)).toEqual([32, 64, 96]);
    for (const point of curve.points) {
      const separate = experiments.find(
        (experiment) => experiment.label === point.separate?.experiment,
      )!;
      expect(separate.thinkingBudget).toBe(point.budget);
      expect(point.average.correct_count).toBe(point.separate!.average.correct_count);
      // Question by question: the probe at B (or the model's own stop within B) and the run at B.
      const outcomes = loader.outcomes(separate);
      const fromProbes = loader.outcomes(capped).map((outcome) => {
        if (point.budget === 96) return outcome.correct;
        if (outcome.stoppedBy === "model" && outcome.thinkingTokens! <= point.budget) {
          return outcome.correct;
        }
        return outcome.probes!.find((probe) => probe.thinking_tokens === point.budget)!.correct;
      });
      expect(fromProbes).toEqual(outcomes.map((outcome) => outcome.correct));
    }
    // Forced answers happened: the curve was not just the runs' own stops.
    const probedAt32 = loader
      .outcomes(capped)
      .filter((outcome) => outcome.probes?.some((probe) => probe.thinking_tokens === 32));
    expect(probedAt32.length).toBeGreaterThan(3);
    const report = await runReport({ directories: [outputDir], format: "md" });
    expect(report.stdout).toContain("Accuracy by budget from the probes of one run: capped/");
    expect(report.stdout).toMatch(/\| 32 \| .* separate\/budget_32-wait_0-seed_42\/version_0 \|/);
  });
});
