import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { loadEvalDataset } from "../../src/eval/datasets/index.js";
import type { EvalFileContent } from "../../src/eval/datasets/types.js";
import { startFakeChatServer, type FakeChatServer } from "../fixtures/fake-chat-server.js";
import { runCli } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-eval-domains-");
const M1_OUTPUTS = join(import.meta.dirname, "../fixtures/report/m1-outputs");
const BUDGET_128 = "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_128/version_0";
let server: FakeChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The fixture's eval items, rebuilt from one of its results files (same questions, same order). */
function fixtureEvalFile(): EvalFileContent {
  const records = JSON.parse(readFileSync(join(M1_OUTPUTS, BUDGET_128, "m1_eval_data.json"), "utf8")) as Array<Record<string, unknown>>;
  const content: EvalFileContent = {};
  for (const record of records) {
    const source = record.source as string;
    (content[source] ??= []).push({
      question: record.question as string,
      options: record.options as Record<string, string>,
      answer: record.answer as string,
      answer_idx: record.answer_idx as string,
    });
  }
  return content;
}

/** GPT-4o's stand-in: drugs are Drug Therapy (code 24), the rest Diagnosis (code 20), one unsure. */
function classifier() {
  return startFakeChatServer((request) => {
    const question = request.userContent.split("\n\n## Classification rubrics")[0]!;
    if (question.includes("Vitamin")) return { content: "I cannot tell." };
    return { content: /drug|statins/i.test(question) ? "Therapy with drugs.\n24" : "Finding the cause.\n20" };
  });
}

describe("eval items by MeSH domain, and accuracy per domain", () => {
  test("curate classify on an eval file writes domain_code/domain_name into every item", async () => {
    server = await classifier();
    const dir = tempDir();
    const evalPath = join(dir, "m1_eval_data.json");
    writeFileSync(evalPath, JSON.stringify(fixtureEvalFile(), null, 2));
    const out = join(dir, "m1_eval_data.domains.json");
    const result = await runCli([
      "curate", "classify", "--in", evalPath, "--out", out, "--model", "gpt-4o", "--base-url", server.baseUrl,
      "--cache", join(dir, "cache.sqlite"), "--max-retries", "0", "--quiet",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("classify: 10 of 11 eval items have a domain");
    // The model saw m1's training-prompt shape: the question, then the options.
    expect(server.requests[0]!.userContent.startsWith("## Question\nWhich nerve supplies the diaphragm?\nA. Vagus\nB. Phrenic")).toBe(true);
    const classified = JSON.parse(readFileSync(out, "utf8")) as EvalFileContent;
    expect(classified.MedMCQA_validation!.map((item) => [item.domain_code, item.domain_name])).toEqual([
      ["20", "Diagnosis"],
      ["24", "Drug Therapy"],
      ["", ""],
      ["20", "Diagnosis"],
    ]);
    // Still an eval file: the loader keeps the fields as extras.
    const dataset = await loadEvalDataset(out);
    expect(dataset.samples[1]!.extra).toEqual({ domain_code: "24", domain_name: "Drug Therapy" });

    const report = await runCli(["report", M1_OUTPUTS, "--by", "domain", "--domains", out, "--format", "json"]);
    expect(report.code, report.stderr).toBe(0);
    const rows = JSON.parse(report.stdout) as Array<Record<string, unknown>>;
    const budget128 = rows.filter((row) => row.experiment === BUDGET_128);
    // budget 128 got questions 0, 4 and 8 right (the fixture's m1 verdicts); questions 1 and 10
    // are the drug questions, 2 the unclassified one.
    expect(budget128.map((row) => [row.domain, row.correct_count, row.total_count])).toEqual([
      ["Diagnosis", 3, 8],
      ["Drug Therapy", 0, 2],
      ["(unclassified)", 0, 1],
    ]);
    expect(budget128[0]!.accuracy).toBe(3 / 8);
  });

  test("without --domains, groups on the domain_name the results records carry", async () => {
    const tree = join(tempDir(), "outputs");
    cpSync(M1_OUTPUTS, tree, { recursive: true });
    const resultsPath = join(tree, BUDGET_128, "m1_eval_data.json");
    const records = JSON.parse(readFileSync(resultsPath, "utf8")) as Array<Record<string, unknown>>;
    records.forEach((record, index) => (record.domain_name = index < 4 ? "Anatomy & Histology" : "Diagnosis"));
    writeFileSync(resultsPath, JSON.stringify(records, null, 2));
    const report = await runCli(["report", join(tree, BUDGET_128), "--by", "domain"]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain("| Diagnosis | 2 | 7 | 28.6% |");
    expect(report.stdout).toContain("|  | Anatomy & Histology | 1 | 4 | 25.0% |");
  });

  test("--domains without --by domain, or a file without domains, is a one-line input error", async () => {
    const dir = tempDir();
    const plain = join(dir, "eval.json");
    writeFileSync(plain, JSON.stringify(fixtureEvalFile()));
    const alone = await runCli(["report", M1_OUTPUTS, "--domains", plain]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--domains: needs --by domain/);
    const bare = await runCli(["report", M1_OUTPUTS, "--by", "domain", "--domains", plain]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/eval\.json: --domains: no item has a domain_name \(fix: classify the eval file first/);
  });
});
