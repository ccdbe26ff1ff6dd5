import { ConfigError } from "../errors.js";

/**
 * How a model delimits its thinking, as data. The engine has no branch per preset: every preset is
 * one of these records, and custom delimiters from config are just another one.
 */
export interface ThinkingFormat {
  /** Preset name, or "custom". */
  name: string;
  /**
   * Whether there is a thinking phase at all. Without one (baseline mode) the engine makes one call
   * with `max_new_tokens` and no stop strings, as m1 does when `force_think` is false.
   */
  thinking: boolean;
  /** Appended to the rendered prompt to open thinking (m1's `think_str`). */
  thinkStart: string;
  /** Stop strings of every thinking and answer call (m1: `<|im_end|>`, `<|im_start|>`). */
  stopStrings: readonly string[];
  /** Inserted after thinking that stopped by itself (m1's `start_answer_str`). */
  answerPrefix: string;
  /** Inserted after thinking that hit the budget (m1's `start_overthink_answer_str`). */
  forcedAnswerPrefix: string;
}

/** m1's Qwen2.5 ChatML thinking format, byte for byte (reference section 2 and 3). */
export const M1_THINKING_FORMAT: ThinkingFormat = {
  name: "m1",
  thinking: true,
  thinkStart: "<|im_start|>think\n",
  stopStrings: ["<|im_end|>", "<|im_start|>"],
  answerPrefix: "<|im_start|>answer",
  forcedAnswerPrefix: "<|im_start|>answer\nFinal Answer:",
};

/** Qwen3's sentence for closing thinking early (its own budget recipe). */
export const QWEN3_FORCED_CLOSE_MESSAGE =
  "Considering the limited time by the user, I have to give the solution based on the thinking directly now.";

/**
 * `<think>` ... `</think>` (DeepSeek-R1, QwQ, Qwen3). Thinking stops at `</think>` or at the end of
 * the turn; the answer follows `</think>\n\n`. `forcedCloseMessage` (e.g. Qwen3's sentence) is
 * written before `</think>` when the budget closes thinking.
 */
export function thinkTagsThinkingFormat(
  options: { forcedCloseMessage?: string } = {},
): ThinkingFormat {
  const message = options.forcedCloseMessage ? `${options.forcedCloseMessage}\n` : "";
  return {
    name: "think-tags",
    thinking: true,
    thinkStart: "<think>\n",
    stopStrings: ["</think>", "<|im_end|>", "<|endoftext|>"],
    answerPrefix: "</think>\n\n",
    forcedAnswerPrefix: `${message}</think>\n\n`,
  };
}

/** Baseline: no thinking segment, one plain call. */
export const NO_THINKING_FORMAT: ThinkingFormat = {
  name: "none",
  thinking: false,
  thinkStart: "",
  stopStrings: [],
  answerPrefix: "",
  forcedAnswerPrefix: "",
};

export const THINKING_FORMAT_NAMES = ["m1", "think-tags", "none"] as const;
export type ThinkingFormatName = (typeof THINKING_FORMAT_NAMES)[number];

/** Overrides a user may give for any preset (m1's config keys). */
export interface ThinkingFormatOverrides {
  think_str?: string;
  stop_strings?: readonly string[];
  start_answer_str?: string;
  start_overthink_answer_str?: string;
  forced_close_message?: string;
}

/** Resolve a preset name plus m1-style overrides into a format; unknown names are a ConfigError. */
export function resolveThinkingFormat(
  name: string,
  overrides: ThinkingFormatOverrides = {},
): ThinkingFormat {
  let base: ThinkingFormat;
  switch (name) {
    case "m1":
      base = M1_THINKING_FORMAT;
      break;
    case "think-tags":
      base = thinkTagsThinkingFormat({ forcedCloseMessage: overrides.forced_close_message });
      break;
    case "none":
      base = NO_THINKING_FORMAT;
      break;
    default:
      throw new ConfigError(`unknown thinking format '${name}'`, {
        key: "thinking_format",
        fix: `use one of ${THINKING_FORMAT_NAMES.join(", ")}, or set think_str/stop_strings/start_answer_str for custom delimiters`,
      });
  }
  const custom =
    overrides.think_str !== undefined ||
    overrides.stop_strings !== undefined ||
    overrides.start_answer_str !== undefined ||
    overrides.start_overthink_answer_str !== undefined;
  if (!custom) return base;
  return {
    name: base.thinking ? "custom" : base.name,
    thinking: base.thinking,
    thinkStart: overrides.think_str ?? base.thinkStart,
    stopStrings: overrides.stop_strings ?? base.stopStrings,
    answerPrefix: overrides.start_answer_str ?? base.answerPrefix,
    forcedAnswerPrefix: overrides.start_overthink_answer_str ?? base.forcedAnswerPrefix,
  };
}
