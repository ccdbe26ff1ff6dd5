import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReport } from "../../src/report/run-report.js";
import { startFakeHub, stopFakeHubs } from "../fixtures/fake-hub.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";
import { runCli } from "../support/cli.js";

/**
 * m1's own outputs, rescored: a tree in UCSC-VLAA/m1-results' layout whose verdicts come from the
 * Python restatement of m1's scoring (test/fixtures/report/make_m1_results_fixture.py), and the
 * table the paper would print for it (m1-results.expected.json).
 */
const TREE = join(import.meta.dirname, "../fixtures/report/m1-results");
const EXPECTED = JSON.parse(
  readFileSync(join(import.meta.dirname, "../fixtures/report/m1-results.expected.json"), "utf8"),
) as Record<string, { model: string; sources: Record<string, [number, number]>; average: number }>;

/** The paper table's rows as {experiment: {column: cell}}. */
function parsePaperTable(markdown: string): Map<string, Record<string, string>> {
  const [header, , ...rows] = markdown.trim().split("\n");
  const columns = header!
    .split("|")
    .slice(1, -1)
    .map((cell) => cell.trim());
  const table = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const cells = row
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
    const record = Object.fromEntries(columns.map((column, index) => [column, cells[index]!]));
    table.set(record.experiment!, record);
  }
  return table;
}

describe("m1's results, rescored from m1's own outputs", () => {
  it("gives the paper's rows and average, every count agreeing with m1's metrics.json", async () => {
    const result = await runReport({ directories: [TREE], format: "paper", rescore: true });
    expect(result.warnings).toEqual([]);
    expect(result.notes).toEqual([
      "rescored 3 experiment(s), 105 samples, from their results files: every count agrees with metrics.json",
    ]);
    const table = parsePaperTable(result.stdout);
    expect([...table.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [experiment, expected] of Object.entries(EXPECTED)) {
      const row = table.get(experiment)!;
      expect(row.model).toBe(expected.model.split("/").at(-1));
      for (const [source, [correct, total]] of Object.entries(expected.sources)) {
        expect([source, row[source]]).toEqual([source, ((100 * correct) / total).toFixed(2)]);
      }
      expect(row.average).toBe((100 * expected.average).toFixed(2));
    }
  });

  it("says where metrics.json and the scored file disagree with m1's rules, and reports the rescored counts", async () => {
    const tree = temporaryDirectory("m1-results-tampered");
    cpSync(TREE, tree, { recursive: true });
    const experiment = "seed_42-temperature-0.0/250318-eval-medical_llm/HuatuoGPT-o1-8B/version_0";
    const metricsPath = join(tree, experiment, "metrics.json");
    const metrics = JSON.parse(readFileSync(metricsPath, "utf8")) as Record<
      string,
      { correct_count: number; accuracy: number; total_count: number }
    >;
    metrics.NEJM!.correct_count -= 1;
    metrics.NEJM!.accuracy = metrics.NEJM!.correct_count / metrics.NEJM!.total_count;
    writeFileSync(metricsPath, JSON.stringify(metrics, null, 2));
    const [correct, total] = EXPECTED[experiment]!.sources.NEJM!;

    const asPublished = parsePaperTable(
      (await runReport({ directories: [tree], format: "paper" })).stdout,
    );
    expect(asPublished.get(experiment)!.NEJM).toBe(((100 * (correct - 1)) / total).toFixed(2));
    const rescored = await runReport({ directories: [tree], format: "paper", rescore: true });
    expect(rescored.warnings).toEqual([
      `${experiment}: NEJM: metrics.json has ${correct - 1}/${total}, rescored ${correct}/${total}`,
    ]);
    expect(parsePaperTable(rescored.stdout).get(experiment)!.NEJM).toBe(
      ((100 * correct) / total).toFixed(2),
    );
  });

  it("--sources picks the columns and the average is over them", async () => {
    const sources = ["MedMCQA_validation", "MedQA_USLME_test", "PubMedQA_test"];
    const result = await runReport({ directories: [TREE], format: "paper", sources });
    const [header] = result.stdout.split("\n");
    expect(header).toBe(`| model | ${sources.join(" | ")} | average | experiment |`);
    for (const [experiment, expected] of Object.entries(EXPECTED)) {
      const mean =
        sources.reduce(
          (sum, source) => sum + expected.sources[source]![0] / expected.sources[source]![1],
          0,
        ) / sources.length;
      expect(parsePaperTable(result.stdout).get(experiment)!.average).toBe((100 * mean).toFixed(2));
    }
    await expect(
      runReport({ directories: [TREE], format: "paper", sources: ["MedQA"] }),
    ).rejects.toThrow(
      /--sources: no experiment has the source MedQA \(fix: name some of MedMCQA_validation, /,
    );
  });

  it("groups the medical LLMs of one study into one table with --by model, as the paper compares them", async () => {
    const result = await runReport({ directories: [TREE], format: "md", by: "model" });
    const sections = result.stdout.split("### ").slice(1);
    expect(sections.map((section) => section.split("\n")[0])).toEqual([
      "seed_42-temperature-0.0/250318-eval-medical_llm · budget=2048 wait_rounds=0 seed=42",
      "seed_42-temperature-0.0/250319-ablation-thinking_budget/m1-7B-23K · budget=4096 wait_rounds=0 seed=42",
      // After the tables, per experiment: how its answers came about (read from m1's fields).
      "How answers came about",
    ]);
    expect(sections[0]).toContain("| FreedomIntelligence/HuatuoGPT-o1-8B |");
    expect(sections[0]).toContain("| TsinghuaC3I/Llama-3-70B-UltraMedical |");
  });
});

describe("fetched from the hub, then rescored", () => {
  let endpoint: string;
  const saved = process.env.HF_ENDPOINT;
  beforeAll(async () => {
    const hub = await startFakeHub();
    const walk = (directory: string): string[] =>
      readdirSync(directory).flatMap((name) => {
        const path = join(directory, name);
        return statSync(path).isDirectory() ? walk(path) : [path];
      });
    for (const file of walk(TREE))
      hub.addFile("UCSC-VLAA/m1-results", relative(TREE, file), readFileSync(file));
    endpoint = hub.endpoint;
    process.env.HF_ENDPOINT = endpoint;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = saved;
    await stopFakeHubs();
  });

  it("m1 data fetch m1-results --include one study, then m1 report --rescore --format paper", async () => {
    const local = join(temporaryDirectory("m1-results-fetched"), "outputs");
    const fetched = await runCli([
      "data",
      "fetch",
      "m1-results",
      "--include",
      "seed_42-temperature-0.0/250318-eval-medical_llm/",
      "--local-dir",
      local,
      "--quiet",
    ]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toMatch(
      /m1-results: 10 files from UCSC-VLAA\/m1-results@main: downloaded 10/,
    );
    const report = await runCli(["report", local, "--rescore", "--format", "paper"]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toContain(
      "rescored 2 experiment(s), 70 samples, from their results files: every count agrees with metrics.json",
    );
    const table = parsePaperTable(report.stdout);
    const huatuo = "seed_42-temperature-0.0/250318-eval-medical_llm/HuatuoGPT-o1-8B/version_0";
    expect(table.get(huatuo)!.average).toBe((100 * EXPECTED[huatuo]!.average).toFixed(2));
  });
});
