/**
 * m1's `huatuo_match_choice` (from HuatuoGPT-o1's eval, last-match variant), with Python's regex
 * and string semantics reproduced by hand-written scans: see docs/scoring.md for the cascade.
 */
import { InputError } from "../../errors.js";
import { isPythonSpace, isPythonWordChar, pythonLower, pythonStrip } from "../../python/text.js";
import { SequenceMatcherB } from "./sequence-matcher.js";

/** Which step of the cascade chose the option. */
export type MatchRule = "answer-is" | "letter" | "option-text" | "similarity";

export interface ChoiceMatch {
  /** The chosen option letter (in the degenerate no-option case, what the regex captured). */
  choice: string;
  rule: MatchRule;
  /** The similarity step's best ratio (0: the text shares nothing with any option). */
  ratio?: number;
}

const FINAL_RESPONSE_MARKER = "## Final Response\n\n";
const OPTION_LETTERS = "ABCDEFGHIJKLMN";

/**
 * Options as m1 parses `option_str`: each line stripped, split once on ". "; lines without ". "
 * are skipped. A repeated letter keeps its first position and takes the last text (Python dict).
 */
export function parseOptionStr(optionStr: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const rawLine of optionStr.split("\n")) {
    const line = pythonStrip(rawLine);
    const separator = line.indexOf(". ");
    if (separator < 0) continue;
    options.set(line.slice(0, separator), line.slice(separator + 2));
  }
  return options;
}

/** `match_choice(text, option_str)`: the option letter m1 reads from `text`. */
export function matchChoice(text: string, optionStr: string): string {
  return matchChoiceDetailed(text, optionStr).choice;
}

/** `match_choice` with the step that decided. */
export function matchChoiceDetailed(text: string, optionStr: string): ChoiceMatch {
  const options = parseOptionStr(optionStr);

  const marker = text.lastIndexOf(FINAL_RESPONSE_MARKER);
  if (marker >= 0) text = text.slice(marker + FINAL_RESPONSE_MARKER.length);

  const strict = lastAnswerIsLetter(text);
  if (strict !== null) return { choice: strict, rule: "answer-is" };

  const letter =
    options.size > 0
      ? lastStandaloneLetter(text, Math.min(options.size, OPTION_LETTERS.length))
      : lastDegenerateCapture(text);
  if (letter !== null) return { choice: letter, rule: "letter" };

  const lowered = pythonLower(text);
  const byText = optionWithLatestText(lowered, options);
  if (byText !== null) return { choice: byText, rule: "option-text" };

  if (options.size === 0) {
    // m1 crashes here (`option_letters[None]`): nothing to choose from.
    throw new InputError(
      "option_str has no 'X. text' line, so no option can be matched",
      { field: "option_str" },
      "give the options one per line as 'A. text'",
    );
  }
  return { ...mostSimilarOption(lowered, options), rule: "similarity" };
}

/**
 * Strict step, `(answer is\s*?)([A-N])` with re.S, last match. Matches cannot overlap (a match
 * holds no later "answer is"), so the last match is the last "answer is" followed by Python
 * whitespace and a letter A-N.
 */
function lastAnswerIsLetter(text: string): string | null {
  const phrase = "answer is";
  let start = text.lastIndexOf(phrase);
  while (start >= 0) {
    let index = start + phrase.length;
    while (index < text.length && isPythonSpace(text.charCodeAt(index))) index++;
    const unit = text.charCodeAt(index);
    if (unit >= 0x41 && unit <= 0x4e) return text[index]!;
    if (start === 0) break;
    start = text.lastIndexOf(phrase, start - 1);
  }
  return null;
}

/** The code point starting at `index` and its length in UTF-16 units. */
function codePointAt(text: string, index: number): [codePoint: number, units: number] {
  const codePoint = text.codePointAt(index)!;
  return [codePoint, codePoint > 0xffff ? 2 : 1];
}

/** The code point ending just before `index` and the index where it starts. */
function codePointBefore(text: string, index: number): [codePoint: number, start: number] {
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) {
      return [((high - 0xd800) << 10) + (low - 0xdc00) + 0x10000, index - 2];
    }
  }
  return [low, index - 1];
}

/** `[\u4e00-\u9fff]|\W`: what may stand on either side of a standalone letter. */
function isBoundary(codePoint: number): boolean {
  return (codePoint >= 0x4e00 && codePoint <= 0x9fff) || !isPythonWordChar(codePoint);
}

/**
 * Non-strict step: the last match of
 * `([\u4e00-\u9fff]|is |是|项|\*|\W|\ |\(|为|^|'|"|#)(?![aA] )([L])(\W|[\u4e00-\u9fff]|$)`
 * (re.S), L = the first `letterCount` letters of A-N, with matches scanned left to right without
 * overlap, as `re.finditer` does.
 *
 * Every alternative of the first group is one boundary character (是, 项, 为 are CJK; `*`, space,
 * `(`, quotes and `#` are \W), "is " (which ends in a space, a boundary that yields the same
 * letter) or `^`. So the next match after position `from` is the first letter q whose preceding
 * character is a boundary starting at or after `from` (or q = 0 when `from` = 0), not an "A "
 * (the lookahead), and followed by a boundary character or the end of the text (`$` before a
 * final newline adds nothing: a newline is \W). The match ends after that following character, so
 * it cannot also open the next match: "A,B." matches A only.
 */
function lastStandaloneLetter(text: string, letterCount: number): string | null {
  const lastLetter = 0x41 + letterCount - 1;
  const length = text.length;
  let from = 0;
  let found: string | null = null;
  for (let q = 0; q < length; q++) {
    const unit = text.charCodeAt(q);
    if (unit < 0x41 || unit > lastLetter) continue;
    if (q === 0) {
      if (from !== 0) continue;
    } else {
      const [before, beforeStart] = codePointBefore(text, q);
      if (beforeStart < from || !isBoundary(before)) continue;
    }
    if (unit === 0x41 && text.charCodeAt(q + 1) === 0x20) continue; // (?![aA] )
    if (q + 1 === length) {
      found = text[q]!;
      from = length;
      continue;
    }
    const [after, afterUnits] = codePointAt(text, q + 1);
    if (!isBoundary(after)) continue;
    found = text[q]!;
    from = q + 1 + afterUnits;
    q = from - 1;
  }
  return found;
}

/**
 * The non-strict step when option_str yields no option: m1 builds `[` + "" + `]`, which Python
 * reads as a character class starting with a literal `]`, so the pattern becomes
 * `(G1)(?![aA] )([])(\W|[\u4e00-\u9fff]|$)`: group 2 is one \W or CJK character, or empty at
 * `$`. Rare (a hand-written option_str without "X. " lines) but kept exact.
 */
function lastDegenerateCapture(text: string): string | null {
  const length = text.length;
  let found: string | null = null;
  let from = 0;
  while (from <= length) {
    let matched = false;
    // Starts step by code point: Python never starts inside an astral character.
    for (
      let start = from;
      start <= length && !matched;
      start += start < length ? codePointAt(text, start)[1] : 1
    ) {
      for (const groupEnd of firstGroupEnds(text, start)) {
        if (matchesAOptionLookahead(text, groupEnd)) continue;
        if (groupEnd < length) {
          const [codePoint, units] = codePointAt(text, groupEnd);
          if (isBoundary(codePoint)) {
            found = text.slice(groupEnd, groupEnd + units);
            from = groupEnd + units;
            matched = true;
            break;
          }
        }
        if (groupEnd === length || (groupEnd === length - 1 && text[groupEnd] === "\n")) {
          found = "";
          // A match can only be empty on an empty text (group 1 = ^, group 2 = $); finditer
          // then refuses a second empty match there, so step past it.
          from = groupEnd === start ? groupEnd + 1 : groupEnd;
          matched = true;
          break;
        }
      }
    }
    if (!matched) break;
  }
  return found;
}

/** Where group 1 can end when it starts at `start`, in the pattern's alternative order. */
function firstGroupEnds(text: string, start: number): number[] {
  const ends: number[] = [];
  if (start < text.length) {
    const [codePoint, units] = codePointAt(text, start);
    if (isBoundary(codePoint)) ends.push(start + units);
    else if (text.startsWith("is ", start)) ends.push(start + 3);
  }
  if (start === 0) ends.push(0);
  return ends;
}

function matchesAOptionLookahead(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return (unit === 0x41 || unit === 0x61) && text.charCodeAt(index + 1) === 0x20;
}

/**
 * Option-text step: among options whose lower-cased text occurs in the lower-cased text, the one
 * whose last occurrence starts latest; on a tie the earlier option (Python's sort is stable, also
 * with reverse=True). An empty option text occurs everywhere, at the very end.
 */
function optionWithLatestText(lowered: string, options: Map<string, string>): string | null {
  let best: string | null = null;
  let bestStart = -1;
  for (const [letter, optionText] of options) {
    const start = lowered.lastIndexOf(pythonLower(optionText));
    if (start > bestStart) {
      best = letter;
      bestStart = start;
    }
  }
  return best;
}

/** Similarity step: highest SequenceMatcher ratio; `>=` so ties go to the later option. */
function mostSimilarOption(
  lowered: string,
  options: Map<string, string>,
): { choice: string; ratio: number } {
  const matcher = new SequenceMatcherB(lowered);
  let best = "";
  let bestRatio = 0;
  for (const [letter, optionText] of options) {
    const ratio = matcher.ratio(pythonLower(optionText));
    if (ratio >= bestRatio) {
      best = letter;
      bestRatio = ratio;
    }
  }
  return { choice: best, ratio: bestRatio };
}
