import { cpSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QuestionDetail, QuestionPage } from "../../src/view/question-queries.js";
import { ftsQuery } from "../../src/view/question-queries.js";
import type { ViewExperiment, ViewGroup } from "../../src/view/queries.js";
import { buildViewServer, CONTENT_SECURITY_POLICY, loopbackHosts } from "../../src/view/server.js";
import type { ViewDatabase } from "../../src/view/view-db.js";
import { FILE_EXPERIMENT_ID_BASE, openViewDatabase } from "../../src/view/view-db.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";

interface Served {
  view: ViewDatabase;
  app: FastifyInstance;
}

const opened: Served[] = [];

function serve(directory: string): Served {
  const view = openViewDatabase(directory);
  const app = buildViewServer(view, { allowedHosts: loopbackHosts("127.0.0.1") });
  const served = { view, app };
  opened.push(served);
  return served;
}

async function getJson<T>(app: FastifyInstance, url: string): Promise<T> {
  const response = await app.inject({ method: "GET", url, headers: { host: "127.0.0.1:8420" } });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as T;
}

let storeDirectory: string;

beforeAll(() => {
  storeDirectory = temporaryDirectory("view-api");
  buildSweepStore(storeDirectory, {
    points: [128, 1024].map((budget) => ({ model: "tiny", budget, waitRounds: 0 })),
    sources: [
      { name: "MedQA", questions: 12 },
      { name: "PubMedQA", questions: 8 },
    ],
    // Budget 1024 fixes MedQA q 0-3 and breaks PubMedQA q 0.
    correct: (point, source, question) =>
      source === 0
        ? question >= (point.budget === 128 ? 4 : 0) && question < 10
        : point.budget === 128
          ? question < 5
          : question >= 1 && question < 5,
    questionText: (source, question) =>
      question === 7
        ? `A patient with myocardial infarction (${source})`
        : `Question ${question} of ${source}`,
    texts: (point, index) => ({
      thinking:
        index === 2 ? `Considering troponin levels at ${point.budget}.` : `Thinking ${index}.`,
      response: `The answer is \\boxed{A}`,
    }),
  });
});

afterAll(async () => {
  for (const { app, view } of opened) {
    await app.close();
    view.close();
  }
});

describe("viewer API over a store", () => {
  it("lists experiments with per-source accuracy and Wilson intervals, and the budget sweep", async () => {
    const { app } = serve(storeDirectory);
    const data = await getJson<{
      experiments: ViewExperiment[];
      groups: ViewGroup[];
      sources: string[];
    }>(app, "/api/experiments");
    expect(data.experiments.map((experiment) => experiment.thinking_budget)).toEqual([128, 1024]);
    expect(data.sources).toEqual(["MedQA", "PubMedQA"]);
    const low = data.experiments[0]!;
    expect(low.sources[0]).toMatchObject({
      source: "MedQA",
      correct_count: 6,
      total_count: 12,
      accuracy: 0.5,
    });
    expect(low.sources[0]!.ci95_low).toBeCloseTo(0.2537815976337061, 12);
    expect(low.average.accuracy).toBeCloseTo((0.5 + 5 / 8) / 2, 12);
    expect(data.groups).toHaveLength(1);
    expect(data.groups[0]).toMatchObject({
      kind: "budget",
      experiment_ids: [low.id, data.experiments[1]!.id],
    });
  });

  it("pages questions with a keyset cursor and reports the total on request", async () => {
    const { app } = serve(storeDirectory);
    const first = await getJson<QuestionPage>(app, "/api/questions?e=1,2&limit=8&total=1");
    expect(first.rows).toHaveLength(8);
    expect(first.total).toBe(20);
    expect(first.rows.map((row) => row.sample_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(first.rows[0]!.outcomes).toEqual({
      "1": {
        correct: false,
        extracted_answer: "B",
        num_gen_tokens: expect.any(Number),
        error: false,
      },
      "2": {
        correct: true,
        extracted_answer: "A",
        num_gen_tokens: expect.any(Number),
        error: false,
      },
    });
    const second = await getJson<QuestionPage>(
      app,
      `/api/questions?e=1,2&limit=8&after=${first.next_after}`,
    );
    expect(second.rows.map((row) => row.sample_index)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(second.total).toBeNull();
    const last = await getJson<QuestionPage>(
      app,
      `/api/questions?e=1,2&limit=8&after=${second.next_after}`,
    );
    expect(last.rows).toHaveLength(4);
    expect(last.next_after).toBeNull();
  });

  it("filters by source and by correctness in a chosen experiment", async () => {
    const { app } = serve(storeDirectory);
    const pubmed = await getJson<QuestionPage>(app, "/api/questions?e=1,2&source=PubMedQA&total=1");
    expect(pubmed.total).toBe(8);
    expect(pubmed.rows.every((row) => row.source === "PubMedQA")).toBe(true);
    const wrongAt128 = await getJson<QuestionPage>(
      app,
      "/api/questions?e=1,2&correct=incorrect&total=1",
    );
    expect(wrongAt128.total).toBe(6 + 3);
    const rightAt1024 = await getJson<QuestionPage>(
      app,
      "/api/questions?e=1,2&correct=correct&correctIn=2&source=MedQA&total=1",
    );
    expect(rightAt1024.rows.map((row) => row.sample_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("filters questions that flipped between two experiments", async () => {
    const { app } = serve(storeDirectory);
    const gained = await getJson<QuestionPage>(
      app,
      "/api/questions?e=1,2&flipA=1&flipB=2&flip=gained&total=1",
    );
    expect(gained.rows.map((row) => row.question_key)).toEqual([
      "MedQA-000000",
      "MedQA-000001",
      "MedQA-000002",
      "MedQA-000003",
    ]);
    const lost = await getJson<QuestionPage>(
      app,
      "/api/questions?e=1,2&flipA=1&flipB=2&flip=lost&total=1",
    );
    expect(lost.rows.map((row) => row.question_key)).toEqual(["PubMedQA-000000"]);
    const either = await getJson<QuestionPage>(
      app,
      "/api/questions?e=1,2&flipA=1&flipB=2&flip=any&total=1",
    );
    expect(either.total).toBe(5);
  });

  it("searches question text with FTS5 and model output with LIKE", async () => {
    const { app } = serve(storeDirectory);
    const question = await getJson<QuestionPage>(app, "/api/questions?e=1,2&q=myocard&total=1");
    expect(question.rows.map((row) => row.question_key)).toEqual([
      "MedQA-000007",
      "PubMedQA-000007",
    ]);
    const responses = await getJson<QuestionPage>(
      app,
      "/api/questions?e=1,2&q=troponin&in=responses&total=1",
    );
    expect(responses.rows.map((row) => row.question_key)).toEqual(["MedQA-000002"]);
    const nothing = await getJson<QuestionPage>(app, "/api/questions?e=1,2&q=%22%29%28*&total=1");
    expect(nothing).toEqual({ rows: [], next_after: null, total: 0 });
  });

  it("returns one question with every chosen experiment's full sample", async () => {
    const { app } = serve(storeDirectory);
    const detail = await getJson<QuestionDetail>(app, "/api/question?key=MedQA-000002&e=1,2");
    expect(detail).toMatchObject({
      source: "MedQA",
      question: "Question 2 of MedQA",
      answer_idx: "C",
    });
    expect(Object.keys(detail.options)).toEqual(["A", "B", "C", "D"]);
    expect(detail.samples["1"]).toMatchObject({
      correct: false,
      thinking_text: "Considering troponin levels at 128.",
    });
    expect(detail.samples["2"]).toMatchObject({
      correct: true,
      thinking_finish_reason: expect.any(String),
    });
  });

  it("answers bad requests with 400 and unknown questions with 404", async () => {
    const { app } = serve(storeDirectory);
    const host = { host: "127.0.0.1" };
    expect((await app.inject({ url: "/api/questions?e=x", headers: host })).statusCode).toBe(400);
    expect(
      (await app.inject({ url: "/api/questions?e=1&limit=5000", headers: host })).statusCode,
    ).toBe(400);
    expect(
      (await app.inject({ url: "/api/question?key=nope&e=1", headers: host })).statusCode,
    ).toBe(404);
  });

  it("sends a strict Content-Security-Policy and refuses foreign Host headers", async () => {
    const { app } = serve(storeDirectory);
    const page = await app.inject({ url: "/", headers: { host: "localhost:8420" } });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    const rebound = await app.inject({
      url: "/api/experiments",
      headers: { host: "attacker.example:8420" },
    });
    expect(rebound.statusCode).toBe(403);
  });

  it("turns free text into a safe FTS5 query", () => {
    expect(ftsQuery('heart "attack" OR (x')).toBe('"heart" "attack" "OR" "x"*');
    expect(ftsQuery("  ")).toBeNull();
  });
});

describe("viewer over m1-layout trees", () => {
  it("loads m1's own outputs into the temporary index at start-up", async () => {
    const { app, view } = serve(M1_OUTPUTS);
    expect(view.storePath).toBeNull();
    expect(view.fileExperimentCount).toBe(5);
    const data = await getJson<{ experiments: ViewExperiment[]; groups: ViewGroup[] }>(
      app,
      "/api/experiments",
    );
    expect(data.experiments).toHaveLength(5);
    expect(data.experiments.every((experiment) => experiment.id >= FILE_EXPERIMENT_ID_BASE)).toBe(
      true,
    );
    expect(data.groups.map((group) => group.kind).sort()).toEqual(["budget", "wait_rounds"]);
    const budgetGroup = data.groups.find((group) => group.kind === "budget")!;
    const page = await getJson<QuestionPage>(
      app,
      `/api/questions?e=${budgetGroup.experiment_ids.join(",")}&total=1`,
    );
    expect(page.total).toBe(11);
    const detail = await getJson<QuestionDetail>(
      app,
      `/api/question?key=${page.rows[3]!.question_key}&e=${budgetGroup.experiment_ids.join(",")}`,
    );
    expect(detail.question).toBe("Café-au-lait spots are seen in");
    expect(detail.options.C).toBe("Neurofibromatosis type 1");
  });

  it("shows store experiments and other m1-layout experiments together", async () => {
    const mixed = temporaryDirectory("view-mixed");
    cpSync(storeDirectory, join(mixed, "ours"), { recursive: true });
    cpSync(M1_OUTPUTS, join(mixed, "m1"), { recursive: true });
    const { app, view } = serve(join(mixed));
    expect(view.storePath).toBe(join(mixed, "ours", "m1.sqlite"));
    const data = await getJson<{ experiments: ViewExperiment[] }>(app, "/api/experiments");
    expect(data.experiments).toHaveLength(2 + 5);
    const page = await getJson<QuestionPage>(app, "/api/questions?e=1&total=1");
    expect(page.total).toBe(20);
  });
});
