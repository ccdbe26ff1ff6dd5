/**
 * m1-exact scoring: answer extraction, HuatuoGPT-o1's match_choice, m1's correctness cascade,
 * metrics, and rescoring of m1-format results files. See docs/scoring.md.
 */
export { extractAnswer, lastBoxedOnlyString, removeBoxed } from "./extract-answer.js";
export {
  matchChoice,
  matchChoiceDetailed,
  parseOptionStr,
  type ChoiceMatch,
  type MatchRule,
} from "./match-choice.js";
export { SequenceMatcherB, sequenceMatcherRatio } from "./sequence-matcher.js";
export {
  ANSWER_DECISIONS,
  answerChoice,
  answerDecision,
  buildOptionStr,
  judgeExtractedAnswer,
  optionStrOf,
  scoreSample,
  type AnswerDecision,
  type CorrectnessRule,
  type SampleScore,
  type ScoringInput,
} from "./score-sample.js";
export {
  averageAccuracy,
  computeMetrics,
  formatMetricsJson,
  sourcesInOrder,
  type Metrics,
  type SourceMetrics,
} from "./metrics.js";
export {
  scoreResults,
  scoreResultsFile,
  validateResultSample,
  type ResultSample,
  type ScoredRecord,
  type ScoredResults,
  type ScoreFileOptions,
  type ScoreFileResult,
} from "./results-file.js";
export { pythonLower } from "../../python/text.js";
