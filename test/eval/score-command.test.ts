/**
 * `m1 score` end to end on an m1-format results file built from the bundled HuatuoGPT-o1 demo
 * questions. Expected metrics were computed with m1's Python code. Two runs spawn the real binary
 * (node bin/m1.js: files, stdout, the one-line error and exit code 2); the other bad inputs go
 * straight to `scoreResultsFile`, the function the command calls, since every CLI start loads all
 * commands (seconds on a busy machine).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { scoreResultsFile } from "../../src/eval/scoring/index.js";
import { bundledDataPath } from "../../src/paths.js";
import { runM1 } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

interface DemoItem {
  question: string;
  options: Record<string, string>;
  answer: string;
  answer_idx: string;
  Response: string;
}

const demo = JSON.parse(
  readFileSync(bundledDataPath("huatuo-demo", "demo_data.json"), "utf8"),
) as DemoItem[];

/**
 * 40 samples in two sources, three kinds of answers: a boxed correct letter, the demo's own
 * free-text response, and a boxed `\text{A. ...}` (right only when A is the answer). Every fourth
 * sample has no option_str, so it is rebuilt from options.
 */
function demoResults(): Record<string, unknown>[] {
  return demo.slice(0, 40).map((item, index) => {
    const responses = [
      `<|im_start|>answer\nFinal Answer: The answer is \\boxed{${item.answer_idx}}`,
      `<|im_start|>answer\n${item.Response}`,
      `<|im_start|>answer\nAnswer: \\boxed{\\text{A. ${item.options.A}}}`,
    ];
    return {
      question: item.question,
      options: item.options,
      answer: item.answer,
      answer_idx: item.answer_idx,
      source: index < 25 ? "medqa" : "medqa_hard",
      response_text: responses[index % 3],
      ...(index % 4 === 3
        ? {}
        : {
            option_str: Object.entries(item.options)
              .map(([letter, text]) => `${letter}. ${text}`)
              .join("\n"),
          }),
      thinking_text: "<|im_start|>think\nshort\n",
    };
  });
}

/** m1's metrics.json for demoResults(), as Python's json.dump wrote it. */
const PYTHON_METRICS_JSON = `{
  "medqa": {
    "correct_count": 13,
    "total_count": 25,
    "accuracy": 0.52
  },
  "medqa_hard": {
    "correct_count": 7,
    "total_count": 15,
    "accuracy": 0.4666666666666667
  }
}`;

const workDir = useTempDirs("m1-score-");

/** The real binary in a child process: its exit code and output. */
async function spawnM1(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runM1(args);
  return { code, stdout, stderr };
}

function writeResults(directory: string, content: unknown, name = "results.json"): string {
  const path = join(directory, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

describe("m1 score", () => {
  it("writes <stem>.scored.json and metrics.json beside the results and prints the table", async () => {
    const directory = workDir();
    const resultsPath = writeResults(directory, demoResults(), "demo_eval.json");

    const run = await spawnM1(["score", resultsPath]);

    expect(run.stderr).toContain("wrote");
    expect(run.code).toBe(0);
    expect(readdirSync(directory).sort()).toEqual([
      "demo_eval.json",
      "demo_eval.scored.json",
      "metrics.json",
    ]);
    expect(readFileSync(join(directory, "metrics.json"), "utf8")).toBe(PYTHON_METRICS_JSON);
    expect(run.stdout).toMatch(/medqa\s+13\s+25\s+52\.00%/);
    expect(run.stdout).toMatch(/medqa_hard\s+7\s+15\s+46\.67%/);
    expect(run.stdout).toMatch(/average \(unweighted, 2 sources\)\s+49\.33%/);

    const scoredText = readFileSync(join(directory, "demo_eval.scored.json"), "utf8");
    expect(
      scoredText.startsWith('[\n  {\n    "correct": true,\n    "extracted_answer": "D",'),
    ).toBe(true);
    // json.dump(indent=2) conventions, like `m1 eval`: ASCII escapes, no final newline.
    expect(scoredText.endsWith("\n  }\n]")).toBe(true);
    expect([...scoredText].every((character) => character.charCodeAt(0) < 0x80)).toBe(true);
    const scored = JSON.parse(scoredText) as Record<string, unknown>[];
    expect(scored).toHaveLength(40);
    for (const record of scored) {
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
    // A free-text answer goes through match_choice; a decided one stores null.
    expect(scored[1]).toMatchObject({ extracted_answer: expect.stringContaining("answer") });
    expect(scored[0]!.huatuo_extracted_answer).toBeNull();
    expect(scored[3]!.option_str).toBe(
      Object.entries(demo[3]!.options)
        .map(([letter, text]) => `${letter}. ${text}`)
        .join("\n"),
    );
  });

  it("writes into the --out directory, creating it, and leaves the results directory alone", async () => {
    const directory = workDir();
    const resultsPath = writeResults(directory, demoResults().slice(0, 6));
    const outDir = join(directory, "scored", "v0");

    const result = await scoreResultsFile(resultsPath, { outDir });

    expect(result.sampleCount).toBe(6);
    expect(readdirSync(directory).sort()).toEqual(["results.json", "scored"]);
    expect(readdirSync(outDir).sort()).toEqual(["metrics.json", "results.scored.json"]);
  });
});

describe("m1 score on bad input: one line, exit 2, nothing written", () => {
  const valid = demoResults().slice(0, 5);
  const cases: { name: string; content: unknown; message: RegExp }[] = [
    { name: "invalid JSON", content: "[{", message: /results\.json: not valid JSON/ },
    {
      name: "a JSON object instead of a list",
      content: { medqa: valid },
      message: /results\.json: expected a JSON array of objects/,
    },
    { name: "an empty list", content: [], message: /results\.json: no samples to score/ },
    {
      name: "a sample without response_text",
      content: valid.map((row, index) =>
        index === 3 ? { ...row, response_text: undefined } : row,
      ),
      message: /results\.json: item 3: response_text: missing \(fix: /,
    },
    {
      name: "a sample without options",
      content: valid.map((row, index) => (index === 2 ? { ...row, options: undefined } : row)),
      message: /results\.json: item 2: options: missing/,
    },
    {
      name: "an answer_idx that is not an option",
      content: valid.map((row, index) => (index === 4 ? { ...row, answer_idx: "Z" } : row)),
      message: /results\.json: item 4: answer_idx: 'Z' is not among the options A, B, C, D/,
    },
    {
      name: "an option_str that is not a string",
      content: valid.map((row, index) => (index === 0 ? { ...row, option_str: ["A. x"] } : row)),
      message: /results\.json: item 0: option_str: expected a string, got an array/,
    },
    {
      name: "an option_str with no option line where m1 would crash",
      content: valid.map((row, index) =>
        index === 1 ? { ...row, option_str: "junk", response_text: "\\boxed{xyz}" } : row,
      ),
      message: /results\.json: item 1: option_str: has no 'X\. text' line/,
    },
  ];

  for (const testCase of cases) {
    it(`refuses ${testCase.name}`, async () => {
      const directory = workDir();
      const resultsPath = writeResults(directory, testCase.content);

      const failure = await scoreResultsFile(resultsPath).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(InputError);
      expect((failure as InputError).exitCode).toBe(2);
      expect((failure as InputError).message).not.toContain("\n");
      expect((failure as InputError).message).toMatch(testCase.message);
      expect(readdirSync(directory)).toEqual(["results.json"]);
    });
  }

  it("exits 2 from the real binary with one line on stderr", async () => {
    const directory = workDir();
    const resultsPath = writeResults(directory, cases[3]!.content);

    const run = await spawnM1(["score", resultsPath]);

    // One assertion on the whole run, so a failure shows everything the process said.
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: expect.stringMatching(/^m1: error: [^\n]*item 3: response_text: missing[^\n]*\n$/),
    });
    expect(readdirSync(directory)).toEqual(["results.json"]);
  });

  it("refuses a results file that does not exist", async () => {
    const directory = workDir();
    await expect(scoreResultsFile(join(directory, "missing.json"))).rejects.toThrow(
      /missing\.json: cannot read file/,
    );
    expect(readdirSync(directory)).toEqual([]);
  });
});
