import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalStore, type StoredProbe } from "../../src/eval/store/index.js";
import type { RunningViewer } from "../../src/view/start.js";
import { startViewer } from "../../src/view/start.js";
import {
  buildSweepStore,
  experimentName,
  type SweepPoint,
} from "../fixtures/report/build-store.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";

/**
 * Adaptive compute in the viewer, in a real browser: how each experiment's answers came about,
 * a sample's probe answers along its thinking (where the answer changed), its stop reason, and
 * the votes of its n samples. Model text stays text (a payload in a probe shows, never runs).
 */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(process.cwd(), "test-artifacts", "view");
const PAYLOAD = "<img src=x onerror=alert(1)>";
const browserAvailable = existsSync(CHROMIUM);

const PLAIN: SweepPoint = { model: "m1-7B-23K", budget: 1024, waitRounds: 0 };
const WAIT: SweepPoint = { model: "m1-7B-23K", budget: 1024, waitRounds: 2 };
const PROBED: SweepPoint = {
  model: "m1-7B-23K",
  budget: 1024,
  waitRounds: 0,
  seed: 7,
  config: { probe_every: 256, early_exit_patience: 2 },
};
const VOTES: SweepPoint = { model: "m1-7B-23K", budget: 256, waitRounds: 0, samplesPerQuestion: 3 };
const THINKING = [
  "The patient has epigastric pain radiating to the back. ",
  "Lipase is high, so pancreatitis is likely. ",
  "Gallstones are the commonest cause. ",
  "So the answer is B.",
].join("");

function probes(): StoredProbe[] {
  const answers = ["A", "B", "B"];
  return answers.map((answer, index) => ({
    thinking_tokens: 256 * (index + 1),
    thinking_chars: [56, 100, 136][index]!,
    answer,
    response_text: `<|im_start|>answer\nFinal Answer: \\boxed{${answer}} ${index === 0 ? PAYLOAD : ""}`,
    correct: answer === "B",
  }));
}

let viewer: RunningViewer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

describe.skipIf(!browserAvailable)("adaptive compute in m1 view", () => {
  beforeAll(async () => {
    const directory = temporaryDirectory("view-adaptive");
    buildSweepStore(directory, {
      points: [PLAIN, WAIT, PROBED, VOTES],
      sources: [{ name: "MedQA", questions: 12 }],
      correct: (point, _source, question) =>
        point === WAIT ? question % 3 !== 0 : question % 2 === 0,
      texts: () => ({ thinking: THINKING, response: "<|im_start|>answer\n\\boxed{B}" }),
      sample: (point, index) => {
        if (point === PROBED) {
          return {
            stopped_by: index < 6 ? "converged" : "budget",
            probe_answers: probes(),
            probe_tokens_total: 60,
            decided_by: "letter",
            choice: "B",
          };
        }
        if (point === VOTES) return { vote_share: 2 / 3, choice: "B", compute_tokens: 700 };
        return {};
      },
    });
    // The n samples behind each vote.
    using store = EvalStore.openInDirectory(directory);
    const votes = store.getExperiment(experimentName(VOTES))!;
    for (let sampleIndex = 0; sampleIndex < 12; sampleIndex++) {
      for (const [drawIndex, choice] of ["B", "C", "B"].entries()) {
        store.recordDraw({
          experiment_id: votes.id,
          sample_index: sampleIndex,
          draw_index: drawIndex,
          seed: 1000 + drawIndex,
          thinking_text: THINKING,
          thinking_finish_reason: "stop",
          response_text: `\\boxed{${choice}}`,
          finish_reason: "stop",
          num_gen_tokens: 230 + drawIndex,
          num_keep_think_below_budget: 0,
          num_min_thinking_waits: 0,
          thinking_tokens: 200,
          answer_tokens: 8,
          prompt_tokens: 60,
          evaluated_tokens: null,
          stopped_by: "model",
          probe_answers: null,
          probe_tokens_total: 0,
          extracted_answer: choice,
          huatuo_extracted_answer: choice,
          scored_huatuo_extracted_answer: null,
          choice,
          decided_by: "letter",
          correct: choice === "B",
          error: null,
          cached: false,
          started_at: "2025-01-01T00:00:00.000Z",
          elapsed_ms: 5,
        });
      }
    }
    store.close();
    viewer = await startViewer({ directory, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it("says per experiment how answers came about, with the flips Wait rounds caused", async () => {
    await page.goto(viewer.url);
    await page.waitForSelector("#stops-table tbody tr");
    expect(await page.$$eval("#stops-table tbody tr", (rows) => rows.length)).toBe(4);
    const row = async (name: string) =>
      page.$$eval(
        `#stops-table tbody tr`,
        (rows, wanted) => {
          const found = rows.find((tr) => tr.querySelector("td")?.textContent === wanted);
          return found ? [...found.querySelectorAll("td")].map((cell) => cell.textContent) : [];
        },
        name,
      );
    // Against the plain run (right on even questions), Wait 2 (right unless q % 3 == 0) turned
    // questions 0 and 6 wrong and 1, 5, 7 and 11 right.
    const wait = await row(experimentName(WAIT));
    expect(wait[9]).toBe("2 / 4");
    const probed = await row(experimentName(PROBED));
    expect(probed[4]).toBe("50.0%"); // early exit on 6 of 12
    const votes = await row(experimentName(VOTES));
    expect(votes[10]).toBe("3, 67%");
  });

  it("shows a sample's probes along its thinking, where the answer changed, its stop and its votes", async () => {
    for (const point of [PROBED, VOTES]) {
      await page.click(`#experiments-table input[aria-label="select ${experimentName(point)}"]`);
    }
    await page.waitForSelector("#questions-table tbody tr");
    await page.click("#questions-table tbody tr:first-child");
    await page.waitForSelector(".column .probe.inline");
    const column = (point: SweepPoint) =>
      `.column[data-column-experiment="${experimentIdOf(point)}"]`;
    const probed = column(PROBED);
    const markers = await page.$$eval(`${probed} .probe.inline`, (spans) =>
      spans.map((span) => [span.textContent, span.classList.contains("changed")]),
    );
    expect(markers).toEqual([
      ["⟨256 tok: A⟩", true],
      ["⟨512 tok: B ✓⟩", true],
      ["⟨768 tok: B ✓⟩", false],
    ]);
    // Each marker sits where its probe was taken in the thinking text.
    const text = await page.textContent(`${probed} pre.thinking`);
    expect(text).toBe(
      `${THINKING.slice(0, 56)}⟨256 tok: A⟩${THINKING.slice(56, 100)}⟨512 tok: B ✓⟩${THINKING.slice(100, 136)}⟨768 tok: B ✓⟩${THINKING.slice(136)}`,
    );
    expect(await page.textContent(probed)).toContain("early exit (probes agreed)");
    const votes = await page.$$eval(`${column(VOTES)} table.votes tbody tr`, (rows) =>
      rows.map((row) => [row.querySelectorAll("td")[2]?.textContent, row.className]),
    );
    expect(votes).toEqual([
      ["B", "winner"],
      ["C", ""],
      ["B", "winner"],
    ]);
    expect(await page.textContent(column(VOTES))).toContain("67% for B");
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "adaptive.png"), fullPage: true });
  });
});

/** Experiment ids follow creation order (the store's own ids). */
function experimentIdOf(point: SweepPoint): number {
  return [PLAIN, WAIT, PROBED, VOTES].indexOf(point) + 1;
}
