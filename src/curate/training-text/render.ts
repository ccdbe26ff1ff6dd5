import type { ChatTemplate } from "../../backends/chat-template.js";
import { pythonStrip } from "../../python/text.js";

/** m1's delimiters inside the assistant turn (reference section 2). */
export const M1_THINK_START = "<|im_start|>think\n";
export const M1_ANSWER_START = "<|im_start|>answer\n";

/** The three columns m1's distill step leaves and its chat-template step reads. */
export interface M1TrainingColumns {
  prompt: string;
  reasoning: string;
  distilled_answer_string: string;
}

/**
 * The answer part of the target: m1 puts `Answer: ` in front of the teacher's answer unless the
 * answer already contains `Answer:` (case-sensitive, anywhere), as s1 does for its evaluator.
 */
export function m1Attempt(distilledAnswer: string): string {
  return distilledAnswer.includes("Answer:") ? distilledAnswer : `Answer: ${distilledAnswer}`;
}

/**
 * The assistant content m1 trains on:
 * `<|im_start|>think\n{reasoning.strip()}\n<|im_start|>answer\n{attempt.strip()}`.
 */
export function m1AssistantContent(columns: Omit<M1TrainingColumns, "prompt">): string {
  return (
    M1_THINK_START +
    pythonStrip(columns.reasoning) +
    "\n" +
    M1_ANSWER_START +
    pythonStrip(m1Attempt(columns.distilled_answer_string))
  );
}

/** The user turn and the assistant turn of one training example. */
export function m1TrainingMessages(columns: M1TrainingColumns) {
  return [
    { role: "user" as const, content: columns.prompt },
    { role: "assistant" as const, content: m1AssistantContent(columns) },
  ];
}

/**
 * The full training text: the conversation rendered with the model's chat template and no
 * generation prompt, as transformers' `apply_chat_template(messages, tokenize=False)` does in m1.
 */
export function m1TrainingText(columns: M1TrainingColumns, template: ChatTemplate): string {
  return template.render(m1TrainingMessages(columns), { addGenerationPrompt: false });
}
