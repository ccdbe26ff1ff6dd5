import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRows } from "../../src/io/rows.js";
import { runCli } from "../support/cli.js";
import { useTempDir } from "../support/temp-dirs.js";

const tempDir = useTempDir();

const ROWS = [
  { id: 0, prompt: "Which nerve supplies the deltoid muscle?\nA. Axillary\nB. Radial" },
  { id: 1, prompt: "Drug of choice for absence seizures is:\nA. Ethosuximide\nB. Phenytoin" },
  { id: 2, prompt: "Which nerve supplies the deltoid muscle?\nA. Axillary\nB. Radial." },
  { id: 3, prompt: "Which nerve supplies the deltoid muscle?\nA. Axillary\nB. Radial" },
  { id: 4, prompt: "Drug of choice for absence seizure is:\nA. Ethosuximide\nB. Phenytoin" },
  { id: 5, prompt: "Most common site of carcinoid tumour is:\nA. Appendix\nB. Ileum" },
];

function writeJsonl(path: string, rows: readonly object[]): void {
  writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
}

describe("m1 curate dedup", () => {
  it("writes the kept rows in input order and one JSON line per pair", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "in.jsonl"), ROWS);
    const { code, stderr } = await runCli([
      "curate",
      "dedup",
      "--in",
      join(dir, "in.jsonl"),
      "--column",
      "prompt",
      "--out",
      join(dir, "out.jsonl"),
      "--pairs",
      join(dir, "pairs.jsonl"),
      "--quiet",
    ]);
    expect(code).toBe(0);
    const kept = await readRows(join(dir, "out.jsonl"));
    expect(kept.map((row) => row.id)).toEqual([0, 1, 5]);
    expect(kept[0]).toEqual(ROWS[0]);
    const pairs = readFileSync(join(dir, "pairs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(pairs.map((pair) => [pair.a, pair.b])).toEqual([
      [0, 2],
      [0, 3],
      [1, 4],
      [2, 3],
    ]);
    for (const pair of pairs) {
      expect(Object.keys(pair)).toEqual(["a", "b", "score"]);
      expect(pair.score).toBeGreaterThanOrEqual(95);
    }
    expect(pairs[1].score).toBe(100);
    expect(stderr).toMatch(/6 rows in, 4 pairs >= 95, dropped 3, kept 3/);
  });

  it("reads Parquet, honours --threshold and runs on worker threads", async () => {
    const dir = tempDir();
    writeJsonl(join(dir, "rows.jsonl"), ROWS);
    // Convert through the CLI's own writer: dedup at 100 keeps everything but the exact copy.
    await runCli([
      "curate",
      "dedup",
      "--in",
      join(dir, "rows.jsonl"),
      "--column",
      "prompt",
      "--threshold",
      "100",
      "--out",
      join(dir, "rows.parquet"),
      "-q",
    ]);
    expect((await readRows(join(dir, "rows.parquet"))).map((row) => row.id)).toEqual([
      0, 1, 2, 4, 5,
    ]);
    const { code } = await runCli([
      "curate",
      "dedup",
      "--in",
      join(dir, "rows.parquet"),
      "--column",
      "prompt",
      "--threshold",
      "97.5",
      "--workers",
      "2",
      "--out",
      join(dir, "out.parquet"),
      "-q",
    ]);
    expect(code).toBe(0);
    expect((await readRows(join(dir, "out.parquet"))).map((row) => row.id)).toEqual([0, 1, 5]);
  });
});

describe("the installed m1 command", () => {
  it("runs dedup on worker threads from bin/m1.js (tsx loader registered in each worker)", () => {
    const dir = tempDir();
    writeJsonl(join(dir, "in.jsonl"), ROWS);
    const bin = new URL("../../bin/m1.js", import.meta.url).pathname;
    execFileSync(
      process.execPath,
      [
        bin,
        "curate",
        "dedup",
        "--in",
        "in.jsonl",
        "--column",
        "prompt",
        "--out",
        "out.jsonl",
        "--workers",
        "2",
        "-q",
      ],
      { cwd: dir, stdio: "pipe" },
    );
    const kept = readFileSync(join(dir, "out.jsonl"), "utf8").trim().split("\n");
    expect(kept.map((line) => JSON.parse(line).id)).toEqual([0, 1, 5]);
  });
});

describe("m1 curate dedup on bad input: one line, exit 2, nothing written", () => {
  const cases: Array<[string, (dir: string) => string[], RegExp]> = [
    [
      "a row without the column names the file, line and field",
      (dir) => {
        writeFileSync(join(dir, "in.jsonl"), `${JSON.stringify(ROWS[0])}\n\n{"id": 9}\n`);
        return ["--in", join(dir, "in.jsonl"), "--column", "prompt"];
      },
      /in\.jsonl:3: prompt: field missing \(fix: check --column/,
    ],
    [
      "a non-string value names the file, line and field",
      (dir) => {
        writeJsonl(join(dir, "in.jsonl"), [ROWS[0]!, { prompt: 42 }]);
        return ["--in", join(dir, "in.jsonl"), "--column", "prompt"];
      },
      /in\.jsonl:2: prompt: expected a string, got a number/,
    ],
    [
      "a threshold out of range",
      (dir) => {
        writeJsonl(join(dir, "in.jsonl"), ROWS);
        return ["--in", join(dir, "in.jsonl"), "--column", "prompt", "--threshold", "101"];
      },
      /--threshold: "101" is not a number from 0 to 100 \(fix: use e\.g\. --threshold 95\)\s*$/,
    ],
    [
      "a missing input file",
      (dir) => ["--in", join(dir, "nowhere.jsonl"), "--column", "prompt"],
      /nowhere\.jsonl: cannot read file/,
    ],
    [
      "an output type we cannot write",
      (dir) => {
        writeJsonl(join(dir, "in.jsonl"), ROWS);
        return [
          "--in",
          join(dir, "in.jsonl"),
          "--column",
          "prompt",
          "--pairs",
          join(dir, "pairs.txt"),
        ];
      },
      /pairs\.txt: unsupported file type '\.txt'/,
    ],
  ];

  for (const [name, setUp, message] of cases) {
    it(name, async () => {
      const dir = tempDir();
      const args = setUp(dir);
      const before = readdirSync(dir);
      const { code, stderr } = await runCli([
        "curate",
        "dedup",
        ...args,
        "--out",
        join(dir, "out.jsonl"),
        "-q",
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split("\n")[0]).toMatch(message);
      expect(readdirSync(dir)).toEqual(before);
      expect(existsSync(join(dir, "out.jsonl"))).toBe(false);
    });
  }
});
