import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { linesOf } from "../fixtures/eval/cli.js";
import { makeItems } from "../fixtures/eval/medical-model.js";
import { answersFor, readStore, useScriptedStudy } from "../fixtures/eval/scripted-study.js";
import { runM1, CLI_TEST_TIMEOUT_MS } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * A sample that keeps failing (the fake server answers 500 for one question) is recorded with its
 * error while the run goes on; the CLI exits 3. Resuming with a changed generation setting is
 * refused; the same command with the server fixed retries only that sample and exits 0.
 */

const tempDir = useTempDirs("m1-resume-failures-");
const items = makeItems("alpha", 5);
const BROKEN = items[2]!;
const setup = useScriptedStudy({
  dir: tempDir,
  evalFile: "flaky.json",
  sources: { alpha: items },
  answers: answersFor({ alpha: items }, (item) => item.answer_idx),
  wrapModel: (model) => (prompt) => {
    if (prompt.includes(BROKEN.question)) throw new Error("this question breaks the server");
    return model(prompt);
  },
});

describe("m1 eval with a sample that fails after retries", () => {
  it(
    "records the failure, exits 3, refuses a changed temperature, then retries only that sample",
    async () => {
      const outputDir = tempDir();
      const { server } = setup;
      const settings = [
        `eval_data_path=${setup.evalPath}`,
        `base_url=${server.baseUrl}`,
        "force_think=True",
        "max_new_tokens=48",
        "max_new_answer_tokens=24",
        "retries=1",
        "concurrency=2",
        `output_dir=${outputDir}`,
        "exp_name=flaky",
      ];
      const versionDir = join(outputDir, "flaky", "version_0");

      // 1. One question fails on every attempt; the four others are answered and saved.
      const first = await runM1(["eval", "-u", settings.join(",")]);
      expect(first.code, first.stderr).toBe(3);
      expect(linesOf(first.stderr).at(-1)).toBe(
        "m1: warning: 1 sample(s) failed after retries; run the same command to retry them",
      );
      const brokenRequests = server
        .completionRequests()
        .filter((request) => request.prompt.includes(BROKEN.question));
      expect(brokenRequests).toHaveLength(2); // the first attempt and one retry
      expect(JSON.parse(readFileSync(join(versionDir, "metrics.json"), "utf8"))).toEqual({
        alpha: { correct_count: 4, total_count: 4, accuracy: 1 },
      });
      expect(readFileSync(join(versionDir, "log.txt"), "utf8")).toContain(
        "Failed samples: 1 (left out of the results; rerun to retry them)\n",
      );
      expect(first.stdout).toMatch(/flaky\/version_0\s+incomplete\s+alpha\s+4\/4/);
      const afterFirst = readSamples(outputDir);
      expect(afterFirst.status).toBe("incomplete");
      expect(afterFirst.rows).toHaveLength(5);
      expect(afterFirst.rows[2]!.error).toMatch(/500/);
      expect(afterFirst.rows.filter((row) => row.error !== null)).toHaveLength(1);

      // 2. Resuming with another temperature would mix settings in one experiment: refused.
      const requestsBefore = server.requests.length;
      const changed = await runM1(["eval", "-u", [...settings, "temperature=0.7"].join(",")]);
      expect(changed.code).toBe(2);
      expect(linesOf(changed.stderr)).toEqual([
        "m1: error: temperature: experiment flaky/version_0 was started with temperature=0, now 0.7 " +
          "(fix: use the original value to resume, or a new exp_name / overwrite=True)",
      ]);
      expect(changed.stdout).toBe("");
      expect(server.requests.length).toBe(requestsBefore);
      expect(readSamples(outputDir)).toEqual(afterFirst);

      // 3. The server is fixed: the same command retries only the failed sample and exits 0.
      server.setModel(setup.model);
      const completionsBefore = server.completionRequests().length;
      const third = await runM1(["eval", "-u", settings.join(",")]);
      expect(third.code, third.stderr).toBe(0);
      expect(third.stderr).toContain("flaky/version_0: resuming (4/5 samples done)");
      const retried = server.completionRequests().slice(completionsBefore);
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.every((request) => request.prompt.includes(BROKEN.question))).toBe(true);
      const afterThird = readSamples(outputDir);
      expect(afterThird.status).toBe("finished");
      expect(afterThird.rows.map((row) => row.error)).toEqual([null, null, null, null, null]);
      // The four samples answered the first time are untouched.
      expect(afterThird.rows.filter((_, index) => index !== 2)).toEqual(
        afterFirst.rows.filter((_, index) => index !== 2),
      );
      expect(JSON.parse(readFileSync(join(versionDir, "metrics.json"), "utf8"))).toEqual({
        alpha: { correct_count: 5, total_count: 5, accuracy: 1 },
      });
      expect(third.stdout).toMatch(/flaky\/version_0\s+finished\s+alpha\s+5\/5\s+100\.0%/);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

function readSamples(outputDir: string): {
  status: string;
  rows: Array<{ sample_index: number; error: string | null; started_at: string }>;
} {
  return readStore(outputDir, (store) => {
    const [experiment] = store.listExperiments();
    const rows = store.db
      .prepare(
        "SELECT sample_index, error, started_at, response_text FROM samples ORDER BY sample_index",
      )
      .all() as Array<{ sample_index: number; error: string | null; started_at: string }>;
    return { status: experiment!.status, rows };
  });
}
