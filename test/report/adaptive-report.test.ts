import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StoredProbe, StoredSample } from "../../src/eval/store/index.js";
import {
  expectedCalibrationError,
  riskCoverage,
  type CalibrationCurve,
} from "../../src/report/calibration.js";
import { computeLevels, type ComputePoint } from "../../src/report/compute.js";
import { paretoFrontier } from "../../src/report/plots/adaptive-specs.js";
import { probeCurve, probeCurveProblem, type ProbeCurve } from "../../src/report/probe-curve.js";
import { discoverExperiments } from "../../src/report/discover.js";
import { SampleLoader } from "../../src/report/samples.js";
import { runReport } from "../../src/report/run-report.js";
import type { StopsRow } from "../../src/report/stops.js";
import { wilsonInterval } from "../../src/report/stats/wilson.js";
import {
  buildSweepStore,
  experimentName,
  type SweepPoint,
} from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";
import { runCli } from "../support/cli.js";

/**
 * The adaptive-compute parts of `m1 report` on a synthetic store whose every count is chosen:
 * how answers came about (stops, guesses, natural vs forced, Wait flips, votes), the budget curve
 * read from one run's probes, accuracy against compute, calibration; and `m1 score`'s columns on
 * m1's own files.
 */

const SOURCES = [
  { name: "alpha", questions: 10 },
  { name: "beta", questions: 10 },
];
const PLAIN: SweepPoint = { model: "m", budget: 64, waitRounds: 0 };
const WAIT: SweepPoint = { model: "m", budget: 64, waitRounds: 1 };
const PROBED: SweepPoint = { model: "m", budget: 256, waitRounds: 0, config: { probe_every: 64 } };
const VOTES: SweepPoint = { model: "m", budget: 64, waitRounds: 0, samplesPerQuestion: 3 };
const EARLY: SweepPoint = {
  model: "m",
  budget: 256,
  waitRounds: 0,
  seed: 7,
  config: { probe_every: 32, early_exit_patience: 2 },
};

/**
 * PLAIN: the first 12 samples right; thinking stopped by itself on even samples. WAIT: right on
 * samples 2..13 (so 0 and 1 flipped to wrong, 12 and 13 to right). PROBED: right on the first
 * 15; its probes say right at 64 on samples < 5, at 128 on samples < 10, at 192 on samples < 12;
 * samples 18 and 19 stopped by themselves at 100 tokens. VOTES: right on samples < 8, vote share
 * 2/3 (1 for the right ones). EARLY: right on the first 16; early exit on samples < 10.
 */
function correct(point: SweepPoint, _source: number, _q: number, index: number): boolean {
  if (point === WAIT) return index >= 2 && index < 14;
  if (point === PROBED) return index < 15;
  if (point === VOTES) return index < 8;
  if (point === EARLY) return index < 16;
  return index < 12;
}

function probe(tokens: number, right: boolean): StoredProbe {
  return {
    thinking_tokens: tokens,
    thinking_chars: tokens * 4,
    answer: right ? "A" : "B",
    response_text: "<|im_start|>answer\nFinal Answer: ...",
    correct: right,
  };
}

function sample(point: SweepPoint, index: number, base: StoredSample): Partial<StoredSample> {
  const decided = index % 5 === 0 ? "difflib" : "letter";
  if (point === PLAIN) {
    return { stopped_by: index % 2 === 0 ? "model" : "budget", decided_by: decided };
  }
  if (point === PROBED) {
    const stoppedEarly = index >= 18;
    return {
      stopped_by: stoppedEarly ? "model" : "budget",
      thinking_tokens: stoppedEarly ? 100 : 256,
      choice: "A",
      probe_answers: [
        probe(64, index < 5),
        ...(stoppedEarly ? [] : [probe(128, index < 10), probe(192, index < 12)]),
      ],
      probe_tokens_total: 60,
      compute_tokens: 400,
      decided_by: "letter",
    };
  }
  if (point === VOTES) {
    return { vote_share: base.correct ? 1 : 2 / 3, compute_tokens: 240, decided_by: "letter" };
  }
  if (point === EARLY) {
    return {
      stopped_by: index < 10 ? "converged" : "budget",
      compute_tokens: 150,
      decided_by: "letter",
    };
  }
  return { decided_by: "letter", stopped_by: "budget" };
}

function build(): string {
  const directory = temporaryDirectory("adaptive-report");
  buildSweepStore(directory, {
    points: [PLAIN, WAIT, PROBED, VOTES, EARLY],
    sources: SOURCES,
    correct,
    sample,
  });
  return directory;
}

describe("how answers came about (m1 report --stops)", () => {
  it("counts stops, guesses and votes, splits accuracy by natural and forced stops, and counts Wait flips", async () => {
    const directory = build();
    const result = await runReport({ directories: [directory], format: "json", stops: true });
    const rows = (JSON.parse(result.stdout) as { stops: StopsRow[] }).stops;
    const row = (point: SweepPoint) =>
      rows.find((entry) => entry.experiment === experimentName(point))!;

    const plain = row(PLAIN);
    expect(plain.samples).toBe(20);
    expect(plain.stopped_by).toEqual({ model: 10, budget: 10, converged: 0, loop: 0 });
    expect(plain.guessed).toBe(4);
    expect(plain.decided_by).toEqual({ difflib: 4, letter: 16 });
    // Natural stops are the even samples: 0..10 right (6 of 10); forced: 1..11 right (6 of 10).
    const interval = wilsonInterval(6, 10);
    expect(plain.natural).toEqual({
      correct: 6,
      total: 10,
      accuracy: 0.6,
      ci95_low: interval.low,
      ci95_high: interval.high,
    });
    expect(plain.forced.correct).toBe(6);
    expect(plain.wait_flips).toBeNull();

    expect(row(WAIT).wait_flips).toEqual({
      against: experimentName(PLAIN),
      right_to_wrong: 2,
      wrong_to_right: 2,
    });
    expect(row(VOTES).votes?.samples_per_question).toBe(3);
    expect(row(VOTES).votes?.mean_vote_share).toBeCloseTo((8 * 1 + 12 * (2 / 3)) / 20, 12);
    expect(row(VOTES).compute_tokens_per_question).toBe(240);
    expect(row(EARLY).stopped_by.converged).toBe(10);
    expect(row(PROBED).probe_tokens_per_question).toBe(60);
  });

  it("adds the table to the markdown report, and refuses csv for more than it holds", async () => {
    const directory = build();
    const result = await runCli(["report", directory]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("### How answers came about");
    expect(result.stdout).toMatch(
      /\| study\/m\/budget_64-wait_1-seed_42\/version_0 \| 20 \|.*\| 2 \/ 2 \|/,
    );
    const csv = await runCli(["report", directory, "--stops", "--format", "csv"]);
    expect(csv.stdout.split("\n")[0]).toMatch(
      /^experiment,samples,stopped_by_model,stopped_by_budget/,
    );
    const refused = await runCli(["report", directory, "--compute", "--format", "csv"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--format csv holds one table");
  });
});

describe("the accuracy-vs-budget curve from one capped run's probes", () => {
  it("reads each budget below the cap from the probe taken there, the cap from the answers", async () => {
    const directory = build();
    const experiments = discoverExperiments([directory]);
    using loader = new SampleLoader();
    const probed = experiments.find((entry) => entry.label === experimentName(PROBED))!;
    const curve: ProbeCurve = probeCurve(probed, loader.outcomes(probed), experiments)!;
    // At 64: right by probe on samples < 5 (18 and 19 were still thinking). At 128: samples < 10
    // by probe; 18 and 19 had stopped by themselves at 100 tokens (wrong). At 192: < 12. At the
    // cap, 256: the answers themselves, < 15.
    expect(
      curve.points.map((point) => [
        point.budget,
        point.sources.map((source) => source.correct_count),
      ]),
    ).toEqual([
      [64, [5, 0]],
      [128, [10, 0]],
      [192, [10, 2]],
      [256, [10, 5]],
    ]);
    // The plain run at budget 64 is shown beside it.
    expect(curve.points[0]!.separate?.experiment).toBe(experimentName(PLAIN));
    // Runs whose probes changed their course give no curve.
    const early = experiments.find((entry) => entry.label === experimentName(EARLY))!;
    expect(probeCurveProblem(early)).toBe("early exit changed how long it thought");

    const result = await runReport({
      directories: [directory],
      format: "md",
      plotDirectory: join(directory, "plots"),
    });
    expect(result.stdout).toContain(
      `Accuracy by budget from the probes of one run: ${experimentName(PROBED)}`,
    );
    expect(result.written.some((path) => path.endsWith("accuracy-vs-budget-from-probes.png"))).toBe(
      true,
    );
  });
});

describe("accuracy against compute, and calibration", () => {
  const point = (
    kind: ComputePoint["kind"],
    meanTokens: number,
    accuracy: number,
  ): ComputePoint => ({
    group: "m",
    experiment: `${kind}-${meanTokens}`,
    strategy: `${kind} ${meanTokens}`,
    kind,
    meanTokens,
    accuracy,
    low: accuracy - 0.1,
    high: accuracy + 0.1,
    questions: 100,
  });

  it("names the most accurate strategy within each compute level, overall and per kind", () => {
    const points = [
      point("sequential", 300, 0.5),
      point("sequential", 900, 0.6),
      point("parallel", 1000, 0.65),
      point("adaptive", 500, 0.58),
      point("sequential", 3000, 0.62),
    ];
    const levels = computeLevels(points);
    expect(levels.map((level) => [level.level, level.best.experiment])).toEqual([
      [512, "adaptive-500"],
      [1024, "parallel-1000"],
      [2048, "parallel-1000"],
      [4096, "parallel-1000"],
    ]);
    expect(levels[3]!.bestOf.sequential!.experiment).toBe("sequential-3000");
    expect(paretoFrontier(points).map((entry) => entry.experiment)).toEqual([
      "sequential-300",
      "adaptive-500",
      "sequential-900",
      "parallel-1000",
    ]);
  });

  it("draws risk-coverage and computes the expected calibration error", () => {
    const items = [
      { confidence: 1, correct: true },
      { confidence: 1, correct: true },
      { confidence: 0.5, correct: false },
      { confidence: 0.5, correct: true },
      { confidence: 0.25, correct: false },
    ];
    expect(riskCoverage(items)).toEqual([
      { coverage: 0.4, accuracy: 1, threshold: 1 },
      { coverage: 0.8, accuracy: 0.75, threshold: 0.5 },
      { coverage: 1, accuracy: 0.6, threshold: 0.25 },
    ]);
    // Bins: {1, 1} right (gap 0), {0.5, 0.5} half right (gap 0), {0.25} wrong (gap 0.25).
    expect(expectedCalibrationError(items)).toBeCloseTo(0.25 / 5, 12);
  });

  it("prints --compute and --calibration from the store, and plots both", async () => {
    const directory = build();
    const plots = join(directory, "plots");
    const result = await runReport({
      directories: [directory],
      format: "json",
      compute: true,
      calibration: true,
      plotDirectory: plots,
    });
    const body = JSON.parse(result.stdout) as {
      compute: { points: ComputePoint[] };
      calibration: CalibrationCurve[];
    };
    const votes = body.compute.points.find((entry) => entry.experiment === experimentName(VOTES))!;
    expect(votes).toMatchObject({ kind: "parallel", meanTokens: 240, accuracy: 0.4 });
    expect(votes.strategy).toBe("3 x budget 64, vote");
    const early = body.compute.points.find((entry) => entry.experiment === experimentName(EARLY))!;
    expect(early).toMatchObject({ kind: "adaptive", strategy: "budget 256 · early exit 2@32" });
    const signals = body.calibration.map((curve) => [curve.experiment, curve.signal, curve.source]);
    expect(signals).toContainEqual([experimentName(VOTES), "vote share", "all"]);
    // Probe agreement: the share of probes naming the final answer (A).
    expect(signals).toContainEqual([experimentName(PROBED), "probe agreement", "alpha"]);
    for (const name of ["accuracy-vs-compute", "risk-coverage"]) {
      const png = join(plots, `${name}.png`);
      expect(existsSync(png)).toBe(true);
      expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
    }
  });
});

describe("m1 score on m1's own results", () => {
  it("prints how the answers came about, from m1's fields", async () => {
    const results = join(
      M1_OUTPUTS,
      "250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K/keep_thinking_below_budget_2/version_0/m1_eval_data.json",
    );
    const out = temporaryDirectory("score-stops");
    const result = await runCli(["score", results, "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("how answers came about");
    expect(result.stdout).toMatch(/thinking ended by model\s+hit budget/);
    const report = await runReport({ directories: [M1_OUTPUTS], format: "json", stops: true });
    const rows = (JSON.parse(report.stdout) as { stops: StopsRow[] }).stops;
    const wait = rows.find((row) => row.experiment.includes("keep_thinking_below_budget_2"))!;
    expect(wait.wait_flips?.against).toContain("keep_thinking_below_budget_0");
    expect(wait.samples).toBeGreaterThan(0);
  });
});
