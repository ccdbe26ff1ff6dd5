import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";
import { runCli } from "../support/cli.js";

/** `m1 report` through the command line: stdout, exit codes and one-line errors. */
const BUDGET_128 = "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0";
let store: string;

beforeAll(() => {
  store = temporaryDirectory("cli-store");
  buildSweepStore(store, {
    points: [128, 1024].map((budget) => ({ model: "tiny", budget, waitRounds: 0 })),
    sources: [{ name: "MedQA", questions: 10 }],
    correct: (point, _source, question) => question < (point.budget === 128 ? 4 : 7),
  });
});

describe("m1 report on the command line", () => {
  it("prints only the JSON array on stdout with --format json (exit 0)", async () => {
    const result = await runCli(["report", M1_OUTPUTS, "--format", "json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toHaveLength(20);
  });

  it("takes the directory before or after --compare A B", async () => {
    const before = await runCli([
      "report",
      store,
      "--compare",
      "budget_128",
      "budget_1024",
      "--format",
      "csv",
    ]);
    const after = await runCli([
      "report",
      "--compare",
      "budget_128",
      "budget_1024",
      store,
      "--format",
      "csv",
    ]);
    expect(before.code).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    expect(before.stdout.split("\n")[0]).toBe(
      "a,b,scope,paired_count,accuracy_a,accuracy_b,difference,ci95_low,ci95_high,correct_to_wrong,wrong_to_correct,mcnemar_p",
    );
  });

  it("fails with one line naming the directory when it holds no experiments (exit 2)", async () => {
    const directory = temporaryDirectory("empty");
    const result = await runCli(["report", directory]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`${directory}: no experiments found`);
    expect(result.stderr).toContain("fix:");
    expect(result.stdout).toBe("");
  });

  it("names a corrupt metrics.json and how to fix it (exit 2)", async () => {
    const directory = temporaryDirectory("corrupt");
    cpSync(join(M1_OUTPUTS, BUDGET_128), join(directory, "exp", "version_0"), { recursive: true });
    const metricsPath = join(directory, "exp", "version_0", "metrics.json");
    writeFileSync(metricsPath, '{"MedQA": {"correct_count": "three"}}');
    const result = await runCli(["report", directory]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${metricsPath}: not an m1 metrics file`);
    expect(result.stderr).toContain("fix:");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("fails with exit 2 when the two experiments share no question", async () => {
    const mixed = temporaryDirectory("compare-disjoint");
    cpSync(store, join(mixed, "store"), { recursive: true });
    cpSync(M1_OUTPUTS, join(mixed, "m1"), { recursive: true });
    const result = await runCli([
      "report",
      mixed,
      "--compare",
      "budget_128-wait",
      "thinking_buget_128",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("have no questions in common");
    expect(result.stderr).toContain("fix: compare experiments run on the same evaluation file");
  });

  it("lists candidates when a --compare name matches several experiments (exit 2)", async () => {
    const result = await runCli(["report", store, "--compare", "budget_1", "budget_1024"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'budget_1' matches 2 experiments");
  });

  it("rejects an unknown --format with a usage error (exit 2)", async () => {
    const result = await runCli(["report", M1_OUTPUTS, "--format", "xml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'm1: error: --format: "xml" is not one of md, csv, tsv, json, paper (fix: use e.g. --format md)\n',
    );
  });
});
