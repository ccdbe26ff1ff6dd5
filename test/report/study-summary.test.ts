import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LoadedEvalDataset } from "../../src/eval/datasets/types.js";
import { EvalStore, STORE_FILE_NAME } from "../../src/eval/store/index.js";
import type { ExperimentPoint } from "../../src/eval/study/plan.js";
import type { StudyResult } from "../../src/eval/study/study.js";
import type { AccuracyRow } from "../../src/report/accuracy.js";
import { runReport } from "../../src/report/run-report.js";
import { formatStudySummary } from "../../src/report/study-summary.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";

const percent = (value: number) => `${(100 * value).toFixed(1)}%`;

describe("the summary `m1 eval` ends with", () => {
  it("shows the accuracies and intervals `m1 report` computes, the average's included", async () => {
    const directory = temporaryDirectory("study-summary");
    buildSweepStore(directory, {
      points: [{ model: "tiny", budget: 64, waitRounds: 0 }],
      sources: [
        { name: "MedQA", questions: 7 },
        { name: "PubMedQA", questions: 3 },
      ],
      correct: (_point, source, question) => question < (source === 0 ? 5 : 1),
    });
    const storePath = join(directory, STORE_FILE_NAME);
    const experiment = (() => {
      using store = EvalStore.open(storePath, { readonly: true });
      return store.listExperiments()[0]!;
    })();
    const result: StudyResult = {
      outputDir: directory,
      storePath,
      dataset: {} as LoadedEvalDataset,
      experiments: [
        {
          point: { expDir: experiment.exp_dir } as ExperimentPoint,
          outcome: "finished",
          versionDir: join(directory, experiment.name),
          experiment,
        },
      ],
      failedSamples: 0,
      interrupted: false,
    };
    const summary = formatStudySummary(result);
    const rows = JSON.parse(
      (await runReport({ directories: [directory], format: "json" })).stdout,
    ) as AccuracyRow[];
    expect(rows.map((row) => row.source)).toEqual(["MedQA", "PubMedQA", "average"]);
    for (const row of rows) {
      const line = summary.split("\n").find((text) => text.includes(` ${row.source} `));
      const cells = line?.trim().split(/\s{2,}/) ?? [];
      expect(cells.slice(-2), row.source).toEqual([
        percent(row.accuracy),
        `${percent(row.ci95_low)} - ${percent(row.ci95_high)}`,
      ]);
    }
    expect(summary).toMatch(/ MedQA +5\/7 /);
    expect(summary).toContain(
      "(m1 layout: config.yaml, log.txt, *.json, *.scored.json, metrics.json)",
    );
  });
});
