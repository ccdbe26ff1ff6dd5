import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { mapHeadqaRows } from "../../src/curate/collect/headqa.js";
import { loadPipeline } from "../../src/curate/pipeline/load-pipeline.js";
import { runPipeline, type StepReport } from "../../src/curate/pipeline/run-pipeline.js";
import { manifestPath } from "../../src/curate/pipeline/step-manifest.js";
import { ConfigError } from "../../src/errors.js";
import { parseJsonLines, readRows } from "../../src/io/rows.js";
import {
  startFakeChatServer,
  type FakeChatReply,
  type FakeChatRequest,
  type FakeChatServer,
} from "../fixtures/fake-chat-server.js";
import { runCli } from "../support/cli.js";
import { path, useTempDir } from "./support/temp-dir.js";

const readJsonl = (file: string) => parseJsonLines(readFileSync(file, "utf8"), file);
const fixture = (name: string) => new URL(`../fixtures/curate/${name}`, import.meta.url).pathname;
const tempDir = useTempDir();
let server: FakeChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * One server plays every model of m1's recipe: the small Qwen models answer "A" (right only for
 * rows whose answer is A), R1 answers every question right with its reasoning unless told to
 * fail, GPT-4o classifies by question length.
 */
function recipeServer(options: { failR1?: () => boolean } = {}) {
  return startFakeChatServer((request: FakeChatRequest): FakeChatReply => {
    const model = request.body.model;
    if (model === "qwen-7b" || model === "qwen-32b") return { content: "\\boxed{A}" };
    if (model === "r1") {
      if (options.failR1?.()) return { status: 400, message: "no credit" };
      const letter = /The answer is ([A-E])/.exec(request.userContent)?.[1];
      return {
        content: `The answer is \\boxed{${letter ?? "Z"}}`,
        reasoningContent: "Let me think.",
      };
    }
    const question = request.userContent.split("\n\n## Classification rubrics")[0]!;
    return { content: `Reasoning...\n${question.length % 2 === 0 ? "05" : "17"}` };
  });
}

/** m1's recipe on small inputs, every step included. */
function writeRecipe(dir: string, baseUrl: string, selectSize = 2): string {
  // Two long questions one character apart (whatever order their short options are shuffled
  // in, they stay above ratio 95): dedup drops the second.
  const long = "A patient presents with fatigue and pallor after a long illness. ".repeat(30);
  const near = (question: string) =>
    JSON.stringify({
      question,
      answer: "Iron",
      options: { A: "Iron", B: "Zinc", C: "Folate", D: "B12" },
      answer_idx: "A",
    });
  const medqa = readFileSync(fixture("medqa-rows.jsonl"), "utf8");
  writeFileSync(
    path(dir, "medqa.jsonl"),
    `${medqa}${near(`${long}Why?`)}\n${near(`${long}Why!`)}\n`,
  );
  // An eval file holding the prompt of the second HeadQA row: decontamination drops that row.
  const [, headqaRow] = mapHeadqaRows(readJsonl(fixture("headqa-rows.jsonl")), "headqa.jsonl", 42);
  writeFileSync(
    path(dir, "eval.json"),
    JSON.stringify({ HeadQA: [{ question: headqaRow!.prompt }] }),
  );
  copyFileSync(fixture("medmcqa-rows.jsonl"), path(dir, "medmcqa.jsonl"));
  copyFileSync(fixture("headqa-rows.jsonl"), path(dir, "headqa.jsonl"));
  // R1 reads the answer letter from the prompt: make the prompts carry it.
  writeFileSync(
    path(dir, "template.jinja"),
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
  );
  const file = path(dir, "pipeline.yaml");
  writeFileSync(
    file,
    `endpoints:
  fake:
    base_url: ${baseUrl}
    concurrency: 4
    max_retries: 0
prices:
  r1: { input_per_million: 0.55, output_per_million: 2.19 }
cache: cache/answers.sqlite
steps:
  - step: collect
    medqa: medqa.jsonl
    medmcqa: medmcqa.jsonl
    headqa: headqa.jsonl
    out: out/m196k.jsonl
  - step: dedup
    out: out/m196k-dedup.jsonl
  - step: decontaminate
    eval: eval.json
    out: out/m196k-dedup-decon.jsonl
  - step: ask
    name: qwen-7b
    endpoint: fake
    preset: difficulty
    model: qwen-7b
    content_column: qwen_7b-model_answer_string
    out: out/qwen-7b.jsonl
  - step: ask
    name: qwen-32b
    endpoint: fake
    preset: difficulty
    model: qwen-32b
    content_column: qwen_32b-model_answer_string
    out: out/qwen-32b.jsonl
  - step: filter
    name: filter-easy
    response_columns: [qwen_7b-model_answer_string, qwen_32b-model_answer_string]
    keep: incorrect
    out: out/hard.jsonl
  - step: ask
    name: distill
    endpoint: fake
    preset: distill
    model: r1
    user_template: "{prompt}\\nThe answer is {answer_letter}"
    out: out/r1.jsonl
  - step: filter
    name: filter-wrong
    response_columns: [distilled_answer_string]
    keep: correct
    out: out/m23k.jsonl
  - step: classify
    endpoint: fake
    model: gpt-4o
    max_reasks: 1
    out: out/domains.jsonl
  - step: select
    size: ${selectSize}
    seed: 42
    out: out/m1k.jsonl
  - step: format
    chat_template: template.jinja
    out: out/m1k-text.jsonl
`,
  );
  return file;
}

const outcomes = (reports: StepReport[]) =>
  reports.map((report) => `${report.name}:${report.outcome}`);
const quiet = { quiet: true, log: () => {} };

describe("curate run pipeline.yaml", () => {
  it("runs m1's recipe step by step, each output sealed by a completion marker", async () => {
    server = await recipeServer();
    const dir = tempDir();
    const file = writeRecipe(dir, server.baseUrl);
    const reports = await runPipeline(file, quiet);
    expect(reports.every((report) => report.outcome === "ran")).toBe(true);
    const hard = await readRows(path(dir, "out/hard.jsonl"));
    expect(await readRows(path(dir, "out/m196k.jsonl"))).toHaveLength(10);
    const all = await readRows(path(dir, "out/m196k-dedup-decon.jsonl"));
    expect(await readRows(path(dir, "out/m196k-dedup.jsonl"))).toHaveLength(9);
    expect(all).toHaveLength(8); // one near-duplicate and one eval question fewer
    expect(all.some((row) => String(row.prompt).startsWith("The antibiotic treatment"))).toBe(
      false,
    );
    expect(hard).toEqual(
      all.filter((row) => row.answer_letter !== "A").map((row) => expect.objectContaining(row)),
    );
    expect(
      (await readRows(path(dir, "out/m23k.jsonl"))).every(
        (row) => row.reasoning === "Let me think.",
      ),
    ).toBe(true);
    const m1k = await readRows(path(dir, "out/m1k-text.jsonl"));
    expect(m1k).toHaveLength(2);
    expect(String(m1k[0]!.text)).toContain(
      "<|im_start|>think\nLet me think.\n<|im_start|>answer\n",
    );
    const marker = JSON.parse(
      readFileSync(manifestPath(path(dir, "out/r1.jsonl")), "utf8"),
    ) as Record<string, unknown>;
    expect(marker).toMatchObject({
      step: "ask",
      name: "distill",
      summary: { answered: hard.length },
    });
    expect(existsSync(path(dir, "cache/answers.sqlite"))).toBe(true);
  });

  it("skips every finished step on a rerun and sends no request", async () => {
    server = await recipeServer();
    const file = writeRecipe(tempDir(), server.baseUrl);
    await runPipeline(file, quiet);
    const sent = server.requests.length;
    const reports = await runPipeline(file, quiet);
    expect(reports.every((report) => report.outcome === "up to date")).toBe(true);
    expect(server.requests.length).toBe(sent);
  });

  it("reruns from a changed input on, paying only for the changed row", async () => {
    server = await recipeServer();
    const dir = tempDir();
    const file = writeRecipe(dir, server.baseUrl);
    await runPipeline(file, quiet);
    const sent = server.requests.length;
    const medmcqa = readFileSync(path(dir, "medmcqa.jsonl"), "utf8").replace(
      "Which vitamin",
      "Which single vitamin",
    );
    writeFileSync(path(dir, "medmcqa.jsonl"), medmcqa);
    const reports = await runPipeline(file, quiet);
    expect(reports.every((report) => report.outcome === "ran")).toBe(true);
    // The changed question goes to both Qwen models, R1 (its answer is C) and GPT-4o.
    expect(server.requests.length - sent).toBe(4);
  });

  it("reruns only from a step whose setting changed", async () => {
    server = await recipeServer();
    const dir = tempDir();
    const file = writeRecipe(dir, server.baseUrl, 2);
    await runPipeline(file, quiet);
    writeRecipe(dir, server.baseUrl, 3);
    const reports = await runPipeline(file, quiet);
    expect(outcomes(reports).slice(-3)).toEqual([
      "classify:up to date",
      "select:ran",
      "format:ran",
    ]);
    expect(reports.slice(0, 7).every((report) => report.outcome === "up to date")).toBe(true);
    expect(await readRows(path(dir, "out/m1k.jsonl"))).toHaveLength(3);
  });

  it("resumes after a failed step: finished steps stay, paid answers are not bought again", async () => {
    let failing = true;
    let r1Calls = 0;
    server = await recipeServer({ failR1: () => failing && ++r1Calls > 2 });
    const dir = tempDir();
    const file = writeRecipe(dir, server.baseUrl);
    const error = await runPipeline(file, quiet).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/requests failed after retries .*no credit/);
    expect(existsSync(manifestPath(path(dir, "out/hard.jsonl")))).toBe(true);
    expect(existsSync(path(dir, "out/r1.jsonl"))).toBe(false);
    failing = false;
    const r1Before = server.requests.filter((request) => request.body.model === "r1").length;
    const reports = await runPipeline(file, quiet);
    expect(outcomes(reports).slice(0, 7)).toEqual([
      "collect:up to date",
      "dedup:up to date",
      "decontaminate:up to date",
      "qwen-7b:up to date",
      "qwen-32b:up to date",
      "filter-easy:up to date",
      "distill:ran",
    ]);
    const hard = await readRows(path(dir, "out/hard.jsonl"));
    const r1After = server.requests.filter((request) => request.body.model === "r1").length;
    // The two answers paid for before the failure came from the cache.
    expect(r1After - r1Before).toBe(hard.length - 2);
  });

  it("reports what would run and sends nothing in a dry run", async () => {
    server = await recipeServer();
    const lines: string[] = [];
    const file = writeRecipe(tempDir(), server.baseUrl);
    const reports = await runPipeline(file, { dryRun: true, log: (line) => lines.push(line) });
    expect(reports.every((report) => report.outcome === "would run")).toBe(true);
    expect(server.requests).toHaveLength(0);
    expect(lines[0]).toBe("• [1/11] collect: would run (not run yet)");
  });

  it("runs from the command line", async () => {
    server = await recipeServer();
    const file = writeRecipe(tempDir(), server.baseUrl);
    const first = await runCli(["curate", "run", file, "--quiet"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("run: 11 ran, 0 up to date");
    const second = await runCli(["curate", "run", file, "--quiet"]);
    expect(second.stderr).toContain("✓ [7/11] distill: up to date, skipped");
    expect(second.stderr).toContain("run: 0 ran, 11 up to date");
  });
});

describe("pipeline.yaml validation", () => {
  function expectError(yaml: string, message: string): void {
    const file = path(tempDir(), "pipeline.yaml");
    writeFileSync(file, yaml);
    let caught: unknown;
    try {
      loadPipeline(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message.replace(`${file}`, "pipeline.yaml")).toBe(message);
  }

  it("names the step, line and key of an unknown key, with a suggestion", () => {
    expectError(
      "steps:\n  - step: select\n    in: rows.jsonl\n    out: m1k.jsonl\n    sise: 10\n",
      "pipeline.yaml:5: steps.0.sise: step 'select': unknown key 'sise' (fix: did you mean 'size'? e.g. size: 10)",
    );
  });

  it("names the step and key of a bad value", () => {
    expectError(
      "steps:\n  - step: filter\n    name: easy\n    in: a.jsonl\n    out: b.jsonl\n    response_columns: [x]\n    keep: some\n",
      "pipeline.yaml:7: steps.0.keep: step 'easy': \"some\" is not one of correct, incorrect (fix: use e.g. keep: correct)",
    );
  });

  it("rejects an unknown step kind", () => {
    expectError(
      "steps:\n  - step: shuffle\n    out: x.jsonl\n",
      "pipeline.yaml:2: steps.0.step: unknown step kind 'shuffle' (fix: use one of collect, dedup, decontaminate, ask, filter, classify, select, format)",
    );
  });

  it("requires an input for the first step and unique names and outputs", () => {
    expectError(
      "steps:\n  - step: select\n    out: x.jsonl\n",
      "pipeline.yaml:2: steps.0.in: step 'select': the first step reads nothing (fix: set in: to the rows file (e.g. in: rows.jsonl), or start with a collect step)",
    );
    expectError(
      "steps:\n  - step: select\n    in: a.jsonl\n    out: x.jsonl\n  - step: select\n    out: y.jsonl\n",
      "pipeline.yaml:5: steps.1.name: step 'select': the name 'select' is used twice (fix: give each step a unique name:, e.g. name: select-2)",
    );
  });

  it("checks ask steps before running anything: endpoints and required settings", () => {
    expectError(
      "steps:\n  - step: ask\n    in: a.jsonl\n    out: b.jsonl\n    endpoint: nowhere\n    preset: distill\n    model: r1\n",
      "pipeline.yaml:5: steps.0.endpoint: step 'ask': no endpoint 'nowhere' under endpoints: (fix: define it, e.g. endpoints: {nowhere: {base_url: https://api.deepseek.com/v1}})",
    );
    expectError(
      "steps:\n  - step: ask\n    in: a.jsonl\n    out: b.jsonl\n    preset: distill\n    base_url: http://127.0.0.1:9/v1\n",
      "pipeline.yaml: steps.0.model: is required (fix: set model in the config (e.g. model: deepseek-reasoner) or pass --model)",
    );
  });
});
