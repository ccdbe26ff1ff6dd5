import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseJsonRecords } from "../../src/eval/m1-layout/json-records.js";

// What pandas 1.5 writes for `df.to_json(orient="records", lines=True, indent=2)` (HF datasets'
// Dataset.to_json(path, indent=2)), copied from a real run: records pretty-printed, separated by
// blank lines, `/` escaped, non-ASCII as \u escapes.
const PANDAS_JSON_LINES_WITH_INDENT =
  '\n  {\n    "correct":true,\n    "answer":"Yes\\/no",\n    "question":"Q1 \\u00e9 \\"quoted\\", {brace}",\n    "huatuo_extracted_answer":null\n  }\n\n' +
  '  {\n    "correct":false,\n    "answer":"z",\n    "question":"Q2",\n    "huatuo_extracted_answer":"A"\n  }\n\n';

describe("reading JSON records in m1's shapes", () => {
  it("reads a JSON array (m1's json.dump(results, indent=2))", () => {
    const records = parseJsonRecords('[\n  {"a": 1},\n  {"a": 2}\n]\n', "x.json");
    expect(records).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("reads JSON Lines", () => {
    expect(parseJsonRecords('{"a": 1}\n{"a": "}{"}\n', "x.jsonl")).toEqual([{ a: 1 }, { a: "}{" }]);
  });

  it("reads pandas' indented JSON Lines, as m1's scored file holds them", () => {
    const records = parseJsonRecords(PANDAS_JSON_LINES_WITH_INDENT, "m1_eval_data.scored.json");
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      correct: true,
      answer: "Yes/no",
      question: 'Q1 é "quoted", {brace}',
      huatuo_extracted_answer: null,
    });
    expect(records[1]!.correct).toBe(false);
  });

  it("reads several pandas chunks written one after another", () => {
    const twice = PANDAS_JSON_LINES_WITH_INDENT + PANDAS_JSON_LINES_WITH_INDENT;
    expect(parseJsonRecords(twice, "x.json")).toHaveLength(4);
  });

  it("handles escaped backslashes before a closing quote", () => {
    expect(parseJsonRecords('{"a": "ends with \\\\"}\n{"b": 2}', "x")).toEqual([
      { a: "ends with \\" },
      { b: 2 },
    ]);
  });

  it("reads an empty file as no records", () => {
    expect(parseJsonRecords("  \n", "x")).toEqual([]);
  });

  it("names the file and line of a cut-off record", () => {
    const read = () => parseJsonRecords('{"a": 1}\n{"a": 2,\n', "cut.json");
    expect(read).toThrow(InputError);
    expect(read).toThrow(/cut\.json:2: the last record is cut off/);
  });

  it("rejects text between records with the line number", () => {
    expect(() => parseJsonRecords('{"a": 1}\nnot json\n', "bad.json")).toThrow(
      /bad\.json:2: unexpected 'n'/,
    );
  });
});
