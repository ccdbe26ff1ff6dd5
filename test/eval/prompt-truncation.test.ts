import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { validateEvalConfig } from "../../src/eval/config/load.js";
import { truncatePromptAsM1 } from "../../src/eval/prompt-truncation.js";
import { loadTokenizerJson } from "../../src/tokenizers/index.js";

// A byte-level BPE with Qwen's special tokens: one token per ASCII character, one per special.
const tokenizer = loadTokenizerJson(
  join(import.meta.dirname, "../fixtures/train/qwen2.5-instruct"),
);
const PROMPT = "<|im_start|>user\nWhich nerve?<|im_end|>\n<|im_start|>assistant\n";

describe("truncatePromptAsM1 (m1's max_tokens)", () => {
  it("counts special-token text as one token each, as transformers' encode does", async () => {
    expect(await tokenizer.tokenize!(PROMPT)).toHaveLength(1 + 4 + 1 + 12 + 1 + 1 + 1 + 9 + 1);
  });

  it("over the limit: decodes the first max_tokens ids, special tokens written out", async () => {
    expect(await truncatePromptAsM1(PROMPT, 7, tokenizer)).toBe("<|im_start|>user\nW");
    expect(await truncatePromptAsM1(PROMPT, 1, tokenizer)).toBe("<|im_start|>");
  });

  it("within the limit: keeps the last max_tokens characters, which cuts the head", async () => {
    const tokens = (await tokenizer.tokenize!(PROMPT)).length;
    expect(await truncatePromptAsM1(PROMPT, tokens, tokenizer)).toBe(PROMPT.slice(-tokens));
    expect(await truncatePromptAsM1(PROMPT, PROMPT.length, tokenizer)).toBe(PROMPT);
  });

  it("slices characters as Python does (code points, not UTF-16 units)", async () => {
    // 6 tokens (a special, four bytes of the emoji, x) in 12 code points.
    const text = "<|im_end|>\u{1FA7A}x";
    expect(await tokenizer.tokenize!(text)).toHaveLength(6);
    expect(await truncatePromptAsM1(text, 6, tokenizer)).toBe("nd|>\u{1FA7A}x");
  });

  it("is off for max_tokens <= 0 (m1's default -1)", async () => {
    expect(await truncatePromptAsM1(PROMPT, -1, {})).toBe(PROMPT);
    expect(await truncatePromptAsM1(PROMPT, 0, {})).toBe(PROMPT);
  });

  it("refuses a backend without token ids, naming max_tokens and the fix", async () => {
    const error = await truncatePromptAsM1(PROMPT, 5, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^max_tokens: needs a tokenizer that gives token ids.*\(fix: set tokenizer_path/,
    );
  });

  it("is accepted by the eval config (m1 ships -1; any whole number is valid)", () => {
    expect(validateEvalConfig({ max_tokens: 4096 }).max_tokens).toBe(4096);
    expect(validateEvalConfig({}).max_tokens).toBe(-1);
  });
});
