import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import { compile } from "vega-lite";
import { beforeAll, describe, expect, it } from "vitest";
import { datasetStats } from "../../src/curate/stats/dataset-stats.js";
import { tokenLengthPlot } from "../../src/curate/stats/token-plot.js";
import { discoverExperiments } from "../../src/report/discover.js";
import { definePlots, type PlotDefinition } from "../../src/report/plots/build.js";
import { renderSvg, svgToPng } from "../../src/report/plots/render.js";
import { installTextMetrics } from "../../src/report/plots/text-width.js";
import { SampleLoader } from "../../src/report/samples.js";
import { buildSweepStore, type SweepPoint } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";

/**
 * Plots that read right, checked on what Vega lays out (its scenegraph: every label, symbol and
 * tick with its text, position and size), on sweeps that used to draw wrong: a narrow accuracy
 * range (12.5% on a "13%" line), many budgets (labels over each other), one source (its line under
 * the average's), two sources with equal accuracies, and every sample at the budget (an invisible
 * box). The PNGs are kept in test-artifacts/report/layout-*.png to look at.
 */

const ARTIFACTS = join(process.cwd(), "test-artifacts", "report");

interface SceneItem {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  text?: string;
  opacity?: number;
  datum?: Record<string, unknown>;
  bounds?: { x1: number; x2: number; y1: number; y2: number };
  items?: SceneItem[];
  role?: string;
  marktype?: string;
  orient?: string;
}

/** Every mark of the scene with its role, depth first. */
function marks(node: SceneItem, found: SceneItem[] = []): SceneItem[] {
  if (node.marktype) found.push(node);
  for (const item of node.items ?? []) marks(item, found);
  return found;
}

interface AxisLabels {
  /** `X: <title>` or `Y: <title>`. */
  axis: string;
  /** Visible labels (overlap removal hides the others with opacity 0), in order. */
  labels: Array<{ text: string; x1: number; x2: number; y1: number; y2: number }>;
}

/** The labels of every axis drawn, read from the scenegraph. */
function axisLabels(root: SceneItem): AxisLabels[] {
  const axes: AxisLabels[] = [];
  for (const axis of marks(root).filter((mark) => mark.role === "axis")) {
    for (const group of axis.items ?? []) {
      const labels = marks(group)
        .filter((mark) => mark.role === "axis-label")
        .flatMap((mark) => mark.items ?? [])
        .filter((item) => item.opacity !== 0 && Boolean(item.text) && item.bounds)
        .map((item) => ({ text: String(item.text), ...item.bounds! }));
      if (labels.length === 0) continue; // a grid-only axis
      const title = marks(group).find((mark) => mark.role === "axis-title")?.items?.[0]?.text;
      const direction = group.orient === "bottom" || group.orient === "top" ? "X" : "Y";
      axes.push({ axis: `${direction}: ${title ?? ""}`, labels });
    }
  }
  return axes;
}

async function scene(plot: PlotDefinition): Promise<SceneItem> {
  installTextMetrics();
  const view = new vega.View(vega.parse(compile(plot.spec).spec), { renderer: "none" });
  await view.runAsync();
  const root = (view.scenegraph() as unknown as { root: SceneItem }).root;
  view.finalize();
  return root;
}

async function plotsOf(directory: string, name: string): Promise<Map<string, PlotDefinition>> {
  using loader = new SampleLoader();
  const plots = definePlots(discoverExperiments([directory]), (e) => loader.outcomes(e));
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const plot of plots) {
    writeFileSync(
      join(ARTIFACTS, `layout-${name}-${plot.name}.png`),
      svgToPng(await renderSvg(plot.spec)).png,
    );
  }
  return new Map(plots.map((plot) => [plot.name, plot]));
}

/** Symbols (points) of one series, by datum budget or x. */
function symbolsOf(root: SceneItem, series: string): SceneItem[] {
  return marks(root)
    .filter((mark) => mark.marktype === "symbol")
    .flatMap((mark) => mark.items ?? [])
    .filter((item) => item.datum?.series === series);
}

const BUDGETS = [128, 256, 512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384];
const SOURCES = ["MedMCQA", "MedQA", "PubMedQA", "MMLU", "GPQA", "Lancet", "NEJM", "MedXpertQA"];

let crowded: Map<string, PlotDefinition>;
let narrow: Map<string, PlotDefinition>;
let m1: Map<string, PlotDefinition>;

beforeAll(async () => {
  // Eleven budgets, eight sources.
  const crowdedDir = temporaryDirectory("layout-crowded");
  buildSweepStore(crowdedDir, {
    points: BUDGETS.map((budget) => ({ model: "m", budget, waitRounds: 0 })),
    sources: SOURCES.map((name) => ({ name, questions: 20 })),
    correct: (point, source, question) =>
      (question * 7 + source * 3) % 20 < 6 + Math.log2(point.budget) / 2,
  });
  crowded = await plotsOf(crowdedDir, "crowded");

  // One source, 200 questions, 25/26/27 right: accuracies 12.5%, 13%, 13.5%. Budget 16 spends
  // its whole budget on every sample.
  const narrowDir = temporaryDirectory("layout-narrow");
  const right: Record<number, number> = { 16: 25, 64: 26, 256: 27 };
  buildSweepStore(narrowDir, {
    points: [16, 64, 256].map((budget): SweepPoint => ({ model: "smoke", budget, waitRounds: 0 })),
    sources: [{ name: "pubmedqa", questions: 200 }],
    correct: (point, _source, question) => question < right[point.budget]!,
    hitCap: (point, sampleIndex) => point.budget === 16 || sampleIndex % 3 === 0,
  });
  narrow = await plotsOf(narrowDir, "one-source");
  m1 = await plotsOf(M1_OUTPUTS, "m1");
});

describe("plot axes", () => {
  it("label percent ticks on whole percents only, never two ticks with one label", async () => {
    for (const plots of [crowded, narrow, m1]) {
      for (const plot of plots.values()) {
        for (const { axis, labels } of axisLabels(await scene(plot))) {
          const texts = labels.map((label) => label.text);
          expect(new Set(texts).size, `${plot.name}: ${axis}: ${texts.join(" ")}`).toBe(
            texts.length,
          );
          for (const text of texts.filter((t) => t.endsWith("%"))) {
            expect(text, `${plot.name}: ${axis}`).toMatch(/^\d+%$/);
          }
        }
      }
    }
  });

  it("draw the accuracy of a narrow range between whole-percent ticks (12.5% is not on a 13% line)", async () => {
    const root = await scene(narrow.get("accuracy-vs-tokens")!);
    const yAxis = axisLabels(root).find(({ axis }) => axis.startsWith("Y:"))!;
    expect(yAxis.labels.map((label) => label.text)).toEqual(["12%", "13%", "14%"]);
    const middle = (text: string) => {
      const label = yAxis.labels.find((candidate) => candidate.text === text)!;
      return (label.y1 + label.y2) / 2;
    };
    const [lowest] = symbolsOf(root, "pubmedqa").filter((item) => item.datum?.budget === 16);
    // Half way between the 12% and 13% lines (within a pixel of rounding), far from either.
    const halfWay = (middle("12%") + middle("13%")) / 2;
    expect(Math.abs(lowest!.y! - halfWay)).toBeLessThan(1.5);
    expect(middle("12%") - middle("13%")).toBeGreaterThan(100);
  });

  it("never draw two x labels over each other, however many budgets", async () => {
    for (const plot of crowded.values()) {
      for (const { axis, labels } of axisLabels(await scene(plot))) {
        if (!axis.startsWith("X:")) continue;
        const sorted = [...labels].sort((a, b) => a.x1 - b.x1);
        for (let index = 1; index < sorted.length; index++) {
          expect(sorted[index]!.x1, `${plot.name}: ${axis}`).toBeGreaterThanOrEqual(
            sorted[index - 1]!.x2,
          );
        }
        expect(labels.length).toBeGreaterThanOrEqual(3);
      }
    }
    // The overview of the budget plot still names the first and the last budget.
    const overview = axisLabels(await scene(crowded.get("accuracy-vs-budget")!)).find(({ axis }) =>
      axis.startsWith("X:"),
    )!;
    expect(overview.labels.map((label) => label.text)).toEqual(
      expect.arrayContaining(["128", "1024", "16384"]),
    );
  });
});

describe("the token-length histogram (m1 curate stats)", () => {
  it("labels shares of a few percent with decimals rather than repeating whole percents", async () => {
    // 3,000 rows spread evenly over 50 bins: every bar near 2%.
    const rows = Array.from({ length: 3000 }, (_, index) => ({
      reasoning: "word ".repeat(200 + ((index * 37) % 5000)),
      distilled_answer_string: "word ".repeat(40 + ((index * 11) % 300)),
    }));
    const counter = {
      description: "words",
      countTokens: async (text: string) => text.split(" ").length - 1,
      close: async () => {},
    };
    const plot = tokenLengthPlot(await datasetStats(rows, "rows.jsonl", { counter }), "Tokens")!;
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(
      join(ARTIFACTS, "layout-token-lengths.png"),
      svgToPng(await renderSvg(plot.spec)).png,
    );
    const yAxes = axisLabels(await scene(plot)).filter(({ axis }) => axis.startsWith("Y:"));
    expect(yAxes).toHaveLength(2);
    for (const { labels } of yAxes) {
      const texts = labels.map((label) => label.text);
      expect(new Set(texts).size, texts.join(" ")).toBe(texts.length);
      expect(texts).toContain("2.0%");
    }
  });
});

describe("budget labels on the tokens plot", () => {
  it("never overlap, and name the first and the last budget", async () => {
    const root = await scene(crowded.get("accuracy-vs-tokens")!);
    const labels = marks(root)
      .filter((mark) => mark.marktype === "text" && mark.role === "mark")
      .flatMap((mark) => mark.items ?? [])
      .map((item) => ({ text: String(item.text), ...item.bounds! }));
    expect(labels.map((label) => label.text)).toEqual(expect.arrayContaining(["128", "16384"]));
    expect(labels.length).toBeGreaterThanOrEqual(5);
    for (const [index, a] of labels.entries()) {
      for (const b of labels.slice(index + 1)) {
        const apart = a.x2 <= b.x1 || b.x2 <= a.x1 || a.y2 <= b.y1 || b.y2 <= a.y1;
        expect(apart, `${a.text} and ${b.text}`).toBe(true);
      }
    }
  });
});

describe("plot series", () => {
  it("draw a single source's own line, not an average lying over it", async () => {
    for (const name of ["accuracy-vs-budget", "budget-usage", "accuracy-vs-tokens"]) {
      const root = await scene(narrow.get(name)!);
      expect(symbolsOf(root, "pubmedqa").length, name).toBe(3);
      expect(symbolsOf(root, "average").length + symbolsOf(root, "all").length, name).toBe(0);
    }
    expect(narrow.get("accuracy-vs-budget")!.spec).not.toHaveProperty("vconcat.1");
  });

  it("draw every source and the average, and set apart two sources with equal accuracies", async () => {
    const root = await scene(m1.get("accuracy-vs-budget")!);
    // MedMCQA and MedQA have the same accuracies at every budget in m1's fixture.
    for (const budget of [128, 512, 2048]) {
      const at = (series: string) =>
        symbolsOf(root, series).find(
          (item) => item.datum?.x === budget && item.width === undefined,
        );
      const [a, b] = [at("MedMCQA_validation"), at("MedQA_USLME_test")];
      expect(a!.y).toBe(b!.y);
      expect(Math.abs(a!.x! - b!.x!)).toBeGreaterThanOrEqual(1.5);
    }
    for (const series of ["MedMCQA_validation", "MedQA_USLME_test", "PubMedQA_test", "average"]) {
      // Three in the overview; the per-source panels add three more for each source.
      expect(symbolsOf(root, series).length, series).toBe(series === "average" ? 3 : 6);
    }
  });

  it("show the thinking-tokens box of an experiment whose every sample hit the budget", async () => {
    const root = await scene(narrow.get("budget-usage")!);
    const ticks = marks(root)
      .filter((mark) => mark.marktype === "rect")
      .flatMap((mark) => mark.items ?? [])
      .filter((item) => item.datum?.median !== undefined);
    const full = ticks.find((item) => item.datum?.budget === 16)!;
    expect(full.datum).toMatchObject({ min: 1, q1: 1, median: 1, q3: 1, max: 1 });
    // A dark tick wider than the box, thick enough to see.
    expect(full.width!).toBeGreaterThanOrEqual(16);
    expect(full.height!).toBeGreaterThanOrEqual(2);
  });
});
