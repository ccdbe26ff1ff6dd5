import type { EngineEvent } from "../engine/budget-forcing.js";
import type { GenerationRecord } from "../engine/record.js";
import type { ThinkingFormat } from "../engine/thinking-formats.js";

/**
 * What a client sees of one choice: the thinking as `reasoning_content`, the answer as `content`.
 * m1's answer prefix (`<|im_start|>answer`, or `...\nFinal Answer:` when the budget cut thinking
 * short) is protocol, not answer: it is left out of `content` (the `m1` object's `response_text`
 * keeps it), and so is the whitespace the model writes right after it. In baseline mode (no
 * thinking) the whole output is the content, as generated.
 */
export interface ChoiceTexts {
  content: string;
  /** Null without thinking. */
  reasoning: string | null;
}

export function choiceTexts(record: GenerationRecord, format: ThinkingFormat): ChoiceTexts {
  if (record.thinking_text === null) return { content: record.response_text, reasoning: null };
  const prefix =
    record.thinking_finish_reason === "length" ? format.forcedAnswerPrefix : format.answerPrefix;
  const answer = record.response_text.startsWith(prefix)
    ? record.response_text.slice(prefix.length)
    : record.response_text;
  return { content: answer.trimStart(), reasoning: record.thinking_text };
}

export interface TextDelta {
  reasoning?: string;
  content?: string;
}

/**
 * The same split, live: each engine event becomes the delta it adds, so that a stream's deltas
 * add up to exactly the texts of `choiceTexts`.
 */
export class DeltaSplitter {
  private answerStarted = false;

  constructor(private readonly thinking: boolean) {}

  /** The delta an event adds, or undefined when it adds nothing a client shows. */
  next(event: EngineEvent): TextDelta | undefined {
    if (event.text === "") return undefined;
    if (event.phase === "thinking") return { reasoning: event.text };
    if (event.type === "inserted" && event.reason === "answer-prefix") return undefined;
    if (!this.thinking || this.answerStarted) return { content: event.text };
    const text = event.text.trimStart();
    if (text === "") return undefined;
    this.answerStarted = true;
    return { content: text };
  }
}
