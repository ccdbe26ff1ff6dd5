/**
 * m1's per-sample scoring: the extraction, the correctness cascade of `score()` and the
 * response-level match_choice that m1's inference stores. Field names are m1's.
 */
import { InputError } from "../../errors.js";
import { extractAnswer } from "./extract-answer.js";
import { matchChoiceDetailed, type ChoiceMatch } from "./match-choice.js";
import { codePointLength, pythonLower } from "../../python/text.js";

// One definition of m1's option_str, shared with the prompt builder.
import { buildOptionStr } from "../prompt.js";
export { buildOptionStr };

/** What scoring needs from a sample (m1's field names). */
export interface ScoringInput {
  /** The model's answer text (answer prefix + answer in thinking mode). */
  response_text: string;
  /** The correct option's text. */
  answer: string;
  /** The correct option's letter. */
  answer_idx: string;
  /** m1's option string; built from `options` when absent. */
  option_str?: string | null;
  options?: Readonly<Record<string, string>>;
}

/** Which rule of m1's `score()` decided. */
export type CorrectnessRule = "answer-text" | "letter-and-text" | "letter" | "match-choice";

/**
 * How a sample's answer was read, by the step of the cascade that read it: the extracted answer
 * is an option's text (`exact`) or its letter (`letter`); else match_choice found "answer is X"
 * (`strict-regex`), a standalone letter (`loose-regex`), an option's text (`option-text`), or
 * guessed by difflib similarity (`difflib`); `none` when that guess had nothing to go on (no
 * character in common with any option, e.g. an empty answer).
 */
export type AnswerDecision =
  "exact" | "letter" | "strict-regex" | "loose-regex" | "option-text" | "difflib" | "none";

export const ANSWER_DECISIONS: readonly AnswerDecision[] = [
  "exact",
  "letter",
  "strict-regex",
  "loose-regex",
  "option-text",
  "difflib",
  "none",
];

const DECISION_OF_MATCH: Record<ChoiceMatch["rule"], AnswerDecision> = {
  "answer-is": "strict-regex",
  letter: "loose-regex",
  "option-text": "option-text",
  similarity: "difflib",
};

/** The decision behind a verdict of the cascade. */
export function answerDecision(rule: CorrectnessRule, match?: ChoiceMatch): AnswerDecision {
  if (rule === "answer-text" || rule === "letter-and-text") return "exact";
  if (rule === "letter" || !match) return "letter";
  if (match.rule === "similarity" && (match.ratio ?? 0) === 0) return "none";
  return DECISION_OF_MATCH[match.rule];
}

export interface SampleScore {
  correct: boolean;
  /** `extract_answer(response_text)`. */
  extracted_answer: string;
  /** Inference's `huatuo_extracted_answer`: match_choice on the whole response_text. */
  huatuo_extracted_answer: string;
  /** `score()`'s `huatuo_extracted_answer`: match_choice on the extracted answer, or null when
   *  an earlier rule already decided. */
  scored_huatuo_extracted_answer: string | null;
  /** Which rule of `score()` decided correctness. */
  correctness_rule: CorrectnessRule;
  /** How the answer was read (the cascade's step, difflib guesses told apart). */
  decided_by: AnswerDecision;
  /** The option the answer names, as the cascade read it (the gold letter for the exact rules). */
  choice: string;
}

/** The option string a sample is scored against. */
export function optionStrOf(sample: Pick<ScoringInput, "option_str" | "options">): string {
  if (typeof sample.option_str === "string") return sample.option_str;
  if (sample.options !== undefined) return buildOptionStr(sample.options);
  throw new InputError("missing", { field: "option_str" }, "give option_str or options");
}

/**
 * Everything m1 computes for one sample: inference's extraction and response-level match_choice,
 * then `score()`'s verdict, comparing lower-cased: the extracted answer equals the answer text, or
 * `{answer_idx}. {answer}`, or is one character equal to answer_idx; otherwise
 * match_choice(extracted answer, option_str) must equal answer_idx.
 */
export function scoreSample(sample: ScoringInput): SampleScore {
  const optionStr = optionStrOf(sample);
  const extracted = extractAnswer(sample.response_text);
  const responseMatch = matchChoiceDetailed(sample.response_text, optionStr);
  const verdict = judgeExtractedAnswer(extracted, sample.answer, sample.answer_idx, () =>
    // Without a box the extracted answer is the whole response: reuse its match.
    extracted === sample.response_text ? responseMatch : matchChoiceDetailed(extracted, optionStr),
  );
  return {
    correct: verdict.correct,
    extracted_answer: extracted,
    huatuo_extracted_answer: responseMatch.choice,
    scored_huatuo_extracted_answer: verdict.scoredChoice,
    correctness_rule: verdict.rule,
    decided_by: answerDecision(verdict.rule, verdict.match),
    choice: verdict.match?.choice ?? sample.answer_idx,
  };
}

/**
 * The option a probe's (or any) answer text names, without knowing the gold answer: the letter
 * match_choice reads from the extracted answer, or "" when only a difflib guess could name one.
 */
export function answerChoice(responseText: string, optionStr: string): string {
  const match = matchChoiceDetailed(extractAnswer(responseText), optionStr);
  return match.rule === "similarity" ? "" : match.choice;
}

/**
 * Whether `pythonLower(text)` could equal `lowered`: every code point lower-cases to at least one
 * code point, so a text with more than twice as many UTF-16 units (at least as many code points)
 * cannot. Spares lower-casing a whole long response just to compare it with a short answer.
 */
function mayLowerTo(text: string, lowered: string): boolean {
  return text.length <= 2 * lowered.length;
}

/** The cascade of m1's `score()` on an already extracted answer. */
export function judgeExtractedAnswer(
  extracted: string,
  answer: string,
  answerIdx: string,
  matchExtracted: () => ChoiceMatch,
): { correct: boolean; scoredChoice: string | null; rule: CorrectnessRule; match?: ChoiceMatch } {
  let lowered: string | undefined;
  const loweredAnswer = pythonLower(answer);
  if (mayLowerTo(extracted, loweredAnswer)) {
    lowered = pythonLower(extracted);
    if (lowered === loweredAnswer) {
      return { correct: true, scoredChoice: null, rule: "answer-text" };
    }
  }
  const loweredLetterAndText = pythonLower(`${answerIdx}. ${answer}`);
  if (mayLowerTo(extracted, loweredLetterAndText)) {
    lowered ??= pythonLower(extracted);
    if (lowered === loweredLetterAndText) {
      return { correct: true, scoredChoice: null, rule: "letter-and-text" };
    }
  }
  const letter = pythonLower(answerIdx);
  if (
    extracted.length <= 2 &&
    codePointLength(extracted) === 1 &&
    pythonLower(extracted) === letter
  ) {
    return { correct: true, scoredChoice: null, rule: "letter" };
  }
  const match = matchExtracted();
  return {
    correct: pythonLower(match.choice) === letter,
    scoredChoice: match.choice,
    rule: "match-choice",
    match,
  };
}
