import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EvalItem } from "../../src/eval/datasets/types.js";
import type { StudyResult } from "../../src/eval/study/study.js";
import { formatStudySummary } from "../../src/report/study-summary.js";
import { toyTokenCount } from "../fixtures/openai/toy-tokenizer.js";
import { filesUnder } from "../fixtures/eval/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import {
  AFTER_WAIT,
  DEFAULT_THINKING,
  makeItems,
  wrongLetter,
} from "../fixtures/eval/medical-model.js";
import { answersFor, readStore, useScriptedStudy } from "../fixtures/eval/scripted-study.js";

/**
 * `m1 eval`'s study on the OpenAI-compatible backend against the fake server (in process: the
 * real config validation, plan, runner, engine, HTTP backend, scoring, store and m1 files). The
 * scripted model's answers are chosen per question, so every metric is known exactly.
 */

const tempDir = useTempDirs("m1-study-openai-");
const BUDGET = 40;
const ANSWER_BUDGET = 24;
/** Thinks past any budget of this file: ends on the length limit, then `Final Answer:`. */
const LONG_THINKING = Array.from({ length: 60 }, (_, index) => `step${index}`).join(" ");

const alpha = makeItems("alpha", 5);
const beta = makeItems("beta", 3);
// alpha: 3 of 5 right (items 0, 2 and 4); beta: 1 of 3 right (item 1). alpha-3 thinks too long.
const setup = useScriptedStudy({
  dir: tempDir,
  evalFile: "two_sources.json",
  sources: { alpha, beta },
  answers: answersFor({ alpha, beta }, (item, index, source) => {
    if (source === "beta") return index === 1 ? item.answer_idx : wrongLetter(item);
    return {
      reply: index % 2 === 0 ? item.answer_idx : wrongLetter(item),
      ...(index === 3 ? { thinking: LONG_THINKING } : {}),
    };
  }),
});

function study(overrides: Record<string, unknown>): Promise<StudyResult> {
  return setup.study({
    force_think: true,
    max_new_tokens: BUDGET,
    max_new_answer_tokens: ANSWER_BUDGET,
    keep_think_below_budget_times: 1,
    suffix_prompt: "Return your final response within \\boxed{{}}.",
    retries: 0,
    ...overrides,
  });
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

describe("m1 eval on an OpenAI-compatible server", () => {
  it("scores scripted answers exactly: alpha 3/5, beta 1/3, in m1's metrics.json", async () => {
    const outputDir = tempDir();
    const result = await study({ output_dir: outputDir, exp_name: "exact" });
    expect(result.failedSamples).toBe(0);
    const versionDir = join(outputDir, "exact", "version_0");
    expect(readFileSync(join(versionDir, "metrics.json"), "utf8")).toBe(
      [
        "{",
        '  "alpha": {',
        '    "correct_count": 3,',
        '    "total_count": 5,',
        '    "accuracy": 0.6',
        "  },",
        '  "beta": {',
        '    "correct_count": 1,',
        '    "total_count": 3,',
        '    "accuracy": 0.3333333333333333',
        "  }",
        "}",
      ].join("\n"),
    );
    const scored = readJson(join(versionDir, "two_sources.scored.json")) as Array<
      Record<string, unknown>
    >;
    expect(scored.map((record) => record.correct)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    const summary = formatStudySummary(result);
    expect(summary).toMatch(/exact\/version_0\s+finished\s+alpha\s+3\/5\s+60\.0%/);
    expect(summary).toMatch(/beta\s+1\/3\s+33\.3%/);
    expect(summary).toMatch(/average\s+46\.7%/);
  });

  it("asks for exactly the remaining thinking budget after a Wait, and the answer budget after", async () => {
    const outputDir = tempDir();
    const before = setup.server.completionRequests().length;
    await study({ output_dir: outputDir, exp_name: "budgets" });
    const requests = setup.server.completionRequests().slice(before);
    const ofQuestion = (item: EvalItem) =>
      requests.filter((request) => request.prompt.includes(item.question));

    // A question that stops thinking by itself: think, Wait, continue within what is left, answer.
    const firstThinking = toyTokenCount(DEFAULT_THINKING) + 1; // + the <|im_start|> stop token
    expect(firstThinking).toBe(14);
    const waitTokens = toyTokenCount("Wait");
    const normal = ofQuestion(alpha[0]!);
    expect(normal.map((request) => request.max_tokens)).toEqual([
      BUDGET,
      BUDGET - firstThinking - waitTokens,
      ANSWER_BUDGET,
    ]);
    expect(normal[1]!.prompt).toBe(`${normal[0]!.prompt}${DEFAULT_THINKING}Wait`);
    expect(normal[2]!.prompt).toBe(`${normal[1]!.prompt}${AFTER_WAIT}\n<|im_start|>answer`);
    for (const request of normal) expect(request.stop).toEqual(["<|im_end|>", "<|im_start|>"]);

    // A question that thinks past the budget: no Wait, then `Final Answer:` and the answer budget.
    const long = ofQuestion(alpha[3]!);
    expect(long.map((request) => request.max_tokens)).toEqual([BUDGET, ANSWER_BUDGET]);
    expect(long[1]!.prompt.endsWith("\n<|im_start|>answer\nFinal Answer:")).toBe(true);

    // Every sample's thinking stays within the budget, in the store as in the results file.
    readStore(outputDir, (store) => {
      const rows = store.db
        .prepare("SELECT sample_index, thinking_tokens, num_keep_think_below_budget FROM samples")
        .all() as Array<{
        sample_index: number;
        thinking_tokens: number;
        num_keep_think_below_budget: number;
      }>;
      expect(rows).toHaveLength(8);
      for (const row of rows) expect(row.thinking_tokens).toBeLessThanOrEqual(BUDGET);
      expect(rows.find((row) => row.sample_index === 3)).toMatchObject({
        thinking_tokens: BUDGET,
        num_keep_think_below_budget: 0,
      });
      expect(rows.find((row) => row.sample_index === 0)).toMatchObject({
        thinking_tokens: firstThinking + waitTokens + toyTokenCount(AFTER_WAIT) + 1,
        num_keep_think_below_budget: 1,
      });
    });
  });

  it("writes every m1 per-sample field in m1's order, then ours, with m1's values", async () => {
    const outputDir = tempDir();
    await study({ output_dir: outputDir, exp_name: "fields" });
    const samples = readJson(join(outputDir, "fields", "version_0", "two_sources.json")) as Array<
      Record<string, unknown>
    >;
    expect(samples).toHaveLength(8);
    for (const sample of samples) {
      expect(Object.keys(sample)).toEqual([
        // The item as in the file, then what m1 adds, in m1's order.
        "question",
        "options",
        "answer",
        "answer_idx",
        "source",
        "option_str",
        "input_str",
        "thinking_text",
        "thinking_finish_reason",
        "response_text",
        "finish_reason",
        "extracted_answer",
        "huatuo_extracted_answer",
        "num_gen_tokens",
        "num_keep_think_below_budget",
        // Ours (no evaluated_tokens over HTTP).
        "num_min_thinking_waits",
        "thinking_tokens",
        "answer_tokens",
        "prompt_tokens",
        "stopped_by",
        "decided_by",
        "probe_tokens_total",
        "compute_tokens",
      ]);
    }
    const first = samples[0]!;
    expect(first).toMatchObject({
      source: "alpha",
      option_str: Object.entries(alpha[0]!.options)
        .map(([letter, text]) => `${letter}. ${text}`)
        .join("\n"),
      thinking_text: `${DEFAULT_THINKING}Wait${AFTER_WAIT}\n`,
      thinking_finish_reason: "stop",
      response_text: `<|im_start|>answer\nThe answer is \\boxed{${alpha[0]!.answer_idx}}.`,
      finish_reason: "stop",
      extracted_answer: alpha[0]!.answer_idx,
      huatuo_extracted_answer: alpha[0]!.answer_idx,
      num_keep_think_below_budget: 1,
    });
    expect(first.input_str).toBe(
      `${alpha[0]!.question}\n${first.option_str as string}\nReturn your final response within \\boxed{}.`,
    );
    const long = samples[3]!;
    expect(long.thinking_finish_reason).toBe("length");
    expect(long.response_text).toBe(
      `<|im_start|>answer\nFinal Answer: \\boxed{${wrongLetter(alpha[3]!)}}`,
    );
    // m1's scored file: a JSON array of m1's fields, in m1's order.
    const scored = readJson(join(outputDir, "fields", "version_0", "two_sources.scored.json"));
    expect(Array.isArray(scored)).toBe(true);
    for (const record of scored as Array<Record<string, unknown>>) {
      expect(Object.keys(record)).toEqual([
        "correct",
        "extracted_answer",
        "answer",
        "source",
        "option_str",
        "question",
        "huatuo_extracted_answer",
      ]);
    }
  });

  it("without sweeps lands at {output_dir}/{exp_name}/version_0; a rerun skips it; overwrite=True makes version_1", async () => {
    const outputDir = tempDir();
    const first = await study({ output_dir: outputDir, exp_name: "single" });
    expect(first.experiments.map((item) => item.outcome)).toEqual(["finished"]);
    expect(filesUnder(outputDir).filter((path) => !path.startsWith("m1.sqlite"))).toEqual([
      "single/version_0/config.yaml",
      "single/version_0/log.txt",
      "single/version_0/metrics.json",
      "single/version_0/two_sources.json",
      "single/version_0/two_sources.scored.json",
    ]);
    const config = readFileSync(join(outputDir, "single", "version_0", "config.yaml"), "utf8");
    expect(config).toContain("exp_name: single\n");
    expect(config).toContain("version: 0\n");
    expect(config).toContain(`max_new_tokens: ${BUDGET}\n`);
    expect(config).not.toContain("api_key");
    // Floats as OmegaConf writes them.
    expect(config).toContain("temperature: 0.0\n");
    expect(config).toContain("frequency_penalty: 0.0\n");
    expect(config).toContain("mem_fraction_static: 0.8\n");

    // m1's rule: an existing exp_name is skipped, without even opening the backend.
    const requestsBefore = setup.server.requests.length;
    const second = await study({ output_dir: outputDir, exp_name: "single" });
    expect(second.experiments.map((item) => item.outcome)).toEqual(["skipped"]);
    expect(setup.server.requests.length).toBe(requestsBefore);
    expect(existsSync(join(outputDir, "single", "version_1"))).toBe(false);

    // overwrite=True: a new version, here answered from the response cache (no generation).
    const completionsBefore = setup.server.completionRequests().length;
    const third = await study({ output_dir: outputDir, exp_name: "single", overwrite: true });
    expect(third.experiments.map((item) => item.outcome)).toEqual(["finished"]);
    expect(third.experiments[0]!.versionDir).toBe(join(outputDir, "single", "version_1"));
    expect(setup.server.completionRequests().length).toBe(completionsBefore);
    expect(readFileSync(join(outputDir, "single", "version_1", "metrics.json"), "utf8")).toBe(
      readFileSync(join(outputDir, "single", "version_0", "metrics.json"), "utf8"),
    );
    readStore(outputDir, (store) => {
      expect(
        store.listExperiments().map((experiment) => [experiment.name, experiment.status]),
      ).toEqual([
        ["single/version_0", "finished"],
        ["single/version_1", "finished"],
      ]);
      const cached = store.db
        .prepare("SELECT cached, COUNT(*) AS n FROM samples GROUP BY experiment_id, cached")
        .all();
      expect(cached).toEqual([
        { cached: 0, n: 8 },
        { cached: 1, n: 8 },
      ]);
    });
  });

  it("skips an exp_name that exists on disk without a store, as m1 does (e.g. m1's own outputs)", async () => {
    const outputDir = tempDir();
    mkdirSync(join(outputDir, "from-python", "version_0"), { recursive: true });
    const result = await study({ output_dir: outputDir, exp_name: "from-python" });
    expect(result.experiments.map((item) => item.outcome)).toEqual(["skipped"]);
    expect(filesUnder(outputDir)).toEqual([]);
    expect(formatStudySummary(result)).toMatch(/from-python\s+skipped/);
  });
});

describe("m1's max_tokens prompt cut", () => {
  const THINK = "<|im_start|>think\n";
  /** The chat-rendered prompt of alpha[0], as a run without max_tokens sends it. */
  async function renderedPrompt(): Promise<string> {
    const before = setup.server.completionRequests().length;
    await study({ output_dir: tempDir(), exp_name: "uncut", limit: 1 });
    const first = setup.server.completionRequests()[before]!.prompt;
    expect(first.endsWith(THINK)).toBe(true);
    return first.slice(0, -THINK.length);
  }

  it("keeps the first max_tokens tokens of a longer prompt, through the server's /detokenize", async () => {
    const rendered = await renderedPrompt();
    // Cut right after the question: the options, suffix and assistant header go, as in m1.
    const head = rendered.slice(
      0,
      rendered.indexOf(alpha[0]!.question) + alpha[0]!.question.length,
    );
    const maxTokens = toyTokenCount(head);
    expect(maxTokens).toBeLessThan(toyTokenCount(rendered));
    const before = setup.server.completionRequests().length;
    const result = await study({
      output_dir: tempDir(),
      exp_name: "cut",
      limit: 1,
      max_tokens: maxTokens,
    });
    expect(result.failedSamples).toBe(0);
    expect(setup.server.completionRequests()[before]!.prompt).toBe(`${head}${THINK}`);
  });

  it("keeps the last max_tokens characters of a prompt within the limit (m1's prompt[-max_tokens:])", async () => {
    const rendered = await renderedPrompt();
    const maxTokens = Array.from(rendered).length - 7;
    expect(toyTokenCount(rendered)).toBeLessThanOrEqual(maxTokens);
    const before = setup.server.completionRequests().length;
    const result = await study({
      output_dir: tempDir(),
      exp_name: "tail",
      limit: 1,
      max_tokens: maxTokens,
    });
    expect(result.failedSamples).toBe(0);
    expect(setup.server.completionRequests()[before]!.prompt).toBe(`${rendered.slice(7)}${THINK}`);
  });
});
