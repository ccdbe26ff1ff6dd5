import { afterAll, describe, expect, it } from "vitest";
import { EvalStore } from "../../src/eval/store/index.js";
import { CLI_TEST_TIMEOUT_MS, runM1, startM1 } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { tinyModelPath } from "../support/tiny-model.js";
import { llamaServerAvailable, startLlamaServer, type RunningLlamaServer } from "./llama-server.js";
import { experimentStatuses, readStudy, writeStudyConfig } from "./support.js";

/**
 * A llama.cpp server that dies in the middle of a study (SIGKILL, as a crash or an OOM kill
 * would) and comes back on the same port: the samples finished before the crash stay as they
 * were, the ones it broke are recorded as failed, and running the same command again finishes
 * the study with every sample once and the same records as a run that was never interrupted.
 */

const tempDir = useTempDirs("m1-real-restart-");
/** One slot, two questions in flight (they take turns): records then equal a clean run's exactly. */
const SLOTS = 1;
const IN_FLIGHT = 2;
const QUESTIONS = 16;
const servers: RunningLlamaServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

/** Samples stored so far (0 while the store does not exist yet). */
function storedSamples(outputDir: string): number {
  try {
    const store = EvalStore.openInDirectory(outputDir, { readonly: true });
    try {
      return store
        .listExperiments()
        .reduce((sum, experiment) => sum + store.completedSampleIndices(experiment.id).size, 0);
    } finally {
      store.close();
    }
  } catch {
    return 0;
  }
}

describe.skipIf(!llamaServerAvailable)("a llama.cpp server restarted mid-study", () => {
  it(
    "loses nothing and duplicates nothing when the study is run again",
    async () => {
      const modelPath = await tinyModelPath();
      const first = await startLlamaServer({ modelPath, parallel: SLOTS });
      servers.push(first);
      const study = (outputDir: string) =>
        writeStudyConfig(outputDir, {
          backend: "openai",
          base_url: first.baseUrl,
          exact_tokens: true,
          budgets: [256],
          wait_rounds: [2],
          max_new_answer_tokens: 24,
          limit: QUESTIONS,
          concurrency: IN_FLIGHT,
          retries: 0,
          output_dir: outputDir,
        });

      // The reference: the same study, never interrupted.
      const referenceDir = tempDir();
      const reference = await runM1(["eval", "-c", study(referenceDir), "-q"]);
      expect(reference.code, reference.stderr).toBe(0);

      // Kill the server once a few samples are stored.
      const dir = tempDir();
      const config = study(dir);
      const running = startM1(["eval", "-c", config, "-q"]);
      let exited = false;
      void running.done.then(() => (exited = true));
      while (!exited && storedSamples(dir) < 3) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await first.kill();
      const crashed = await running.done;
      const beforeRestart = readStudy(dir);
      const finishedBefore = [...beforeRestart].filter(([, sample]) => sample.error === null);
      expect(crashed.code, crashed.stderr).toBe(3);
      expect(crashed.stderr).toMatch(/failed after retries; run the same command to retry them/);
      expect(finishedBefore.length).toBeGreaterThanOrEqual(3);
      expect(finishedBefore.length).toBeLessThan(QUESTIONS);

      // The server comes back where it was; the same command finishes the study.
      servers.push(await startLlamaServer({ modelPath, parallel: SLOTS, port: first.port }));
      const resumed = await runM1(["eval", "-c", config, "-q"]);
      expect(resumed.code, resumed.stderr).toBe(0);

      const after = readStudy(dir); // throws if any sample is stored twice
      expect([...experimentStatuses(dir).values()]).toEqual(["finished"]);
      expect(after.size).toBe(QUESTIONS);
      for (const [key, sample] of after) {
        expect(sample.error, key).toBeNull();
        expect(sample.record, key).toEqual(readStudy(referenceDir).get(key)!.record);
      }
      // What was done before the crash was kept, not generated again.
      for (const [key, sample] of finishedBefore) {
        expect(after.get(key)!.startedAt, key).toBe(sample.startedAt);
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
