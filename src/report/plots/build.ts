import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { ReportExperiment, SampleOutcome } from "../experiments.js";
import { accuracyPoints, usageData } from "./data.js";
import { renderSvg, svgToPng } from "./render.js";
import { accuracySpec, budgetUsageSpec, tokensSpec } from "./specs.js";
import { computeSpec, riskCoverageSpec } from "./adaptive-specs.js";
import type { CalibrationCurve } from "../calibration.js";
import type { ComputePoint } from "../compute.js";
import type { ProbeCurve } from "../probe-curve.js";
import { AVERAGE_SOURCE } from "../accuracy.js";

/** The plots a set of experiments supports (a sweep needs two or more values to draw). */
export interface PlotDefinition {
  /** File stem, e.g. `accuracy-vs-budget`. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

export function definePlots(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[] | null,
): PlotDefinition[] {
  const plots: PlotDefinition[] = [];
  const budget = accuracyPoints(experiments, "budget");
  if (budget.length > 0) {
    plots.push({
      name: "accuracy-vs-budget",
      title: "Accuracy vs thinking budget",
      spec: accuracySpec(budget, "budget"),
    });
  }
  const wait = accuracyPoints(experiments, "wait_rounds");
  if (wait.length > 0) {
    plots.push({
      name: "accuracy-vs-wait-rounds",
      title: "Accuracy vs Wait rounds",
      spec: accuracySpec(wait, "wait_rounds"),
    });
  }
  const usage = usageData(experiments, outcomesOf);
  if (usage.capShare.length > 0 || usage.ratios.length > 0) {
    plots.push({
      name: "budget-usage",
      title: "Thinking budget usage",
      spec: budgetUsageSpec(usage.capShare, usage.ratios),
    });
  }
  if (usage.tokens.length > 0) {
    plots.push({
      name: "accuracy-vs-tokens",
      title: "Accuracy vs tokens spent",
      spec: tokensSpec(usage.tokens),
    });
  }
  return plots;
}

/** What adaptive compute adds to the plots, when the experiments have it. */
export interface AdaptivePlotData {
  probeCurves: readonly ProbeCurve[];
  compute: readonly ComputePoint[];
  calibration: readonly CalibrationCurve[];
}

export function defineAdaptivePlots(data: AdaptivePlotData): PlotDefinition[] {
  const plots: PlotDefinition[] = [];
  if (data.probeCurves.length > 0) {
    const groups = data.probeCurves.map((curve) => {
      const title = `from the probes of one run: ${curve.experiment}`;
      return {
        title,
        points: curve.points.flatMap((point) =>
          [...point.sources, point.average].map((row) => ({
            group: title,
            x: point.budget,
            series: row.source === AVERAGE_SOURCE ? AVERAGE_SOURCE : row.source,
            accuracy: row.accuracy,
            low: row.ci95_low,
            high: row.ci95_high,
          })),
        ),
      };
    });
    plots.push({
      name: "accuracy-vs-budget-from-probes",
      title: "Accuracy vs thinking budget, from one run's probes",
      spec: accuracySpec(groups, "budget"),
    });
  }
  if (data.compute.length > 1) {
    plots.push({
      name: "accuracy-vs-compute",
      title: "Accuracy vs compute per question",
      spec: computeSpec(data.compute),
    });
  }
  if (data.calibration.length > 0) {
    plots.push({
      name: "risk-coverage",
      title: "Risk-coverage of probe agreement and vote share",
      spec: riskCoverageSpec(data.calibration),
    });
  }
  return plots;
}

export interface RenderedPlot {
  name: string;
  title: string;
  svg: string;
}

export async function renderPlots(plots: readonly PlotDefinition[]): Promise<RenderedPlot[]> {
  const rendered: RenderedPlot[] = [];
  for (const plot of plots)
    rendered.push({ name: plot.name, title: plot.title, svg: await renderSvg(plot.spec) });
  return rendered;
}

/** Writes `<name>.svg`, `<name>.png` and `<name>.vl.json` (the spec, to restyle) per plot. */
export function writePlots(
  directory: string,
  plots: readonly PlotDefinition[],
  rendered: readonly RenderedPlot[],
): string[] {
  mkdirSync(directory, { recursive: true });
  const written: string[] = [];
  rendered.forEach((plot, index) => {
    const svgPath = join(directory, `${plot.name}.svg`);
    const pngPath = join(directory, `${plot.name}.png`);
    const specPath = join(directory, `${plot.name}.vl.json`);
    writeFileSync(svgPath, plot.svg);
    writeFileSync(pngPath, svgToPng(plot.svg).png);
    writeFileSync(specPath, `${JSON.stringify(plots[index]!.spec, null, 2)}\n`);
    written.push(svgPath, pngPath, specPath);
  });
  return written;
}
