import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatRuntime } from "../../src/eval/m1-layout/run-log.js";
import { EvalStore, sessionTotals } from "../../src/eval/store/index.js";
import type { RuntimeRow } from "../../src/report/runtime.js";
import { runReport } from "../../src/report/run-report.js";
import { makeItems } from "../fixtures/eval/medical-model.js";
import { answersFor, readStore, useScriptedStudy } from "../fixtures/eval/scripted-study.js";
import { M1_OUTPUTS } from "../fixtures/report/outputs.js";
import { runCli } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * `m1 report --runtime` (m1's gather_time): m1's own trees through their log.txt, our stores
 * through the sessions every process records, summed over resumes.
 */

async function runtimeRows(directory: string): Promise<RuntimeRow[]> {
  const report = await runReport({ directories: [directory], format: "json", runtime: true });
  return JSON.parse(report.stdout) as RuntimeRow[];
}

/** Sum of num_gen_tokens over an m1 results file, read here independently of the report. */
function tokensInResults(versionDir: string): number {
  const records = JSON.parse(
    readFileSync(join(M1_OUTPUTS, versionDir, "m1_eval_data.json"), "utf8"),
  ) as Array<{ num_gen_tokens: number }>;
  return records.reduce((sum, record) => sum + record.num_gen_tokens, 0);
}

describe("runtimes of m1's own output trees (log.txt)", () => {
  const copyDir = useTempDirs("m1-runtime-tree-");
  const BUDGETS = "250319-ablation-thinking_budget/m1-7B-1K";
  const WAITS = "250319-ablation-keep_thinking_below_budget-2048/m1-7B-1K";

  it("takes end minus start (whole days kept, unlike m1's Script runtime line) and rates from the results", async () => {
    const rows = await runtimeRows(M1_OUTPUTS);
    const expected: Array<[string, number, string]> = [
      [`${WAITS}/keep_thinking_below_budget_0/version_0`, 300, "00:05:00"],
      [`${WAITS}/keep_thinking_below_budget_2/version_0`, 7845, "02:10:45"],
      [`${BUDGETS}/thinking_buget_128/version_0`, 263.5, "00:04:23"],
      [`${BUDGETS}/thinking_buget_512/version_0`, 1867, "00:31:07"],
      // Ran 1 day 02:03:04; the log's own line says 02:03:04.
      [`${BUDGETS}/thinking_buget_2048/version_0`, 93_784, "26:03:04"],
    ];
    expect(rows.map((row) => [row.experiment, row.runtime_seconds, row.runtime])).toEqual(expected);
    for (const row of rows) {
      const tokens = tokensInResults(row.experiment);
      expect(row).toMatchObject({
        processes: 1,
        samples: 11,
        generated_tokens: tokens,
        from: "log.txt",
        note: "",
      });
      expect(row.samples_per_second).toBeCloseTo(11 / row.runtime_seconds!, 9);
      expect(row.tokens_per_second).toBeCloseTo(tokens / row.runtime_seconds!, 9);
    }
  });

  it("prints m1's gather_time columns first in TSV (path to log.txt, exp_name, runtime), sorted by exp_name", async () => {
    const result = await runCli(["report", M1_OUTPUTS, "--runtime", "--format", "tsv"]);
    expect(result.code).toBe(0);
    const [header, ...lines] = result.stdout.trimEnd().split("\n");
    expect(header!.split("\t").slice(0, 3)).toEqual(["path", "exp_name", "runtime"]);
    const cells = lines.map((line) => line.split("\t"));
    expect(cells.map((row) => row[1])).toEqual([
      "keep_thinking_below_budget_0",
      "keep_thinking_below_budget_2",
      "thinking_buget_128",
      "thinking_buget_2048",
      "thinking_buget_512",
    ]);
    expect(cells[0]![0]).toBe(
      join(M1_OUTPUTS, WAITS, "keep_thinking_below_budget_0", "version_0", "log.txt"),
    );
    expect(cells[3]![2]).toBe("26:03:04");
  });

  it("adds the total wall time in the markdown table", async () => {
    const result = await runCli(["report", M1_OUTPUTS, "--runtime"]);
    expect(result.code).toBe(0);
    const total = result.stdout.trimEnd().split("\n").at(-1)!;
    // 300 + 7845 + 263.5 + 1867 + 93784 seconds = 104059.5 s = 28:54:19.
    expect(total).toMatch(/^\| total \(5 of 5 with a time\) \| {2}\| 28:54:19 \| 55 \|/);
  });

  it("prints exactly m1's gather_time table with --format paper (its Script runtime line, days dropped)", async () => {
    const result = await runCli(["report", M1_OUTPUTS, "--runtime", "--format", "paper"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const log = (dir: string) => join(M1_OUTPUTS, dir, "version_0", "log.txt");
    expect(result.stdout).toBe(
      [
        "path\texp_name\truntime",
        `${log(`${WAITS}/keep_thinking_below_budget_0`)}\tkeep_thinking_below_budget_0\t00:05:00`,
        `${log(`${WAITS}/keep_thinking_below_budget_2`)}\tkeep_thinking_below_budget_2\t02:10:45`,
        `${log(`${BUDGETS}/thinking_buget_128`)}\tthinking_buget_128\t00:04:23`,
        // m1's line for a run of 1 day 02:03:04, as gather_time reads it.
        `${log(`${BUDGETS}/thinking_buget_2048`)}\tthinking_buget_2048\t02:03:04`,
        `${log(`${BUDGETS}/thinking_buget_512`)}\tthinking_buget_512\t00:31:07`,
        "",
      ].join("\n"),
    );
  });

  it("says which experiments have no runtime record: NA for a log without an end, none without log.txt", async () => {
    const tree = join(copyDir(), "m1-outputs");
    cpSync(M1_OUTPUTS, tree, { recursive: true });
    rmSync(join(tree, BUDGETS, "thinking_buget_128", "version_0", "log.txt"));
    // A run that never ended: m1 wrote only its start.
    writeFileSync(
      join(tree, BUDGETS, "thinking_buget_512", "version_0", "log.txt"),
      "Start time: 2025-03-19 10:05:00\n",
    );

    const paper = await runCli(["report", tree, "--runtime", "--format", "paper"]);
    expect(paper.code).toBe(0);
    const rows = paper.stdout.trimEnd().split("\n").slice(1);
    expect(rows.map((line) => line.split("\t").slice(1))).toEqual([
      ["keep_thinking_below_budget_0", "00:05:00"],
      ["keep_thinking_below_budget_2", "02:10:45"],
      ["thinking_buget_2048", "02:03:04"],
      ["thinking_buget_512", "NA"],
    ]);
    expect(paper.stderr.trim()).toBe(
      `m1: warning: left out of gather_time's table (no log.txt, as gather_time leaves them out): ${BUDGETS}/thinking_buget_128/version_0`,
    );

    const json = await runReport({ directories: [tree], format: "json", runtime: true });
    const notes = Object.fromEntries(
      (JSON.parse(json.stdout) as RuntimeRow[]).map((row) => [row.exp_name, [row.from, row.note]]),
    );
    expect(notes).toMatchObject({
      thinking_buget_128: [null, "no runtime record: no log.txt (m1 writes the time there only)"],
      thinking_buget_512: [null, "log.txt has no end (still running, or stopped)"],
      thinking_buget_2048: ["log.txt", ""],
    });
    expect(json.warnings).toEqual([]);

    for (const dir of readdirSync(tree, { recursive: true, encoding: "utf8" })) {
      if (dir.endsWith("log.txt")) rmSync(join(tree, dir));
    }
    const none = await runCli(["report", tree, "--runtime"]);
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain("| total");
    expect(none.stderr.trim()).toBe(
      "m1: warning: no runtime records: none of the 5 experiment(s) has sessions in a store or a log.txt with an end (the note column says why, per experiment)",
    );
    const refused = await runCli(["report", tree, "--runtime", "--format", "paper"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim().split("\n")).toEqual([
      "m1: error: --format: no log.txt in any of the 5 experiment(s): m1's gather_time has nothing to list (fix: drop --format paper: the other formats also read the time our store records per process)",
    ]);
  });

  it("refuses --runtime with --compare or --by domain (one line, exit 2)", async () => {
    const cases: Array<[string[], string]> = [
      [
        ["--compare", "thinking_buget_128", "thinking_buget_512"],
        "--runtime: --runtime and --compare print different reports",
      ],
      [["--by", "domain"], "--by: --runtime tabulates time per experiment, not per domain"],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli(["report", M1_OUTPUTS, "--runtime", ...flags]);
      expect(result.code, flags.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("runtimes of experiments in a store (sessions)", () => {
  const tempDir = useTempDirs("m1-runtime-");
  const items = makeItems("alpha", 12);
  let onCompletion: (count: number) => void = () => {};
  let completions = 0;
  const scripted = useScriptedStudy({
    dir: tempDir,
    evalFile: "timed.json",
    sources: { alpha: items },
    answers: answersFor({ alpha: items }, (item) => item.answer_idx),
    wrapModel: (model) => (prompt) => {
      onCompletion(++completions);
      return model(prompt);
    },
  });

  const study = (
    outputDir: string,
    overrides: Record<string, unknown> = {},
    signal?: AbortSignal,
  ) =>
    scripted.study(
      {
        force_think: true,
        max_new_tokens: 48,
        max_new_answer_tokens: 24,
        concurrency: 1,
        retries: 0,
        output_dir: outputDir,
        exp_name: "timed",
        ...overrides,
      },
      signal,
    );

  it("sums every process's time over an interrupted and resumed experiment, in the report and log.txt", async () => {
    const outputDir = tempDir();
    const controller = new AbortController();
    completions = 0;
    onCompletion = (count) => {
      if (count === 9) controller.abort();
    };
    expect((await study(outputDir, {}, controller.signal)).interrupted).toBe(true);
    onCompletion = () => {};
    expect((await study(outputDir)).experiments[0]!.outcome).toBe("finished");

    const { sessions, storedTokens } = readStore(outputDir, (store) => ({
      sessions: store.experimentSessions(1),
      storedTokens: store.db
        .prepare("SELECT SUM(num_gen_tokens) FROM samples")
        .pluck()
        .get() as number,
    }));
    expect(sessions.map((session) => session.outcome)).toEqual(["interrupted", "finished"]);
    expect(sessions.every((session) => session.active_ms > 0)).toBe(true);
    const totals = sessionTotals(sessions);
    expect(totals.answered).toBe(items.length);
    expect(sessions[0]!.answered).toBeGreaterThan(0);
    expect(sessions[0]!.answered).toBeLessThan(items.length);
    expect(totals.generatedTokens).toBe(storedTokens);

    const [row] = await runtimeRows(outputDir);
    expect(row).toMatchObject({
      experiment: "timed/version_0",
      processes: 2,
      samples: items.length,
      generated_tokens: storedTokens,
      from: "store",
      note: "",
    });
    // The sum over both processes, not the last process's time.
    expect(row!.runtime_seconds).toBeCloseTo(totals.activeMs / 1000, 9);
    expect(row!.runtime_seconds!).toBeGreaterThan(sessions[1]!.active_ms / 1000);
    expect(row!.tokens_per_second).toBeCloseTo(storedTokens / row!.runtime_seconds!, 9);
    const log = readFileSync(join(outputDir, "timed", "version_0", "log.txt"), "utf8");
    expect(log).toContain(`Script runtime: ${formatRuntime(totals.activeMs / 1000)}\n`);
  });

  it("counts samples from the response cache but not their tokens, and says so", async () => {
    const outputDir = tempDir();
    await study(outputDir);
    // A new version of the same experiment: every generation comes from the cache.
    await study(outputDir, { overwrite: true });
    const rows = await runtimeRows(outputDir);
    expect(rows.map((row) => row.experiment)).toEqual(["timed/version_0", "timed/version_1"]);
    expect(rows[0]!.generated_tokens).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({
      processes: 1,
      samples: items.length,
      generated_tokens: 0,
      tokens_per_second: 0,
      note: `${items.length} from the response cache`,
    });
  });

  it("falls back to log.txt for experiments run before the store kept sessions", async () => {
    const outputDir = tempDir();
    await study(outputDir);
    // What a store written before version 4 holds: no sessions for the experiment.
    const store = EvalStore.openInDirectory(outputDir);
    store.db.exec("DELETE FROM experiment_sessions");
    store.close();
    writeFileSync(
      join(outputDir, "timed", "version_0", "log.txt"),
      "Start time: 2026-01-02 10:00:00\nResume time: 2026-01-02 11:00:00.500000\n" +
        "End time: 2026-01-02 11:02:00.500000\nScript runtime: 00:02:00\n",
    );
    const [row] = await runtimeRows(outputDir);
    expect(row).toMatchObject({
      runtime: "00:02:00",
      runtime_seconds: 120,
      processes: 2,
      samples: items.length,
      from: "log.txt",
      note: "resumed 1 time(s): log.txt's Script runtime; run before the store kept sessions",
    });
  });
});
