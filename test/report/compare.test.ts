import { beforeAll, describe, expect, it } from "vitest";
import type { Comparison } from "../../src/report/compare.js";
import type { ReportOutputFormat } from "../../src/report/output-formats.js";
import { runReport } from "../../src/report/run-report.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";

/**
 * Two budgets on the same 30 questions with known flips:
 * MedQA (20): A right on q 0-9, B right on q 2-14 -> 2 right->wrong, 5 wrong->right.
 * PubMedQA (10): A right on q 0-5, B right on q 0-3 -> 2 right->wrong, 0 wrong->right.
 */
let directory: string;

beforeAll(() => {
  directory = temporaryDirectory("compare");
  buildSweepStore(directory, {
    points: [
      { model: "tiny", budget: 128, waitRounds: 0 },
      { model: "tiny", budget: 1024, waitRounds: 0 },
    ],
    sources: [
      { name: "MedQA", questions: 20 },
      { name: "PubMedQA", questions: 10 },
    ],
    correct: (point, source, question) =>
      source === 0
        ? point.budget === 128
          ? question < 10
          : question >= 2 && question < 15
        : point.budget === 128
          ? question < 6
          : question < 4,
  });
});

async function compare(
  a: string,
  b: string,
  options: {
    format?: ReportOutputFormat;
    directory?: string;
    resamples?: number;
    seed?: number;
    examples?: number;
  } = {},
) {
  return runReport({
    directories: [options.directory ?? directory],
    format: options.format ?? "json",
    compare: [a, b],
    resamples: options.resamples,
    seed: options.seed,
    examples: options.examples,
  });
}

async function compareJson(
  options: { resamples?: number; seed?: number; examples?: number } = {},
): Promise<Comparison> {
  return JSON.parse((await compare("budget_128", "budget_1024", options)).stdout) as Comparison;
}

describe("m1 report --compare", () => {
  it("counts flips per source and overall, with McNemar exact p-values", async () => {
    const comparison = await compareJson();
    expect(comparison.a).toBe("study/tiny/budget_128-wait_0-seed_42/version_0");
    expect(comparison.b).toBe("study/tiny/budget_1024-wait_0-seed_42/version_0");
    const byScope = Object.fromEntries(comparison.rows.map((row) => [row.scope, row]));
    expect(Object.keys(byScope)).toEqual(["MedQA", "PubMedQA", "all", "average"]);
    expect(byScope.MedQA).toMatchObject({
      paired_count: 20,
      correct_to_wrong: 2,
      wrong_to_correct: 5,
    });
    expect(byScope.MedQA!.accuracy_a).toBe(0.5);
    expect(byScope.MedQA!.accuracy_b).toBe(0.65);
    expect(byScope.MedQA!.difference).toBeCloseTo(0.15, 12);
    // 2 * P(X <= 2 | 7, 1/2) = 58/128; 2 * P(X <= 0 | 2, 1/2) = 1/2; pooled 2 * P(X <= 4 | 9) = 1.
    expect(byScope.MedQA!.mcnemar_p).toBeCloseTo(58 / 128, 12);
    expect(byScope.PubMedQA!.mcnemar_p).toBeCloseTo(0.5, 12);
    expect(byScope.all).toMatchObject({
      paired_count: 30,
      correct_to_wrong: 4,
      wrong_to_correct: 5,
    });
    expect(byScope.all!.mcnemar_p).toBeCloseTo(1, 12);
    expect(byScope.average!.mcnemar_p).toBeNull();
    expect(byScope.average!.difference).toBeCloseTo((0.15 + -0.2) / 2, 12);
    expect(comparison.bootstrap).toEqual({ resamples: 10000, seed: 42 });
  });

  it("gives example question ids and question starts for each flip direction", async () => {
    const comparison = await compareJson({ examples: 2 });
    const medqa = comparison.rows.find((row) => row.scope === "MedQA")!;
    expect(medqa.examples.correct_to_wrong).toEqual([
      {
        question_id: "MedQA-000000",
        source: "MedQA",
        question_start: "Question 0 of MedQA: which option is right?",
      },
      {
        question_id: "MedQA-000001",
        source: "MedQA",
        question_start: "Question 1 of MedQA: which option is right?",
      },
    ]);
    expect(medqa.examples.wrong_to_correct.map((example) => example.question_id)).toEqual([
      "MedQA-000010",
      "MedQA-000011",
    ]);
  });

  it("reproduces the bootstrap interval exactly for the same seed", async () => {
    const first = await compareJson({ resamples: 2000, seed: 5 });
    const second = await compareJson({ resamples: 2000, seed: 5 });
    expect(second).toEqual(first);
    const all = first.rows.find((row) => row.scope === "all")!;
    expect(all.ci95_low).toBeLessThan(all.difference);
    expect(all.ci95_high).toBeGreaterThan(all.difference);
  });

  it("prints a markdown table and flipped questions by default", async () => {
    const result = await compare("budget_128", "budget_1024", { format: "md" });
    expect(result.stdout).toContain(
      "| scope | paired | A % | B % | B − A (pts) | 95% CI (bootstrap) | A✓ B✗ | A✗ B✓ | McNemar p |",
    );
    expect(result.stdout).toContain("| MedQA | 20 | 50.0 | 65.0 | +15.0 |");
    expect(result.stdout).toContain("Right in A, wrong in B (4), for example:");
    expect(result.stdout).toContain(
      "- [MedQA] MedQA-000000: Question 0 of MedQA: which option is right?",
    );
  });

  it("matches m1's own files by source and question text", async () => {
    const result = await compare("thinking_buget_128", "thinking_buget_2048", {
      directory: M1_OUTPUTS,
    });
    const comparison = JSON.parse(result.stdout) as Comparison;
    const all = comparison.rows.find((row) => row.scope === "all")!;
    expect(all).toMatchObject({ paired_count: 11, correct_to_wrong: 0, wrong_to_correct: 5 });
    expect(all.mcnemar_p).toBeCloseTo(2 / 32, 12);
    expect(all.examples.wrong_to_correct[0]).toEqual({
      question_id: "sample_1",
      source: "MedMCQA_validation",
      question_start: "Drug of choice for absence seizures is",
    });
  });
});
