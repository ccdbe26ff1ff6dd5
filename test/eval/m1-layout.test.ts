import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSamples, readVersionDirectory } from "../../src/eval/m1-layout/read.js";
import { scoreResultsFile } from "../../src/eval/scoring/index.js";
import { InputError } from "../../src/errors.js";
import { discoverExperiments } from "../../src/report/discover.js";
import { SampleLoader } from "../../src/report/samples.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";

const BUDGET_128 = "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0";

describe("finding experiments in m1's own output layout", () => {
  it("finds every version directory with metrics.json and reads its sweep settings", () => {
    const experiments = discoverExperiments([M1_OUTPUTS]);
    expect(experiments.map((experiment) => experiment.label)).toEqual([
      "250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K/keep_thinking_below_budget_0/version_0",
      "250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K/keep_thinking_below_budget_2/version_0",
      BUDGET_128,
      "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_512/version_0",
      "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_2048/version_0",
    ]);
    const first = experiments.find((experiment) => experiment.label === BUDGET_128)!;
    expect(first).toMatchObject({
      expName: "thinking_buget_128",
      model: "UCSC-VLAA/m1-7B-1K",
      thinkingBudget: 128,
      waitRounds: 0,
      seed: 42,
      origin: { kind: "files" },
    });
    expect(first.sources).toEqual([
      { source: "MedMCQA_validation", correct_count: 1, total_count: 4 },
      { source: "MedQA_USLME_test", correct_count: 1, total_count: 4 },
      { source: "PubMedQA_test", correct_count: 1, total_count: 3 },
    ]);
  });

  it("reads per-sample correctness from the JSON Lines scored file and tokens from the results", () => {
    const experiments = discoverExperiments([M1_OUTPUTS]);
    using loader = new SampleLoader();
    const outcomes = loader.outcomes(
      experiments.find((experiment) => experiment.label === BUDGET_128)!,
    );
    expect(outcomes).toHaveLength(11);
    expect(
      outcomes.filter((outcome) => outcome.correct).map((outcome) => outcome.sampleIndex),
    ).toEqual([0, 4, 8]);
    expect(outcomes[3]!.question).toBe("Café-au-lait spots are seen in");
    expect(outcomes[0]).toMatchObject({
      source: "MedMCQA_validation",
      thinkingFinishReason: "length",
      numGenTokens: 142,
      thinkingTokens: null,
      questionKey: null,
    });
  });

  it("lists an experiment found in the store and as files once, from the store", () => {
    const directory = temporaryDirectory("dedupe");
    buildSweepStore(directory, {
      points: [{ model: "tiny", budget: 256, waitRounds: 0 }],
      sources: [{ name: "MedQA", questions: 5 }],
      correct: (_point, _source, question) => question < 3,
      writeMetricsFiles: true,
    });
    const experiments = discoverExperiments([directory]);
    expect(experiments).toHaveLength(1);
    expect(experiments[0]).toMatchObject({
      label: "study/tiny/budget_256-wait_0-seed_42/version_0",
      origin: { kind: "store" },
      status: "finished",
    });
  });

  it("reads a tree holding both a store and other m1-layout experiments", () => {
    const directory = temporaryDirectory("mixed");
    buildSweepStore(directory, {
      points: [{ model: "tiny", budget: 256, waitRounds: 0 }],
      sources: [{ name: "MedQA", questions: 5 }],
      correct: () => true,
    });
    cpSync(M1_OUTPUTS, join(directory, "m1"), { recursive: true });
    const experiments = discoverExperiments([directory]);
    expect(experiments).toHaveLength(6);
    expect(experiments.filter((experiment) => experiment.origin.kind === "store")).toHaveLength(1);
  });
});

describe("one name for the scored file", () => {
  it("finds the files `m1 score` writes for an eval file whose stem has a dot", async () => {
    const versionDir = join(temporaryDirectory("scored-name"), "exp", "version_0");
    mkdirSync(versionDir, { recursive: true });
    writeFileSync(join(versionDir, "config.yaml"), "eval_data_path: data/medqa.v2.json\n");
    copyFileSync(
      join(M1_OUTPUTS, BUDGET_128.replace("version_0", "version_0/m1_eval_data.json")),
      join(versionDir, "medqa.v2.json"),
    );
    const scored = await scoreResultsFile(join(versionDir, "medqa.v2.json"));
    expect(scored.scoredPath).toBe(join(versionDir, "medqa.v2.scored.json"));
    const directory = readVersionDirectory(versionDir);
    expect(directory.resultsPath).toBe(join(versionDir, "medqa.v2.json"));
    expect(directory.scoredPath).toBe(scored.scoredPath);
    expect(readSamples(directory).map((sample) => sample.correct)).toEqual(
      (JSON.parse(readFileSync(scored.scoredPath, "utf8")) as Array<{ correct: boolean }>).map(
        (record) => record.correct,
      ),
    );
  });
});

describe("bad input", () => {
  it("reports a missing directory as an input error", () => {
    expect(() => discoverExperiments(["/nonexistent/m1-outputs"])).toThrow(InputError);
  });

  it("reports a directory without experiments as an input error naming it", () => {
    const directory = temporaryDirectory("empty-discover");
    expect(() => discoverExperiments([directory])).toThrow(`${directory}: no experiments found`);
  });
});
