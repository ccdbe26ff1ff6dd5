/**
 * Parity with m1's Python scoring on the committed corpus (scripts/scoring-parity/generate.py):
 * for every case the extraction, match_choice on the response (choice and deciding step) and
 * score()'s verdict must equal what Python computed. Only the fixture is read; no Python runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildOptionStr,
  extractAnswer,
  judgeExtractedAnswer,
  matchChoiceDetailed,
  pythonLower,
  scoreSample,
  sequenceMatcherRatio,
} from "../../src/eval/scoring/index.js";
import { bundledDataPath } from "../../src/paths.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/scoring");

interface Expected {
  extracted_answer?: string;
  extracted_is_whole_text?: boolean;
  huatuo_extracted_answer?: string;
  huatuo_rule?: string;
  huatuo_error?: string;
  correct?: boolean;
  scored_huatuo_extracted_answer?: string | null;
  decided_by?: string;
  score_error?: string;
}

interface TextCase {
  id: string;
  kind: "hand" | "demo" | "mutation" | "random";
  response_text?: string;
  demo_index?: number;
  field?: "Response" | "Complex_CoT";
  option_str: string;
  answer: string;
  answer_idx: string;
  expected: Expected;
}

interface RatioCase {
  id: string;
  kind: "ratio";
  a: string;
  b: string;
  ratio: number;
}

interface DemoItem {
  options: Record<string, string>;
  Response: string;
  Complex_CoT: string;
}

const lines = readFileSync(join(FIXTURES, "parity.jsonl"), "utf8").trimEnd().split("\n");
const meta = JSON.parse(lines[0]!).meta as { cases: number; python: string };
const cases = lines.slice(1).map((line) => JSON.parse(line) as TextCase | RatioCase);
const demo = JSON.parse(
  readFileSync(bundledDataPath("huatuo-demo", "demo_data.json"), "utf8"),
) as DemoItem[];

function textOf(testCase: TextCase): string {
  if (testCase.response_text !== undefined) return testCase.response_text;
  return demo[testCase.demo_index!]![testCase.field!];
}

/** What our implementation gives, in the fixture's shape. */
function actualFor(testCase: TextCase): Expected {
  const text = textOf(testCase);
  const extracted = extractAnswer(text);
  const actual: Expected =
    extracted === text ? { extracted_is_whole_text: true } : { extracted_answer: extracted };
  try {
    const match = matchChoiceDetailed(text, testCase.option_str);
    actual.huatuo_extracted_answer = match.choice;
    actual.huatuo_rule = match.rule;
  } catch {
    actual.huatuo_error = "no options";
  }
  try {
    const verdict = judgeExtractedAnswer(extracted, testCase.answer, testCase.answer_idx, () =>
      matchChoiceDetailed(extracted, testCase.option_str),
    );
    actual.correct = verdict.correct;
    actual.scored_huatuo_extracted_answer = verdict.scoredChoice;
    actual.decided_by = verdict.rule;
  } catch {
    actual.score_error = "no options";
  }
  return actual;
}

function mismatchesOf(
  kind: TextCase["kind"],
): { id: string; expected: Expected; actual: Expected }[] {
  const mismatches = [];
  for (const testCase of cases) {
    if (testCase.kind !== kind) continue;
    const actual = actualFor(testCase);
    if (JSON.stringify(actual) !== JSON.stringify(testCase.expected)) {
      mismatches.push({ id: testCase.id, expected: testCase.expected, actual });
    }
  }
  return mismatches;
}

describe("parity with m1's Python scoring", () => {
  it("holds the corpus the generator announced (a few thousand cases)", () => {
    expect(cases.length).toBe(meta.cases);
    expect(cases.length).toBeGreaterThan(3000);
  });

  for (const kind of ["hand", "demo", "mutation", "random"] as const) {
    it(`gives Python's extraction, match_choice and verdict on every ${kind} case`, () => {
      expect(cases.some((testCase) => testCase.kind === kind)).toBe(true);
      expect(mismatchesOf(kind).slice(0, 5)).toEqual([]);
    });
  }

  it("gives the same answers through scoreSample, the eval runner's entry point", () => {
    const mismatches = [];
    for (const testCase of cases) {
      if (testCase.kind === "ratio") continue;
      const expected = testCase.expected;
      if (expected.huatuo_error || expected.score_error) continue;
      const score = scoreSample({ ...testCase, response_text: textOf(testCase) });
      const actual = {
        correct: score.correct,
        huatuo_extracted_answer: score.huatuo_extracted_answer,
        scored_huatuo_extracted_answer: score.scored_huatuo_extracted_answer,
        decided_by: score.correctness_rule,
      };
      const wanted = {
        correct: expected.correct,
        huatuo_extracted_answer: expected.huatuo_extracted_answer,
        scored_huatuo_extracted_answer: expected.scored_huatuo_extracted_answer,
        decided_by: expected.decided_by,
      };
      if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
        mismatches.push({ id: testCase.id, actual, wanted });
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it("builds option_str for the demo questions exactly as m1 joins them", () => {
    for (const testCase of cases) {
      if (testCase.kind !== "demo") continue;
      expect(buildOptionStr(demo[testCase.demo_index!]!.options)).toBe(testCase.option_str);
    }
  });

  it("gives difflib's SequenceMatcher ratio bit for bit, autojunk included", () => {
    const mismatches = [];
    for (const testCase of cases) {
      if (testCase.kind !== "ratio") continue;
      const ratio = sequenceMatcherRatio(testCase.a, testCase.b);
      if (ratio !== testCase.ratio) mismatches.push({ ...testCase, actual: ratio });
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe("Python's str.lower()", () => {
  const table = JSON.parse(readFileSync(join(FIXTURES, "python-lower.json"), "utf8")) as {
    single: [string, string][];
    strings: [string, string][];
  };

  it("lower-cases every character Python lower-cases, to the same text", () => {
    const wrong = table.single.filter(([input, lowered]) => pythonLower(input) !== lowered);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(table.single.length).toBeGreaterThan(1400);
  });

  it("applies Final_Sigma and leaves characters Python does not know unchanged", () => {
    for (const [input, lowered] of table.strings) expect(pythonLower(input)).toBe(lowered);
  });
});
