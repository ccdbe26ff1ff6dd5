import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { Mulberry32 } from "../../src/random/index.js";
import { formatRuntime } from "../../src/eval/m1-layout/run-log.js";
import { sessionTotals } from "../../src/eval/store/index.js";
import { PROGRESS_BAR_PATTERN, filesUnder } from "../fixtures/eval/cli.js";
import {
  runM1,
  startM1,
  type ProcessResult,
  type RunningCli,
  CLI_TEST_TIMEOUT_MS,
  dotlist,
  waitForCli,
} from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { makeItems, wrongLetter } from "../fixtures/eval/medical-model.js";
import {
  answersFor,
  readStore,
  studyInProcess,
  useScriptedStudy,
} from "../fixtures/eval/scripted-study.js";

/**
 * Crash safety: `m1 eval` (a real CLI process) against the fake server is killed with SIGKILL at
 * seeded random moments of its run, several times in a row, then rerun until it finishes. The
 * result must equal a clean run's: the same metrics.json and per-sample files, every sample once
 * in the store, none lost.
 */

const tempDir = useTempDirs("m1-resume-crash-");
const KILLS = 3;
/** Milliseconds the fake server waits before answering each completion request. */
const LATENCY_MS = 25;
const items = { alpha: makeItems("alpha", 12), beta: makeItems("beta", 12) };
const TOTAL_SAMPLES = 24;
const EXPERIMENTS = ["crash/budget_40-wait_1-seed_42", "crash/budget_64-wait_1-seed_42"];

// Every completion request waits LATENCY_MS, so a run lasts about a second.
const setup = useScriptedStudy({
  dir: tempDir,
  evalFile: "crash_eval.json",
  sources: items,
  answers: answersFor(items, (item, index) =>
    index % 3 === 1 ? wrongLetter(item) : item.answer_idx,
  ),
  latencyMs: LATENCY_MS,
});
const running: RunningCli[] = [];
afterAll(() => {
  for (const cli of running) cli.child.kill("SIGKILL");
});

function overrides(outputDir: string): Record<string, unknown> {
  return {
    ...setup.settings(),
    force_think: true,
    budgets: [40, 64],
    wait_rounds: [1],
    max_new_answer_tokens: 24,
    concurrency: 4,
    retries: 0,
    output_dir: outputDir,
    exp_name: "crash",
  };
}

const completions = () => setup.server.completionRequests().length;

describe("m1 eval killed with SIGKILL at random moments", () => {
  it(
    "resumes to exactly the clean run's results: same files, every sample once, none lost",
    async () => {
      // Seeded, so the kill moments are the same every run.
      const generator = new Mulberry32(20250401);
      const random = () => generator.nextFloat();
      const crashDir = tempDir();
      const args = ["eval", "-u", dotlist(overrides(crashDir))];
      // Three requests per sample (think, Wait, answer), two experiments.
      const totalRequests = 3 * TOTAL_SAMPLES * EXPERIMENTS.length;

      const killedAfter: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const before = completions();
        const cli = startM1(args);
        running.push(cli);
        // Kill once the run has sent a random share of the work, plus a random few milliseconds,
        // so kills land anywhere in generation, scoring, commits and the writing of m1's files.
        const target = before + 1 + Math.floor(random() * (totalRequests / KILLS));
        const reached = await waitForCli(cli, () => completions() >= target);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3 * LATENCY_MS)));
        cli.child.kill("SIGKILL");
        const result = await cli.done;
        expect(reached, `run ${kill} ended before it could be killed:\n${result.stderr}`).toBe(
          true,
        );
        expect(result.signal).toBe("SIGKILL");
        killedAfter.push(completions() - before);
      }
      expect(killedAfter.every((count) => count > 0)).toBe(true);

      // Rerun the same command until it finishes.
      let final: ProcessResult | undefined;
      for (let attempt = 0; attempt < 3 && final?.code !== 0; attempt++) final = await runM1(args);
      expect(final!.stderr).toMatch(/resuming \(\d+\/24 samples done\)/);
      expect(final!.code, final!.stderr).toBe(0);
      expect(final!.stderr).not.toMatch(PROGRESS_BAR_PATTERN);

      // A clean run of the same config, in one go.
      const cleanDir = tempDir();
      const clean = await studyInProcess(overrides(cleanDir));
      expect(clean.experiments.map((item) => item.outcome)).toEqual(["finished", "finished"]);

      // The same files, byte for byte, except config.yaml's output_dir and log.txt's times.
      const layout = (dir: string) =>
        filesUnder(dir).filter((path) => !path.startsWith("m1.sqlite"));
      expect(layout(crashDir)).toEqual(layout(cleanDir));
      for (const experiment of EXPERIMENTS) {
        for (const name of ["metrics.json", "crash_eval.json", "crash_eval.scored.json"]) {
          const path = join(experiment, "version_0", name);
          expect(readFileSync(join(crashDir, path), "utf8"), path).toBe(
            readFileSync(join(cleanDir, path), "utf8"),
          );
        }
        const configOf = (dir: string) => {
          const parsed = YAML.parse(
            readFileSync(join(dir, experiment, "version_0", "config.yaml"), "utf8"),
          ) as Record<string, unknown>;
          delete parsed.output_dir;
          return parsed;
        };
        expect(configOf(crashDir)).toEqual(configOf(cleanDir));
        const log = readFileSync(join(crashDir, experiment, "version_0", "log.txt"), "utf8");
        expect(log).toMatch(/^Start time: .*\n/);
        expect(log).toMatch(/End time: .*\nScript runtime: \d\d:\d\d:\d\d\n$/);
      }

      // The store: two experiments (no extra versions), every sample exactly once, none failed.
      readStore(crashDir, (store) => {
        expect(store.listExperiments().map((item) => [item.name, item.status])).toEqual(
          EXPERIMENTS.map((name) => [`${name}/version_0`, "finished"]),
        );
        const perExperiment = store.db
          .prepare(
            `SELECT experiment_id, COUNT(*) AS rows, COUNT(DISTINCT sample_index) AS distinct_samples,
             MIN(sample_index) AS first, MAX(sample_index) AS last, COUNT(error) AS errors
           FROM samples GROUP BY experiment_id ORDER BY experiment_id`,
          )
          .all();
        expect(perExperiment).toEqual([
          { experiment_id: 1, rows: 24, distinct_samples: 24, first: 0, last: 23, errors: 0 },
          { experiment_id: 2, rows: 24, distinct_samples: 24, first: 0, last: 23, errors: 0 },
        ]);

        // Every process that worked on an experiment left a session: the killed ones without an
        // outcome and their time up to their last commit, the last one finished. Together they
        // answered each sample once and generated every stored token.
        let killedSessions = 0;
        for (const { id } of store.listExperiments()) {
          const sessions = store.experimentSessions(id);
          expect(sessions.at(-1)!.outcome).toBe("finished");
          expect(sessions.slice(0, -1).every((session) => session.outcome === null)).toBe(true);
          expect(sessions.map((session) => session.session_index)).toEqual(
            sessions.map((_, index) => index),
          );
          killedSessions += sessions.length - 1;
          const totals = sessionTotals(sessions);
          expect(totals.answered).toBe(24);
          expect(totals.failed).toBe(0);
          expect(totals.generatedTokens).toBe(
            store.db
              .prepare("SELECT SUM(num_gen_tokens) FROM samples WHERE experiment_id = ?")
              .pluck()
              .get(id),
          );
          expect(sessions.every((session) => session.active_ms >= 0)).toBe(true);
          // The log's Script runtime is the sum over processes, not the last process's.
          const log = readFileSync(
            join(crashDir, store.getExperiment(id)!.name, "log.txt"),
            "utf8",
          );
          expect(log).toContain(`Script runtime: ${formatRuntime(totals.activeMs / 1000)}\n`);
        }
        // Each kill that landed after an experiment started left an unfinished session.
        expect(killedSessions).toBeGreaterThanOrEqual(1);
      });
      for (const experiment of EXPERIMENTS) {
        expect(existsSync(join(crashDir, experiment, "version_1"))).toBe(false);
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
