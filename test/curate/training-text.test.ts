import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadChatTemplateFile } from "../../src/backends/chat-template.js";
import { m1Attempt } from "../../src/curate/training-text/render.js";
import { renderTrainingRows } from "../../src/curate/training-text/training-rows.js";
import { pythonStrip } from "../../src/python/text.js";
import {
  renderTrainingFile,
  tokenStatsPath,
} from "../../src/curate/training-text/training-file.js";
import { percentile, tokenLengthStats } from "../../src/curate/training-text/token-stats.js";
import { loadTokenizerJson } from "../../src/tokenizers/tokenizer-json.js";
import {
  FIXTURES,
  QWEN_DIR,
  QWEN_TOKENIZER,
  QWEN_TOKENIZER_CONFIG,
  huatuoRows,
  readJsonl,
  temporaryFolder,
  writeJsonl,
} from "../train/support.js";

// Golden texts come from test/fixtures/train/make_fixtures.py: m1's formatting rule rendered with
// Python's Jinja2 the way transformers' apply_chat_template does, independently of this code.
const golden = readJsonl<{ index: number; text: string }>(join(FIXTURES, "huatuo-golden.jsonl"));
const edgeRows = readJsonl(join(FIXTURES, "edge-rows.jsonl"));
const edgeGolden = readJsonl<{ id: string; text: string }>(join(FIXTURES, "edge-golden.jsonl"));
const qwenTemplate = loadChatTemplateFile(QWEN_TOKENIZER_CONFIG);

/** Tokens under the fixture vocabulary: one per special token, one per UTF-8 byte of the rest. */
function fixtureTokenCount(text: string): number {
  const specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_pad|>"];
  let count = 0;
  let rest = text;
  for (const special of specials) {
    count += rest.split(special).length - 1;
    rest = rest.split(special).join("");
  }
  return count + Buffer.byteLength(rest, "utf8");
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe("m1 training text", () => {
  it("renders HuatuoGPT-o1 demo rows exactly as m1's apply_chat_template does with Qwen2.5's template", async () => {
    const rows = huatuoRows();
    const result = await renderTrainingRows(
      golden.map((entry) => rows[entry.index]!),
      { chatTemplate: qwenTemplate },
    );
    result.rows.forEach((row, position) => expect(row.text).toBe(golden[position]!.text));
    expect(result.rows[0]!.text).toMatch(
      /^<\|im_start\|>system\nYou are Qwen, created by Alibaba Cloud\. You are a helpful assistant\.<\|im_end\|>\n<\|im_start\|>user\nA 45-year-old/,
    );
    expect(result.rows[0]!.text).toMatch(/<\|im_start\|>assistant\n<\|im_start\|>think\nAlright/);
    expect(result.rows[0]!.text).toMatch(/\n<\|im_start\|>answer\nAnswer: [^]*<\|im_end\|>\n$/);
  });

  it("renders the same text from the .jinja template file as from tokenizer_config.json", async () => {
    const fromJinja = loadChatTemplateFile(join(QWEN_DIR, "chat_template.jinja"));
    const rows = huatuoRows(3);
    const a = await renderTrainingRows(rows, { chatTemplate: qwenTemplate });
    const b = await renderTrainingRows(rows, { chatTemplate: fromJinja });
    expect(b.rows.map((row) => row.text)).toEqual(a.rows.map((row) => row.text));
  });

  it("strips reasoning and answer with Python's str.strip() and keeps inner whitespace", async () => {
    const result = await renderTrainingRows(edgeRows, { chatTemplate: qwenTemplate });
    result.rows.forEach((row, index) => expect(row.text).toBe(edgeGolden[index]!.text));
  });

  it("strips what Python's isspace() accepts: U+001C-U+001F and U+0085 go, BOM and zero-width space stay", () => {
    expect(pythonStrip("\u001c\u0085 \t\u3000x y\u00a0\n\u001f")).toBe("x y");
    expect(pythonStrip("\ufeffx\u200b")).toBe("\ufeffx\u200b");
    expect(pythonStrip(" \n ")).toBe("");
  });

  it("puts 'Answer: ' before the answer unless it already contains 'Answer:' (case-sensitive)", () => {
    expect(m1Attempt("B. Folate deficiency")).toBe("Answer: B. Folate deficiency");
    expect(m1Attempt("So the Answer: C")).toBe("So the Answer: C");
    expect(m1Attempt("answer: C")).toBe("Answer: answer: C");
  });

  it("keeps every other column and adds text", async () => {
    const result = await renderTrainingRows(edgeRows.slice(0, 1), { chatTemplate: qwenTemplate });
    expect(result.rows[0]).toMatchObject({
      id: "unicode-space",
      source: "edge",
      metadata: edgeRows[0]!.metadata,
      prompt: edgeRows[0]!.prompt,
    });
    expect(Object.keys(result.rows[0]!)).toContain("text");
    expect(result.rows[0]).not.toHaveProperty("num_tokens");
  });

  it("names the file line and column of a row missing reasoning", async () => {
    const bad = [...huatuoRows(2), { id: "x", prompt: "Q", distilled_answer_string: "A" }];
    await expect(
      renderTrainingRows(bad, {
        chatTemplate: qwenTemplate,
        locate: (index) => ({ file: "rows.jsonl", line: index + 1 }),
      }),
    ).rejects.toThrow(/^rows\.jsonl:3: reasoning: missing column 'reasoning' \(fix: /);
  });
});

describe("token-length statistics", () => {
  it("counts tokens with a tokenizer.json: special tokens once, other text per byte in the fixture vocabulary", async () => {
    const counter = loadTokenizerJson(QWEN_TOKENIZER);
    const rows = huatuoRows(12);
    const result = await renderTrainingRows(rows, {
      chatTemplate: qwenTemplate,
      tokenCounter: counter,
      blockSize: 3000,
    });
    const expected = result.rows.map((row) => fixtureTokenCount(row.text as string));
    expect(result.rows.map((row) => row.num_tokens)).toEqual(expected);
    const above = expected.filter((count) => count > 3000).length;
    expect(result.stats).toMatchObject({ count: 12, blockSize: 3000, aboveBlockSize: above });
    expect(result.stats!.shareAboveBlockSize).toBeCloseTo(above / 12);
    expect(result.aboveBlockSize).toHaveLength(above);
    expect(result.aboveBlockSize.every((id) => id.startsWith("huatuo-"))).toBe(true);
    expect(result.stats!.histogram.reduce((sum, bin) => sum + bin.count, 0)).toBe(12);
    expect(result.stats!.max).toBe(Math.max(...expected));
  });

  it("computes percentiles as numpy's default linear interpolation", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9.1);
    expect(percentile([7], 99)).toBe(7);
  });

  it("bins lengths in powers of two up to the block size, with one bin above it", () => {
    const stats = tokenLengthStats([100, 600, 2000, 4096, 4097], 4096, "test");
    expect(stats.histogram).toEqual([
      { from: 0, to: 512, count: 1 },
      { from: 512, to: 1024, count: 1 },
      { from: 1024, to: 2048, count: 1 },
      { from: 2048, to: 4096, count: 1 },
      { from: 4096, to: null, count: 1 },
    ]);
    expect(stats.aboveBlockSize).toBe(1);
  });
});

describe("m1 curate format (file and CLI)", () => {
  it("writes the rows and a token-stats JSON next to the output", async () => {
    const folder = temporaryFolder();
    cleanup = folder.remove;
    const input = writeJsonl(join(folder.path, "distilled.jsonl"), huatuoRows(6));
    const output = join(folder.path, "out", "m1k.jsonl");
    const summary = await renderTrainingFile({
      inPath: input,
      outPath: output,
      tokenizerConfigPath: QWEN_TOKENIZER_CONFIG,
      tokenizerPath: QWEN_TOKENIZER,
      blockSize: 3000,
    });
    expect(summary.statsPath).toBe(join(folder.path, "out", "m1k.token-stats.json"));
    expect(tokenStatsPath(output)).toBe(summary.statsPath);
    const written = readJsonl(output);
    expect(written).toHaveLength(6);
    expect(written[0]!.text).toBe(golden[0]!.text);
    const stats = JSON.parse(readFileSync(summary.statsPath!, "utf8"));
    expect(stats).toMatchObject({ count: 6, blockSize: 3000, input, output });
    expect(stats.above_block_size_ids).toEqual(summary.aboveBlockSize);
  });
});
