/**
 * m1's scoring rules one by one, on small readable examples. Expected values were computed with
 * m1's Python code (see scripts/scoring-parity/generate.py); the parity test covers thousands more.
 */
import { describe, expect, it } from "vitest";
import {
  answerChoice,
  averageAccuracy,
  buildOptionStr,
  computeMetrics,
  extractAnswer,
  formatMetricsJson,
  matchChoice,
  matchChoiceDetailed,
  parseOptionStr,
  pythonLower,
  scoreSample,
  sequenceMatcherRatio,
  sourcesInOrder,
} from "../../src/eval/scoring/index.js";
import { pythonFloatRepr } from "../../src/python/float.js";
import { pythonString as pythonJsonString } from "../../src/python/json.js";
import { codePointLength, pythonStrip } from "../../src/python/text.js";

const FRUIT = buildOptionStr({ A: "apple", B: "banana", C: "cherry", D: "date" });

describe("extractAnswer (m1's extract_answer)", () => {
  it("takes the content of the last \\boxed{}", () => {
    expect(extractAnswer("first \\boxed{A}, then \\boxed{B}.")).toBe("B");
  });

  it("follows nested braces to the matching close", () => {
    expect(extractAnswer("so \\boxed{\\frac{1}{2}} it is")).toBe("\\frac{1}{2}");
  });

  it("keeps only what follows the last '=' in the box, removing leading spaces only", () => {
    expect(extractAnswer("\\boxed{a=b=  C}")).toBe("C");
    expect(extractAnswer("\\boxed{x =\tB}")).toBe("\tB");
  });

  it("finds \\fbox{} when there is no \\boxed but never unwraps it", () => {
    expect(extractAnswer("\\fbox{C}")).toBe("\\fbox{C}");
  });

  it("unwraps \\text{} inside a box", () => {
    expect(extractAnswer("\\boxed{\\text{B. banana}}")).toBe("B. banana");
  });

  it("returns the text unchanged when the box never closes or there is none", () => {
    expect(extractAnswer("\\boxed{B")).toBe("\\boxed{B");
    expect(extractAnswer("no box here")).toBe("no box here");
    expect(extractAnswer("")).toBe("");
  });
});

describe("matchChoice (HuatuoGPT-o1's match_choice, last match)", () => {
  it("takes the letter after the last 'answer is', across whitespace and newlines", () => {
    expect(matchChoiceDetailed("answer is A; no, the answer is\n\nC", FRUIT)).toEqual({
      choice: "C",
      rule: "answer-is",
    });
  });

  it("treats Python's whitespace as \\s (U+001C yes, U+FEFF no)", () => {
    expect(matchChoiceDetailed("answer is\x1cD", FRUIT).rule).toBe("answer-is");
    expect(matchChoiceDetailed("answer is\ufeffB", FRUIT).rule).not.toBe("answer-is");
  });

  it("reads only what follows the last '## Final Response\\n\\n'", () => {
    expect(matchChoice("The answer is A\n## Final Response\n\nB is it.", FRUIT)).toBe("B");
  });

  it("takes the last standalone letter among the first n letters", () => {
    expect(matchChoiceDetailed("Between (B) and (D), pick (C).", FRUIT)).toEqual({
      choice: "C",
      rule: "letter",
    });
    expect(matchChoiceDetailed("E.", FRUIT).rule).not.toBe("letter");
  });

  it("does not let a match's trailing character open the next match ('A,B.' gives A)", () => {
    expect(matchChoice("A,B.", FRUIT)).toBe("A");
    expect(matchChoice("A, B.", FRUIT)).toBe("B");
  });

  it("skips an 'A' followed by a space (the lookahead (?![aA] ))", () => {
    expect(matchChoice("(C) A patient", FRUIT)).toBe("C");
  });

  it("treats accented and other-script letters as word characters, CJK as a boundary", () => {
    expect(matchChoiceDetailed("éB.", FRUIT).rule).not.toBe("letter");
    expect(matchChoice("答案是C。", FRUIT)).toBe("C");
    expect(matchChoiceDetailed("\u0301B.", FRUIT).rule).toBe("letter"); // a combining mark is \W
    expect(matchChoiceDetailed("²B.", FRUIT).rule).not.toBe("letter"); // '²'.isalnum() is True
  });

  it("matches a letter at the end or before a final newline", () => {
    expect(matchChoice("Option: D\n", FRUIT)).toBe("D");
    expect(matchChoice("so D", FRUIT)).toBe("D");
  });

  it("counts an astral character as one character", () => {
    expect(matchChoice("😀B😀", FRUIT)).toBe("B");
    expect(matchChoiceDetailed("\u{1d400}B.", FRUIT).rule).not.toBe("letter");
  });

  it("picks the option whose text occurs last, the earlier option on a tie", () => {
    expect(matchChoiceDetailed("I like cherry and apple", FRUIT)).toEqual({
      choice: "A",
      rule: "option-text",
    });
    expect(matchChoice("ab", "A. a\nB. ab")).toBe("A");
    expect(matchChoice("x same", "A. same\nB. same")).toBe("A");
  });

  it("falls back to the most similar option, the later one on a tie", () => {
    expect(matchChoiceDetailed("ab", "A. abc\nB. abd")).toEqual({
      choice: "B",
      rule: "similarity",
      ratio: 0.8,
    });
    expect(matchChoiceDetailed("bnana", "A. banana\nB. cherry")).toMatchObject({
      choice: "A",
      rule: "similarity",
    });
  });

  it("parses option_str like m1: strip, split once on '. ', skip other lines", () => {
    expect([...parseOptionStr("Options:\n  A. x. y  \nA.z\nB. \n\u3000C. w")]).toEqual([
      ["A", "x. y"],
      ["C", "w"],
    ]);
    expect([...parseOptionStr("A. x\nB. y\nA. z")]).toEqual([
      ["A", "z"],
      ["B", "y"],
    ]);
  });

  it("refuses to guess when option_str holds no option and nothing matches (m1 crashes)", () => {
    expect(() => matchChoice("xyz", "no options here")).toThrow(/option_str/);
  });
});

describe("sequenceMatcherRatio (difflib.SequenceMatcher(None, a, b).ratio())", () => {
  it("gives difflib's ratio on a plain pair", () => {
    expect(sequenceMatcherRatio("abcd", "bcde")).toBe(0.75);
    expect(sequenceMatcherRatio("", "")).toBe(1.0);
  });

  it("drops elements of a 200+ element b seen more than 1% + 1 times (autojunk)", () => {
    expect(sequenceMatcherRatio("ba", "ab".repeat(100))).toBe(0.0);
    expect(sequenceMatcherRatio("ba", `${"ab".repeat(99)}a`)).toBe(0.01990049751243781);
    expect(sequenceMatcherRatio("bababa", `${"ab".repeat(99)}a`)).toBe(0.05853658536585366);
  });

  it("compares code points, not UTF-16 units", () => {
    expect(sequenceMatcherRatio("😀a", "a")).toBe(0.6666666666666666);
  });
});

describe("scoreSample (m1's score() cascade)", () => {
  const sample = { answer: "cherry", answer_idx: "C", option_str: FRUIT };

  it("counts an extracted answer equal to the answer text, ignoring case", () => {
    const score = scoreSample({ ...sample, response_text: "\\boxed{CHERRY}" });
    expect(score).toMatchObject({ correct: true, correctness_rule: "answer-text" });
    expect(score.scored_huatuo_extracted_answer).toBeNull();
  });

  it("counts '{answer_idx}. {answer}' and a lone letter", () => {
    expect(scoreSample({ ...sample, response_text: "\\boxed{c. Cherry}" }).correctness_rule).toBe(
      "letter-and-text",
    );
    expect(scoreSample({ ...sample, response_text: "\\boxed{c}" }).correctness_rule).toBe("letter");
  });

  it("runs match_choice on the extracted answer, not on the whole response", () => {
    const score = scoreSample({ ...sample, response_text: "The answer is C. \\boxed{banana}" });
    expect(score).toMatchObject({
      correct: false,
      extracted_answer: "banana",
      huatuo_extracted_answer: "C",
      scored_huatuo_extracted_answer: "B",
      correctness_rule: "match-choice",
    });
  });

  it("says how each answer was read: exact, letter, strict or loose regex, option text, difflib, none", () => {
    const decided = (response_text: string) => {
      const score = scoreSample({ ...sample, response_text });
      return [score.decided_by, score.choice, score.correct];
    };
    expect(decided("\\boxed{Cherry}")).toEqual(["exact", "C", true]);
    expect(decided("\\boxed{C. cherry}")).toEqual(["exact", "C", true]);
    expect(decided("\\boxed{c}")).toEqual(["letter", "C", true]);
    expect(decided("\\boxed{the answer is B}")).toEqual(["strict-regex", "B", false]);
    expect(decided("\\boxed{(D) it is}")).toEqual(["loose-regex", "D", false]);
    expect(decided("I would say banana.")).toEqual(["option-text", "B", false]);
    expect(decided("\\boxed{chery}")).toEqual(["difflib", "C", true]);
    expect(decided("")).toEqual(["none", "D", false]);
  });

  it("reads the option a probe's answer names without the gold answer, or nothing", () => {
    expect(answerChoice("Final Answer: \\boxed{B}", FRUIT)).toBe("B");
    expect(answerChoice("Final Answer: cherry", FRUIT)).toBe("C");
    expect(answerChoice("Final Answer: hmm", FRUIT)).toBe("");
  });

  it("builds option_str from options when it is absent", () => {
    const score = scoreSample({
      response_text: "I pick (D)",
      answer: "date",
      answer_idx: "D",
      options: { A: "apple", B: "banana", C: "cherry", D: "date" },
    });
    expect(score.correct).toBe(true);
  });
});

describe("metrics", () => {
  const samples = [
    { source: "medqa", correct: true },
    { source: "2024", correct: false },
    { source: "medqa", correct: false },
    { source: "2024", correct: false },
    { source: "medqa", correct: true },
  ];

  it("counts per source and writes sources in order of first appearance", () => {
    const metrics = computeMetrics(samples);
    expect(metrics.medqa).toEqual({ correct_count: 2, total_count: 3, accuracy: 2 / 3 });
    expect(sourcesInOrder(samples)).toEqual(["medqa", "2024"]);
    // A JS object lists "2024" first; the explicit order keeps m1's.
    expect(formatMetricsJson(metrics, sourcesInOrder(samples))).toMatch(/^{\n {2}"medqa"/);
  });

  it("averages per-source accuracies without weighting by size", () => {
    expect(averageAccuracy(computeMetrics(samples))).toBe(1 / 3);
    expect(averageAccuracy({})).toBeNull();
  });

  it("writes metrics.json as Python's json.dump(indent=2) does", () => {
    const metrics = computeMetrics([
      { source: "Médecine 中", correct: true },
      { source: "b", correct: false },
    ]);
    expect(formatMetricsJson(metrics)).toBe(
      '{\n  "M\\u00e9decine \\u4e2d": {\n    "correct_count": 1,\n    "total_count": 1,\n' +
        '    "accuracy": 1.0\n  },\n  "b": {\n    "correct_count": 0,\n    "total_count": 1,\n' +
        '    "accuracy": 0.0\n  }\n}',
    );
  });

  it("formats floats like Python's repr", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [1 / 3, "0.3333333333333333"],
      [5e-5, "5e-05"],
      [0.0001, "0.0001"],
      [1e16, "1e+16"],
      [1234567890123456, "1234567890123456.0"],
      [1e-7, "1e-07"],
      [123e-20, "1.23e-18"],
    ];
    for (const [value, repr] of cases) expect(pythonFloatRepr(value)).toBe(repr);
    expect(pythonJsonString('q"\\\n\x7f😀')).toBe('"q\\"\\\\\\n\\u007f\\ud83d\\ude00"');
  });
});

describe("Python string semantics", () => {
  it("lower-cases like str.lower(): İ becomes i + combining dot, final sigma applies", () => {
    expect(pythonLower("İ")).toBe("i\u0307");
    expect(pythonLower("ΑΣ ΒΣ")).toBe("ας βς");
  });

  it("leaves characters unassigned in Python's Unicode 14 unchanged", () => {
    expect(pythonLower("\ua7cbAB")).toBe("\ua7cbab");
  });

  it("strips Python's whitespace and counts code points", () => {
    expect(pythonStrip("\x1c\u3000 x \x85")).toBe("x");
    expect(pythonStrip("\ufeffx")).toBe("\ufeffx");
    expect(codePointLength("\u{1d401}")).toBe(1);
  });
});
