import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { beforeAll, describe, expect, it } from "vitest";
import { discoverExperiments } from "../../src/report/discover.js";
import type { RenderedPlot } from "../../src/report/plots/build.js";
import { definePlots, renderPlots } from "../../src/report/plots/build.js";
import { svgToPng } from "../../src/report/plots/render.js";
import { runReport } from "../../src/report/run-report.js";
import { SampleLoader } from "../../src/report/samples.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";

const ARTIFACTS = join(process.cwd(), "test-artifacts", "report");
const SOURCES = ["MedMCQA_validation", "MedQA_USLME_test", "PubMedQA_test"];

let m1Plots: RenderedPlot[];

function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function svgSize(svg: string): { width: number; height: number } {
  const match = /^<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  expect(match).not.toBeNull();
  return { width: Number(match![1]), height: Number(match![2]) };
}

beforeAll(async () => {
  const experiments = discoverExperiments([M1_OUTPUTS]);
  using loader = new SampleLoader();
  m1Plots = await renderPlots(
    definePlots(experiments, (experiment) => loader.outcomes(experiment)),
  );
  mkdirSync(ARTIFACTS, { recursive: true });
});

describe("plots", () => {
  it("draws accuracy vs budget, vs Wait rounds, budget usage and accuracy vs tokens for m1's outputs", () => {
    expect(m1Plots.map((plot) => plot.name)).toEqual([
      "accuracy-vs-budget",
      "accuracy-vs-wait-rounds",
      "budget-usage",
      "accuracy-vs-tokens",
    ]);
  });

  it("renders every plot to SVG that a strict XML parser accepts", () => {
    for (const plot of m1Plots) {
      expect(plot.svg.startsWith("<svg")).toBe(true);
      expect(plot.svg.trimEnd().endsWith("</svg>")).toBe(true);
      // resvg parses with roxmltree (strict XML) and throws on malformed input.
      const parsed = new Resvg(plot.svg);
      expect(parsed.width).toBeGreaterThan(100);
      expect(plot.svg).not.toMatch(/<script|href="http/);
    }
  });

  it("draws a line with points for every source and the average on the budget plot", () => {
    const svg = m1Plots.find((plot) => plot.name === "accuracy-vs-budget")!.svg;
    for (const series of [...SOURCES, "average"]) {
      for (const budget of [128, 512, 2048]) {
        expect(svg).toContain(`thinking budget (tokens, log2): ${budget}; accuracy:`);
      }
      expect(svg).toMatch(
        new RegExp(
          `aria-label="thinking budget \\(tokens, log2\\): 128; accuracy: [0-9.]+; source: ${series}"`,
        ),
      );
    }
    // Wilson bands (area marks) and the legend naming every source.
    expect(svg).toContain('aria-roledescription="area mark container"');
    expect(svg).toContain(`4 values: ${SOURCES.join(", ")}, average`);
  });

  it("shows the share of samples that hit the thinking budget per source", () => {
    const svg = m1Plots.find((plot) => plot.name === "budget-usage")!.svg;
    // Budget 128: every sample of the fixture hit the cap.
    for (const source of [...SOURCES, "all"]) {
      expect(svg).toMatch(
        new RegExp(`budget \\(tokens, log2\\): 128; hit the cap: 100%; source: ${source}"`),
      );
    }
  });

  it("renders PNGs at twice the SVG size with a valid PNG header", () => {
    for (const plot of m1Plots) {
      const image = svgToPng(plot.svg);
      const size = pngSize(image.png);
      const svg = svgSize(plot.svg);
      expect(size).toEqual({
        width: Math.round(svg.width * 2),
        height: Math.round(svg.height * 2),
      });
      writeFileSync(join(ARTIFACTS, `${plot.name}.png`), image.png);
    }
  });

  it("draws text with the bundled font even with no system fonts", () => {
    const svg = m1Plots[0]!.svg;
    const withFont = svgToPng(svg, 1).png;
    const withoutFonts = new Resvg(svg, { background: "white", font: { loadSystemFonts: false } })
      .render()
      .asPng();
    // Same shapes; the difference is the glyphs, which only the bundled font provides.
    expect(withFont.length).toBeGreaterThan(withoutFonts.length * 1.2);
  });

  it("adds the thinking tokens / budget distribution when samples record thinking tokens", async () => {
    const directory = temporaryDirectory("plots-store");
    buildSweepStore(directory, {
      points: [256, 1024, 4096].map((budget) => ({ model: "tiny", budget, waitRounds: 0 })),
      sources: [
        { name: "MedQA", questions: 30 },
        { name: "PubMedQA", questions: 20 },
      ],
      correct: (point, _source, question) => question % 4 < Math.log2(point.budget) / 4,
    });
    using loader = new SampleLoader();
    const plots = await renderPlots(
      definePlots(discoverExperiments([directory]), (experiment) => loader.outcomes(experiment)),
    );
    const usage = plots.find((plot) => plot.name === "budget-usage")!.svg;
    expect(usage).toContain("thinking tokens / budget (min, quartiles, median, max)");
    expect(usage).toMatch(
      /aria-label="thinking budget \(tokens, log2\): 4096; thinking tokens \/ budget: [0-9.]+%; max:/,
    );
  });
});

describe("plot files and the HTML report", () => {
  it("writes SVG, PNG and Vega-Lite files and a self-contained HTML report", async () => {
    const output = temporaryDirectory("report-files");
    const plotDirectory = join(output, "plots");
    const htmlPath = join(ARTIFACTS, "report.html");
    const result = await runReport({
      directories: [M1_OUTPUTS],
      format: "md",
      plotDirectory,
      htmlPath,
      compare: ["thinking_buget_128", "thinking_buget_2048"],
    });
    for (const name of [
      "accuracy-vs-budget",
      "accuracy-vs-wait-rounds",
      "budget-usage",
      "accuracy-vs-tokens",
    ]) {
      for (const extension of ["svg", "png", "vl.json"]) {
        expect(existsSync(join(plotDirectory, `${name}.${extension}`))).toBe(true);
      }
    }
    expect(result.written).toContain(htmlPath);
    const html = readFileSync(htmlPath, "utf8");
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    // Nothing is loaded from anywhere: no script, no stylesheet link, no external URL but the
    // xmlns identifiers inside the SVGs.
    expect(html).not.toMatch(/<script|<link|<img|@import/);
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    expect(urls.every((url) => url.startsWith("http://www.w3.org/"))).toBe(true);
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).toContain("<h2>Comparisons</h2>");
    expect(html).toContain("Wrong in A, right in B (5), for example:");
    for (const source of SOURCES) expect(html).toContain(`<th>${source}</th>`);
  });
});
