import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QuestionDetail, QuestionPage } from "../../src/view/question-queries.js";
import type { ViewExperiment } from "../../src/view/queries.js";
import { buildViewServer } from "../../src/view/server.js";
import type { ViewDatabase } from "../../src/view/view-db.js";
import { openViewDatabase } from "../../src/view/view-db.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";

/**
 * A 50,000-sample store (5 budgets x 5 sources x 2,000 questions): the viewer answers with one
 * page at a time, never the whole table. Timings are measured by bench/view.ts, not asserted.
 */
const BUDGETS = [256, 512, 1024, 2048, 4096];
const SOURCES = ["MedMCQA", "MedQA", "PubMedQA", "MMLU-Pro", "GPQA"];

let view: ViewDatabase;
let app: FastifyInstance;
let ids: number[];

async function page(query: string): Promise<QuestionPage> {
  const response = await app.inject({
    url: `/api/questions?${query}`,
    headers: { host: "127.0.0.1" },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as QuestionPage;
}

beforeAll(async () => {
  const directory = temporaryDirectory("view-50k");
  const built = buildSweepStore(directory, {
    points: BUDGETS.map((budget) => ({ model: "m1-7B-23K", budget, waitRounds: 0 })),
    sources: SOURCES.map((name) => ({ name, questions: 2000 })),
    correct: (point, source, question) =>
      ((question * 2654435761) >>> 0) % 100 < 40 + Math.log2(point.budget / 256) * 5 + source,
    questionText: (source, question) =>
      question % 500 === 7
        ? `Question ${question} of ${source}: acute pancreatitis`
        : `Question ${question} of ${source}`,
  });
  expect(built.sampleCount).toBe(50_000);
  view = openViewDatabase(directory);
  app = buildViewServer(view);
  const experiments = (await app.inject({ url: "/api/experiments" })).json() as {
    experiments: ViewExperiment[];
  };
  ids = experiments.experiments.map((experiment) => experiment.id);
}, 120_000);

afterAll(async () => {
  await app?.close();
  view?.close();
});

describe("viewer at 50K samples", () => {
  it("summarises every experiment without listing samples", async () => {
    const response = await app.inject({ url: "/api/experiments" });
    const data = response.json() as { experiments: ViewExperiment[] };
    expect(data.experiments).toHaveLength(5);
    expect(data.experiments.every((experiment) => experiment.average.total_count === 10_000)).toBe(
      true,
    );
    // The summary is small: counts per source, no sample rows.
    expect(response.body.length).toBeLessThan(10_000);
  });

  it("returns exactly one page of 50 rows and walks pages with the cursor", async () => {
    const first = await page(`e=${ids.join(",")}&limit=50&total=1`);
    expect(first.rows).toHaveLength(50);
    expect(first.total).toBe(10_000);
    expect(Object.keys(first.rows[0]!.outcomes)).toHaveLength(5);
    let after = first.next_after;
    let seen = first.rows.length;
    for (let step = 0; step < 5; step++) {
      const next = await page(`e=${ids.join(",")}&limit=50&after=${after}`);
      expect(next.rows).toHaveLength(50);
      expect(next.rows[0]!.sample_index).toBe(after! + 1);
      after = next.next_after;
      seen += next.rows.length;
    }
    expect(seen).toBe(300);
    const deep = await page(`e=${ids.join(",")}&limit=50&after=9979`);
    expect(deep.rows).toHaveLength(20);
    expect(deep.next_after).toBeNull();
  });

  it("pages filtered lists: source, correctness, flips and search", async () => {
    const all = ids.join(",");
    const source = await page(`e=${all}&source=GPQA&limit=50&total=1`);
    expect(source.rows).toHaveLength(50);
    expect(source.total).toBe(2000);
    expect(source.rows.every((row) => row.source === "GPQA")).toBe(true);
    const wrong = await page(`e=${all}&correct=incorrect&correctIn=${ids[4]}&limit=50&total=1`);
    expect(wrong.rows).toHaveLength(50);
    expect(wrong.rows.every((row) => row.outcomes[String(ids[4])]!.correct === false)).toBe(true);
    const gained = await page(
      `e=${all}&flipA=${ids[0]}&flipB=${ids[4]}&flip=gained&limit=50&total=1`,
    );
    expect(gained.rows).toHaveLength(50);
    for (const row of gained.rows) {
      expect(row.outcomes[String(ids[0])]!.correct).toBe(false);
      expect(row.outcomes[String(ids[4])]!.correct).toBe(true);
    }
    const search = await page(`e=${all}&q=pancreatitis&limit=50&total=1`);
    expect(search.total).toBe(4 * 5);
    expect(search.rows).toHaveLength(20);
    const responses = await page(`e=${ids[0]}&q=budget%20256&in=responses&limit=50`);
    expect(responses.rows).toHaveLength(50);
  });

  it("opens one question with five samples side by side", async () => {
    const response = await app.inject({ url: `/api/question?key=MedQA-001234&e=${ids.join(",")}` });
    const detail = response.json() as QuestionDetail;
    expect(Object.values(detail.samples).filter(Boolean)).toHaveLength(5);
  });
});
