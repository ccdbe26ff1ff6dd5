import { describe, expect, test } from "vitest";
import { InputError } from "../../src/errors.js";
import { loadEvalDataset } from "../../src/eval/datasets/index.js";
import { writeIn } from "../data/helpers.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs("m1-datasets-");
const good = { question: "Q?", options: { A: "x", B: "y" }, answer: "x", answer_idx: "A" };

/** Each bad file, and what the one-line error must say (file, item, field). */
const cases: { name: string; content: string | unknown; expected: RegExp }[] = [
  {
    name: "bad JSON",
    content: '{"medqa": [\n  {"question": "Q?",}\n]}',
    expected: /bad\.json:2: not valid JSON/,
  },
  { name: "an empty file", content: "", expected: /bad\.json: the eval file is empty/ },
  {
    name: "a top level that is neither object nor list",
    content: "42",
    expected: /expected a JSON object of sources or a list of items, got the number 42/,
  },
  { name: "an object with no sources", content: {}, expected: /the eval file has no sources/ },
  {
    name: "an empty source list",
    content: { medqa: [] },
    expected: /item medqa: the source has no items/,
  },
  {
    name: "a source that is not a list",
    content: { medqa: good },
    expected: /item medqa: expected a list of items, got an object/,
  },
  {
    name: "an item that is not an object",
    content: { medqa: ["text"] },
    expected: /item medqa\[0\]: expected an object/,
  },
  {
    name: "a missing question",
    content: { medqa: [{ ...good, question: undefined }] },
    expected: /item medqa\[0\]: question: is missing/,
  },
  {
    name: "a blank question",
    content: { medqa: [good, { ...good, question: "  " }] },
    expected: /item medqa\[1\]: question: is blank/,
  },
  {
    name: "missing options",
    content: { medqa: [{ ...good, options: undefined }] },
    expected: /item medqa\[0\]: options: is missing/,
  },
  {
    name: "options given as a list",
    content: { medqa: [{ ...good, options: ["x", "y"] }] },
    expected: /item medqa\[0\]: options: must be an object, got a list/,
  },
  {
    name: "a single option",
    content: { medqa: [{ ...good, options: { A: "x" } }] },
    expected: /options: needs at least two options/,
  },
  {
    name: "a non-letter option key",
    content: { medqa: [{ ...good, options: { A: "x", "2": "y" } }] },
    expected: /item medqa\[0\]: options\.2: option key '2' is not a letter A-N/,
  },
  {
    name: "a non-string option text",
    content: { medqa: [{ ...good, options: { A: "x", B: 7 } }] },
    expected: /item medqa\[0\]: options\.B: option text must be a string/,
  },
  {
    name: "an answer_idx not among the options",
    content: { medqa: [{ ...good, answer_idx: "E" }] },
    expected: /item medqa\[0\]: answer_idx: 'E' is not among the options A, B/,
  },
  {
    name: "a numeric answer_idx",
    content: { medqa: [{ ...good, answer_idx: 0 }] },
    expected: /answer_idx: must be an option letter string/,
  },
  {
    name: "a missing answer",
    content: { medqa: [{ ...good, answer: undefined }] },
    expected: /item medqa\[0\]: answer: is missing/,
  },
  {
    name: "a repeated source",
    content: '{"medqa": [], "medqa": []}',
    expected: /item medqa: source 'medqa' appears twice/,
  },
  {
    name: "a repeated option letter",
    content:
      '{"medqa": [{"question": "Q?", "options": {"A": "x", "A": "y"}, "answer": "y", "answer_idx": "A"}]}',
    expected: /item medqa\[0\]: options\.A: key 'A' appears twice/,
  },
];

describe("loadEvalDataset rejects malformed files with one line naming file, item and field", () => {
  for (const { name, content, expected } of cases) {
    test(`rejects ${name}`, async () => {
      const path = writeIn(tempDir(), "bad.json", content);
      const error = await loadEvalDataset(path).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InputError);
      const message = (error as InputError).message;
      expect(message).toMatch(expected);
      expect(message).toContain("bad.json");
      expect(message).toContain("(fix: ");
      expect(message).not.toContain("\n");
    });
  }

  test("rejects a wrong md5, naming both sums", async () => {
    const path = writeIn(tempDir(), "eval.json", { medqa: [good] });
    const error = (await loadEvalDataset(path, { md5: "fe50ce67a958cfa9bc958a51b2502e57" }).catch(
      (caught: unknown) => caught,
    )) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /eval\.json: eval_data_md5sum: md5 mismatch: the file has [0-9a-f]{32}, eval_data_md5sum expects fe50ce67a958cfa9bc958a51b2502e57/,
    );
  });

  test("rejects a missing file with a hint to fetch m1's eval file", async () => {
    const error = (await loadEvalDataset("/nonexistent/m1_eval_data.json").catch(
      (caught: unknown) => caught,
    )) as InputError;
    expect(error.message).toMatch(
      /m1_eval_data\.json: cannot read the eval file .*m1 data fetch m1-eval/,
    );
  });
});
