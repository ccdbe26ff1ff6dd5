import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE_NAME } from "../../src/eval/study/output-lock.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { makeItems, scriptedMedicalModel, writeEvalFile } from "../fixtures/eval/medical-model.js";
import { answersFor, readStore } from "../fixtures/eval/scripted-study.js";
import { CLI_TEST_TIMEOUT_MS, runCli, runM1, startM1 } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * What guards an output directory: one `m1 eval` at a time (a second is refused with the first
 * one's pid, and a SIGKILLed holder leaves no lock that keeps the next run out), and eval data
 * with no usable item writes nothing, so the same command runs once the file is fixed.
 */

const tempDir = useTempDirs("m1-guards-");
const sources = { alpha: makeItems("alpha", 10) };
const answers = answersFor(sources, (_item, index) => "ABCD"[index % 4]!);
let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await startFakeOpenAIServer({ model: scriptedMedicalModel(answers) });
});
afterAll(() => server.close());

const evalArgs = (evalPath: string, outputDir: string) => [
  "eval",
  "-u",
  `eval_data_path=${evalPath},base_url=${server.baseUrl},output_dir=${outputDir},exp_name=guarded,force_think=True,concurrency=1`,
  "-q",
];

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("two m1 eval processes on one output_dir", () => {
  it(
    "refuses the second with the first one's pid, and a SIGKILLed holder does not keep the lock",
    async () => {
      const dir = tempDir();
      const evalPath = writeEvalFile(join(dir, "alpha.json"), sources);
      const outputDir = join(dir, "outputs");
      const lock = join(outputDir, LOCK_FILE_NAME);
      // Slow answers keep the first process busy while the second starts.
      server.clearFaults();
      server.failNext({ delayMs: 1000 }, 1000);
      const first = startM1(evalArgs(evalPath, outputDir));
      try {
        await waitFor(() => existsSync(lock), "the first process to take the lock");

        const second = await runM1(evalArgs(evalPath, outputDir));
        expect(second.code, second.stderr).toBe(2);
        expect(second.stderr).toBe(
          `m1: error: another m1 eval (pid ${first.child.pid}) is writing ${outputDir} ` +
            `(fix: wait for it to end, or give this run its own output_dir, e.g. -u output_dir=${outputDir}-2)\n`,
        );
        expect(second.stdout).toBe("");
      } finally {
        first.child.kill("SIGKILL");
      }
      const killed = await first.done;
      expect(killed.signal).toBe("SIGKILL");
      // The dead holder's lock file is still there; the next run takes it over and finishes.
      expect(existsSync(lock)).toBe(true);
      server.clearFaults();
      const third = await runM1(evalArgs(evalPath, outputDir));
      expect(third.code, third.stderr).toBe(0);
      expect(third.stderr).not.toContain("another m1 eval");
      expect(existsSync(lock)).toBe(false);
      readStore(outputDir, (store) => {
        const [experiment] = store.listExperiments();
        expect(experiment!.status).toBe("finished");
        expect(store.completedSampleIndices(experiment!.id).size).toBe(10);
      });
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe("eval data whose every item is dropped", () => {
  it(
    "writes nothing and marks nothing finished, so the same command runs once the file is fixed",
    async () => {
      const dir = tempDir();
      const evalPath = join(dir, "alpha.json");
      const outputDir = join(dir, "outputs");
      writeEvalFile(evalPath, {
        alpha: sources.alpha.map((item) => ({ ...item, answer: `not ${item.answer}` })),
      });
      server.clearFaults();
      const refused = await runCli(evalArgs(evalPath, outputDir));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^m1: error: .*alpha\.json: no usable item: all 10 item\(s\)/);
      expect(readdirSync(dir)).toEqual(["alpha.json"]);

      writeFileSync(evalPath, JSON.stringify(sources));
      const fixed = await runCli(evalArgs(evalPath, outputDir));
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(fixed.stderr).not.toContain("skipped");
      expect(fixed.stdout).toMatch(/guarded\/version_0 +finished +alpha +\d+\/10/);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
