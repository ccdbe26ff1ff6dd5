import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { SweepParameter } from "../../src/report/experiments.js";
import type { ReportOutputFormat } from "../../src/report/output-formats.js";
import { pythonFloatRepr as pythonFloat } from "../../src/python/float.js";
import { runReport } from "../../src/report/run-report.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";

async function report(directory: string, format: ReportOutputFormat = "md", by?: SweepParameter) {
  return runReport({ directories: [directory], format, by });
}

const BUDGET_128 = "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0";

describe("m1 report --format json", () => {
  it("prints exactly one JSON array: a row per (experiment, source) and an average per experiment", async () => {
    const result = await report(M1_OUTPUTS, "json");
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(Array.isArray(rows)).toBe(true);
    expect(rows).toHaveLength(5 * 4);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual([
        "experiment",
        "source",
        "correct_count",
        "total_count",
        "accuracy",
        "ci95_low",
        "ci95_high",
      ]);
    }
    const ofBudget128 = rows.filter((row) => row.experiment === BUDGET_128);
    expect(ofBudget128.map((row) => row.source)).toEqual([
      "MedMCQA_validation",
      "MedQA_USLME_test",
      "PubMedQA_test",
      "average",
    ]);
    expect(ofBudget128[0]).toMatchObject({ correct_count: 1, total_count: 4, accuracy: 0.25 });
    // Wilson 95% for 1/4 (scipy binomtest(1, 4).proportion_ci(method="wilson")).
    expect(ofBudget128[0]!.ci95_low).toBeCloseTo(0.04558726080970055, 12);
    expect(ofBudget128[0]!.ci95_high).toBeCloseTo(0.6993581574175981, 12);
    const average = ofBudget128[3]!;
    expect(average.accuracy).toBeCloseTo((0.25 + 0.25 + 1 / 3) / 3, 15);
    expect(average).toMatchObject({ correct_count: 3, total_count: 11 });
    expect(result.warnings).toEqual([]);
  });

  it("names store experiments by their store name", async () => {
    const directory = temporaryDirectory("json-store");
    buildSweepStore(directory, {
      points: [{ model: "tiny", budget: 64, waitRounds: 1 }],
      sources: [{ name: "MedQA", questions: 10 }],
      correct: (_point, _source, question) => question % 2 === 0,
    });
    const rows = JSON.parse((await report(directory, "json")).stdout) as Array<
      Record<string, unknown>
    >;
    expect(
      rows.map((row) => [row.experiment, row.source, row.correct_count, row.total_count]),
    ).toEqual([
      ["study/tiny/budget_64-wait_1-seed_42/version_0", "MedQA", 5, 10],
      ["study/tiny/budget_64-wait_1-seed_42/version_0", "average", 5, 10],
    ]);
  });
});

describe("m1 report --format tsv (m1's gather_results columns)", () => {
  it("writes path, exp_name, clean_exp_name and one accuracy column per source, sorted by exp_name", async () => {
    const given = relative(process.cwd(), M1_OUTPUTS);
    const result = await report(given, "tsv");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "path\texp_name\tclean_exp_name\tMedMCQA_validation\tMedQA_USLME_test\tPubMedQA_test",
    );
    expect(lines.slice(1).map((line) => line.split("\t")[1])).toEqual([
      "keep_thinking_below_budget_0",
      "keep_thinking_below_budget_2",
      "thinking_buget_128",
      "thinking_buget_2048",
      "thinking_buget_512",
    ]);
    expect(lines[2]).toBe(
      [
        `${given}/250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K/keep_thinking_below_budget_2/version_0/metrics.json`,
        "keep_thinking_below_budget_2",
        "keep_thinking_below_budget_2",
        "0.5",
        "1.0",
        "0.3333333333333333",
      ].join("\t"),
    );
  });

  it("formats floats the way pandas (Python repr) does", () => {
    expect(pythonFloat(1)).toBe("1.0");
    expect(pythonFloat(0)).toBe("0.0");
    expect(pythonFloat(2 / 3)).toBe("0.6666666666666666");
    expect(pythonFloat(0.0001)).toBe("0.0001");
    expect(pythonFloat(0.00001)).toBe("1e-05");
    expect(pythonFloat(1.5e-7)).toBe("1.5e-07");
  });
});

describe("m1 report --format md and csv", () => {
  it("prints a markdown table with counts, accuracy and the Wilson interval", async () => {
    const result = await report(M1_OUTPUTS);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("| experiment | source | correct | total | accuracy | 95% CI |");
    expect(lines).toContain(`| ${BUDGET_128} | MedMCQA_validation | 1 | 4 | 25.0% | 4.6–69.9% |`);
    expect(lines).toContain("|  | average | 3 | 11 | 27.8% | 14.6–53.9% |");
  });

  it("prints CSV with the JSON row's columns", async () => {
    const result = await report(M1_OUTPUTS, "csv");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "experiment,source,correct_count,total_count,accuracy,ci95_low,ci95_high",
    );
    expect(lines).toHaveLength(1 + 20);
    expect(lines.find((line) => line.startsWith(`${BUDGET_128},average,3,11,`))).toBeDefined();
  });

  it("groups along the budget with --by budget, budgets in numeric order", async () => {
    const result = await report(M1_OUTPUTS, "md", "budget");
    const section = result.stdout
      .split("### ")
      .find((part) => part.startsWith("250319-ablation-thinking_budget"))!;
    const budgets = section
      .split("\n")
      .filter((line) => /^\| \d+ \|/.test(line))
      .map((line) => Number(line.split("|")[1]));
    expect(budgets).toEqual([128, 512, 2048]);
    expect(section).toContain(
      "| budget | MedMCQA_validation | MedQA_USLME_test | PubMedQA_test | average | experiment |",
    );
  });

  it("groups along Wait rounds with --by wait_rounds", async () => {
    const result = await report(M1_OUTPUTS, "json", "wait_rounds");
    const experiments = [
      ...new Set(
        (JSON.parse(result.stdout) as Array<{ experiment: string }>).map((row) => row.experiment),
      ),
    ];
    const waitGroup = experiments.filter((name) => name.includes("keep_thinking"));
    expect(waitGroup).toEqual([
      "250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K/keep_thinking_below_budget_0/version_0",
      "250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K/keep_thinking_below_budget_2/version_0",
    ]);
  });
});
