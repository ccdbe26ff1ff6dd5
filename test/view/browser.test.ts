import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningViewer } from "../../src/view/start.js";
import { startViewer } from "../../src/view/start.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { temporaryDirectory } from "../fixtures/report/outputs.js";

/**
 * The viewer in a real browser (Debian's chromium through playwright-core): one launch for the
 * whole suite. Model output carrying HTML/JS payloads must show as text and never run.
 */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(process.cwd(), "test-artifacts", "view");
const SCRIPT_PAYLOAD = "<script>alert(1)</script>";
const IMG_PAYLOAD = "<img src=x onerror=alert(1)>";
const browserAvailable = existsSync(CHROMIUM);

if (!browserAvailable) {
  if (process.env.CI === "true") {
    throw new Error(
      `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (the README's CI setup does)`,
    );
  }
  console.warn(
    `\n!!! WARNING: ${CHROMIUM} not found: SKIPPING the viewer browser tests. ` +
      "Install it with `apt-get install -y chromium` to run them. !!!\n",
  );
}

let viewer: RunningViewer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

async function listSources(): Promise<string[]> {
  return page.$$eval("#questions-table tbody tr td:nth-child(2)", (cells) =>
    cells.map((cell) => cell.textContent ?? ""),
  );
}

/** Applies the filters and waits until the list from that very request is drawn. */
async function applyFilters(): Promise<void> {
  const answered = page.waitForResponse((response) => response.url().includes("/api/questions"));
  await page.click("#apply-filters");
  await answered;
  // Selectors, not waitForFunction: the page's CSP forbids the eval that a string predicate needs
  // (and this project compiles without the DOM library for function predicates).
  await page.waitForSelector('#questions-table[aria-busy="false"]');
}

describe.skipIf(!browserAvailable)("m1 view in a browser", () => {
  beforeAll(async () => {
    const directory = temporaryDirectory("view-browser");
    buildSweepStore(directory, {
      points: [256, 1024, 4096].map((budget) => ({ model: "m1-7B-23K", budget, waitRounds: 0 })),
      sources: [
        { name: "MedQA", questions: 40 },
        { name: "PubMedQA", questions: 25 },
      ],
      correct: (point, source, question) =>
        (question * 7 + source * 3) % 10 < 3 + Math.log2(point.budget / 256),
      questionText: (source, question) =>
        question === 5
          ? `A 54-year-old with epigastric pain radiating to the back (${source} ${question})`
          : `Question ${question} of ${source}: which option?`,
      texts: (point, index) =>
        index === 1
          ? {
              thinking: `${SCRIPT_PAYLOAD} thinking at ${point.budget}`,
              response: `${IMG_PAYLOAD} \\boxed{B}`,
            }
          : {
              thinking: `Budget ${point.budget}: reasoning about question ${index}.\nWait, let me check.`,
              response: "\\boxed{A}",
            },
    });
    viewer = await startViewer({ directory, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  it("opens on the budget sweep with the experiments, the accuracy grid and the first page of questions", async () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await page.goto(viewer.url);
    await page.waitForSelector("#questions-table tbody tr");
    expect(await page.$$eval("#experiments-table tbody tr", (rows) => rows.length)).toBe(3);
    expect(await page.$$eval("#experiments-table input:checked", (boxes) => boxes.length)).toBe(3);
    // Grid: MedQA, PubMedQA and average rows, one column per budget, each cell with an interval.
    expect(await page.$$eval("#grid-table tbody tr", (rows) => rows.length)).toBe(3);
    const cell = await page.textContent('[data-grid-cell$=":average"]');
    expect(cell).toMatch(/^\d+\.\d \[\d+\.\d, \d+\.\d\]$/);
    expect(await page.$$eval("#questions-table tbody tr", (rows) => rows.length)).toBe(50);
    expect(await page.textContent("#list-status")).toContain("65 questions match; 50 shown.");
    await page.click("#more");
    await page.waitForSelector("#questions-table tbody tr:nth-child(65)");
  });

  it("filters by source and by correctness", async () => {
    await page.selectOption("#filter-source", "PubMedQA");
    await applyFilters();
    const sources = await listSources();
    expect(sources.length).toBe(25);
    expect(new Set(sources)).toEqual(new Set(["PubMedQA"]));
    await page.selectOption("#filter-correct", "incorrect");
    const lastExperiment = await page.$eval(
      "#filter-correct-in option:last-child",
      (option) => option.getAttribute("value") ?? "",
    );
    await page.selectOption("#filter-correct-in", lastExperiment);
    await applyFilters();
    const marks = await page.$$eval("#questions-table tbody tr td:last-child", (cells) =>
      cells.map((cell) => cell.textContent ?? ""),
    );
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.every((mark) => mark.startsWith("✗"))).toBe(true);
    await page.selectOption("#filter-correct", "");
    await page.selectOption("#filter-source", "");
  });

  it("filters questions that flipped between two budgets", async () => {
    await page.selectOption("#filter-flip", "gained");
    await applyFilters();
    const rows = await page.$$eval("#questions-table tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].slice(3).map((td) => td.textContent ?? "")),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const outcomes of rows) {
      expect(outcomes[0]!.startsWith("✗")).toBe(true);
      expect(outcomes[outcomes.length - 1]!.startsWith("✓")).toBe(true);
    }
    await page.selectOption("#filter-flip", "");
  });

  it("searches question text", async () => {
    await page.fill("#filter-search", "epigastric");
    await applyFilters();
    const questions = await page.$$eval("#questions-table tbody tr td:nth-child(3)", (cells) =>
      cells.map((cell) => cell.textContent ?? ""),
    );
    expect(questions).toEqual([
      "A 54-year-old with epigastric pain radiating to the back (MedQA 5)",
      "A 54-year-old with epigastric pain radiating to the back (PubMedQA 5)",
    ]);
  });

  it("opens a question and shows the budgets side by side", async () => {
    await page.click('#questions-table tbody tr[data-question-key="MedQA-000005"]');
    await page.waitForSelector("#detail .columns .column pre.thinking");
    expect(await page.textContent("#detail .question-text")).toBe(
      "A 54-year-old with epigastric pain radiating to the back (MedQA 5)",
    );
    expect(await page.textContent("#detail .options li.gold")).toBe("B. Option beta");
    const columns = await page.$$eval("#detail .column", (elements) =>
      elements.map((element) => ({
        title: element.querySelector("h3")?.textContent ?? "",
        verdict: element.querySelector("[data-verdict]")?.textContent ?? "",
        thinking: element.querySelector("pre.thinking")?.textContent ?? "",
      })),
    );
    expect(columns.map((column) => column.title)).toEqual([
      "m1-7B-23K · budget 256 · Wait 0",
      "m1-7B-23K · budget 1024 · Wait 0",
      "m1-7B-23K · budget 4096 · Wait 0",
    ]);
    expect(columns[0]!.thinking).toContain("Budget 256: reasoning about question 5.");
    expect(columns[2]!.thinking).toContain("Budget 4096: reasoning about question 5.");
    expect(columns.every((column) => ["correct", "incorrect"].includes(column.verdict))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "question-side-by-side.png"), fullPage: true });
  });

  it("fits six experiments side by side: experiment labels wrap, long answers are cut with the whole in a tooltip", async () => {
    const directory = temporaryDirectory("view-browser-wide");
    const longAnswer = (letter: string, budget: number) =>
      `${letter}. Acute pancreatitis secondary to gallstone obstruction of the ampulla of Vater (budget ${budget})`;
    buildSweepStore(directory, {
      points: [256, 1024, 4096].flatMap((budget) =>
        [0, 2].map((waitRounds) => ({ model: "UCSC-VLAA/m1-7B-23K", budget, waitRounds })),
      ),
      sources: [
        { name: "MedQA_USLME_test", questions: 12 },
        { name: "PubMedQA_test", questions: 8 },
      ],
      correct: (point, source, question) => (question + source) % 3 < Math.log2(point.budget) / 4,
      extractedAnswer: (point, index, letter) =>
        index % 3 === 0 ? longAnswer(letter, point.budget) : letter,
      texts: (point) => ({
        thinking: `Budget ${point.budget}: ${"Epigastric pain radiating to the back, lipase up, gallstones. ".repeat(6)}`,
        response: "The answer is \\boxed{A. Acute pancreatitis secondary to gallstone obstruction}",
      }),
    });
    const wide = await startViewer({ directory, port: 0 });
    const widePage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await widePage.goto(wide.url);
      await widePage.waitForSelector("#questions-table tbody tr");
      // The first sweep (budgets at Wait 0) is selected; tick the other three.
      for (const box of await widePage.$$("#experiments-table input[type=checkbox]")) {
        if (!(await box.isChecked())) {
          const answered = widePage.waitForResponse((r) => r.url().includes("/api/questions"));
          await box.check();
          await answered;
        }
      }
      await widePage.waitForSelector('#questions-table[aria-busy="false"]');
      // #, source, question, then one column per experiment.
      expect(await widePage.$$eval("#questions-table thead th", (heads) => heads.length)).toBe(9);
      await widePage.click(
        '#questions-table tbody tr[data-question-key="MedQA_USLME_test-000000"]',
      );
      await widePage.waitForSelector("#detail .columns .column:nth-child(6) pre.thinking");

      // Nothing scrolls sideways: the list, the grid and the six columns fit the window.
      const overflow = await widePage.$$eval(".list, #grid, #detail .columns", (boxes) =>
        boxes.map((box) => box.scrollWidth - box.clientWidth),
      );
      expect(overflow).toEqual([0, 0, 0]);
      const cell = await widePage.$eval(
        '#questions-table tbody tr[data-question-key="MedQA_USLME_test-000000"] td.outcome',
        (td) => {
          const clip = td.querySelector(".clip")!;
          return {
            title: td.getAttribute("title"),
            cut: clip.scrollWidth > clip.clientWidth,
            width: td.getBoundingClientRect().width,
          };
        },
      );
      expect(cell.title).toMatch(/^[✓✗] [A-D]\. Acute pancreatitis .* \(budget 256\)$/);
      expect(cell.cut).toBe(true);
      expect(cell.width).toBeLessThan(160);
      const extracted = await widePage.$$eval("#detail dd.clamp", (dds) =>
        dds.map((dd) => ({
          title: dd.getAttribute("title"),
          cut: dd.scrollHeight > dd.clientHeight,
        })),
      );
      expect(extracted).toHaveLength(6);
      for (const { title, cut } of extracted) {
        expect(title).toMatch(/^[A-D]\. Acute pancreatitis secondary .* \(budget \d+\)$/);
        expect(cut).toBe(true);
      }
      await widePage.screenshot({
        path: join(ARTIFACTS, "six-experiments-side-by-side.png"),
        fullPage: true,
      });
    } finally {
      await widePage.close();
      await wide.close();
    }
  });

  it("shows HTML and script payloads in model output as plain text and never runs them", async () => {
    await page.fill("#filter-search", "");
    await applyFilters();
    await page.click('#questions-table tbody tr[data-question-key="MedQA-000001"]');
    await page.waitForSelector('#detail pre.thinking:has-text("alert(1)")');
    const thinking = await page.$$eval("#detail pre.thinking", (elements) =>
      elements.map((element) => element.textContent),
    );
    const answers = await page.$$eval("#detail pre.response", (elements) =>
      elements.map((element) => element.textContent),
    );
    expect(thinking[0]).toBe(`${SCRIPT_PAYLOAD} thinking at 256`);
    expect(answers[0]).toBe(`${IMG_PAYLOAD} \\boxed{B}`);
    // Visible as text on screen, not turned into elements.
    await expect(page.getByText(`${SCRIPT_PAYLOAD} thinking at 1024`).isVisible()).resolves.toBe(
      true,
    );
    expect(await page.$$eval("#detail img, #detail script", (elements) => elements.length)).toBe(0);
    expect(
      await page.$$eval("script", (elements) =>
        elements.map((element) => element.getAttribute("src")),
      ),
    ).toEqual(["/app.js"]);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.screenshot({
      path: join(ARTIFACTS, "untrusted-output-as-text.png"),
      fullPage: false,
    });
  });
});
