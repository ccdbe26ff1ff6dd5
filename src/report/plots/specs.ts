import type { TopLevelSpec } from "vega-lite";
import { AVERAGE_SOURCE } from "../accuracy.js";
import type { AccuracyPoint, CapSharePoint, PlotGroup, RatioSummary, TokenPoint } from "./data.js";
import { textWidth } from "./text-width.js";
import {
  isEmphasis,
  LAYER_LEGENDS,
  panelTitle,
  percentAxis,
  seriesEncoding,
  seriesLines,
  seriesOf,
  sortedValues,
  sweepAxis,
  topLevel,
  type UnitSpec,
} from "./marks.js";

export { PLOT_FONT_FAMILY } from "./marks.js";

/**
 * Vega-Lite specs for the report's plots. One panel per sweep group, stacked vertically, with the
 * same colour and shape for a source everywhere. Data are embedded (small: one point per
 * experiment and source), so a spec renders anywhere without files.
 */

/**
 * A group with one source has an average equal to it: draw the source alone (its line would
 * otherwise lie under the average's).
 */
function withoutRedundantAverage<T extends { series: string }>(points: readonly T[]): T[] {
  const sources = seriesOf(points).filter((name) => !isEmphasis(name));
  return sources.length === 1 ? points.filter((point) => !isEmphasis(point.series)) : [...points];
}

const BUDGET_TITLE = "thinking budget (tokens, log2)";
const OVERVIEW_WIDTH = 520;
const FACET_WIDTH = 170;
const USAGE_WIDTH = 360;

/**
 * Accuracy along the thinking budget (log2 x) or the Wait rounds. Per group: an overview with one
 * line per source and the average (with the average's band), then, with two sources or more,
 * one small panel per source with its 95% Wilson band (eleven overlapping bands in one panel
 * would hide each other).
 */
export function accuracySpec(
  groups: readonly PlotGroup<AccuracyPoint>[],
  parameter: "budget" | "wait_rounds",
): TopLevelSpec {
  const allSeries = seriesOf(groups.flatMap((group) => withoutRedundantAverage(group.points)));
  const { color } = seriesEncoding(allSeries);
  const log = parameter === "budget";
  const xTitle = log ? BUDGET_TITLE : "Wait rounds";
  const panels = groups.flatMap((group) => {
    const points = withoutRedundantAverage(group.points);
    const series = seriesOf(points);
    const sources = series.filter((name) => name !== AVERAGE_SOURCE);
    const values = sortedValues(points, (point) => point.x);
    const x = sweepAxis("x", xTitle, values, log, OVERVIEW_WIDTH);
    const facetX = sweepAxis("x", xTitle, values, log, FACET_WIDTH);
    // The axis (percent ticks) comes from the band's layer; the points keep exact values.
    const y = { field: "accuracy", type: "quantitative" };
    // The band's colour legend is hidden; LAYER_LEGENDS lets only the lines' legend show.
    const band = (opacity: number, x: UnitSpec) => ({
      mark: { type: "area", opacity },
      encoding: {
        x,
        y: {
          field: "low",
          type: "quantitative",
          title: "accuracy",
          axis: percentAxis(),
          scale: { zero: false },
        },
        y2: { field: "high" },
        color: { ...color, legend: null },
      },
    });
    // The average's band, or the only source's.
    const banded = series.includes(AVERAGE_SOURCE) ? AVERAGE_SOURCE : sources[0]!;
    const overview = {
      title: panelTitle(group.title),
      width: OVERVIEW_WIDTH,
      height: 300,
      data: { values: points },
      layer: [
        { transform: [{ filter: `datum.series === '${banded}'` }], ...band(0.15, x) },
        ...seriesLines({ x, y }, series, allSeries),
      ],
      resolve: LAYER_LEGENDS,
    };
    if (sources.length < 2) return [overview];
    const perSource = {
      data: { values: points.filter((point) => point.series !== AVERAGE_SOURCE) },
      facet: {
        field: "series",
        sort: sources,
        type: "nominal",
        title: null,
        header: { labelFontSize: 11, labelFontWeight: "normal" },
      },
      columns: 4,
      // Panel titles name the source, so these panels draw no legend of their own.
      spec: {
        width: FACET_WIDTH,
        height: 110,
        layer: [
          band(0.2, facetX),
          ...seriesLines({ x: facetX, y }, sources, allSeries, { legend: false }),
        ],
      },
      resolve: LAYER_LEGENDS,
    };
    return [overview, perSource];
  });
  const title = log
    ? "Accuracy vs thinking budget (bands: 95% Wilson intervals)"
    : "Accuracy vs Wait rounds (budget forcing; bands: 95% Wilson intervals)";
  return topLevel(title, panels);
}

/** Share of samples that hit the cap, per source and over all samples (one line each). */
function capSharePanel(cap: PlotGroup<CapSharePoint>, plotSeries: readonly string[]): UnitSpec {
  const points = withoutRedundantAverage(cap.points);
  const x = sweepAxis(
    "budget",
    BUDGET_TITLE,
    sortedValues(points, (point) => point.budget),
    true,
    USAGE_WIDTH,
  );
  const y = {
    field: "share",
    type: "quantitative",
    title: "hit the cap",
    axis: percentAxis(),
    // Padding: a line at 0% or 100% is drawn inside the frame, not on its edge.
    scale: { domain: [0, 1], nice: false, padding: 6 },
  };
  return {
    title: panelTitle("share of samples that hit the thinking budget", 11),
    width: USAGE_WIDTH,
    height: 240,
    data: { values: points },
    layer: seriesLines({ x, y }, seriesOf(points), plotSeries),
    resolve: LAYER_LEGENDS,
  };
}

/**
 * Thinking tokens / budget per experiment: whiskers from min to max, a box from the first to the
 * third quartile, and a dark median tick wider than the box, so that an experiment whose samples
 * all used the whole budget (every number 100%) still shows as a mark at 100%.
 */
function ratioPanel(ratio: PlotGroup<RatioSummary>): UnitSpec {
  const x = sweepAxis(
    "budget",
    BUDGET_TITLE,
    sortedValues(ratio.points, (point) => point.budget),
    true,
    USAGE_WIDTH,
  );
  return {
    title: panelTitle("thinking tokens / budget (min, quartiles, median, max)", 11),
    width: USAGE_WIDTH,
    height: 240,
    data: { values: ratio.points },
    layer: [
      {
        mark: { type: "rule", color: "#555" },
        encoding: {
          x,
          y: {
            field: "min",
            type: "quantitative",
            title: "thinking tokens / budget",
            axis: percentAxis(),
            scale: { domain: [0, 1], nice: false, padding: 6 },
          },
          y2: { field: "max" },
        },
      },
      {
        mark: { type: "rule", color: "#4c78a8", strokeWidth: 12 },
        encoding: { x, y: { field: "q1", type: "quantitative" }, y2: { field: "q3" } },
      },
      {
        mark: { type: "tick", color: "#222", thickness: 2.5, size: 18, orient: "horizontal" },
        encoding: { x, y: { field: "median", type: "quantitative" } },
      },
    ],
  };
}

/** Per budget: share of samples whose thinking hit the cap, and thinking tokens / budget. */
export function budgetUsageSpec(
  capShare: readonly PlotGroup<CapSharePoint>[],
  ratios: readonly PlotGroup<RatioSummary>[],
): TopLevelSpec {
  const plotSeries = seriesOf(capShare.flatMap((group) => withoutRedundantAverage(group.points)));
  const titles = [...new Set([...capShare, ...ratios].map((group) => group.title))];
  const panels = titles.map((title) => {
    const cap = capShare.find((group) => group.title === title);
    const ratio = ratios.find((group) => group.title === title);
    const row: UnitSpec[] = [];
    if (cap) row.push(capSharePanel(cap, plotSeries));
    if (ratio) row.push(ratioPanel(ratio));
    return { title: panelTitle(title), hconcat: row };
  });
  return topLevel("How much of the thinking budget samples used", panels);
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const TOKENS_HEIGHT = 300;
/** Pixels between the frame and the outermost points. */
const TOKENS_PADDING = 10;
const BUDGET_LABEL_SIZE = 10;

/**
 * The budgets whose points get a label: the first and the last, then the others in order where
 * their label does not touch one already placed (labels sit 11 px above their point). Positions
 * are exact: the caller gives the scales these domains.
 */
function spacedBudgetLabels(
  points: readonly TokenPoint[],
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
): number[] {
  const sorted = [...points].sort((a, b) => a.budget - b.budget);
  const [xLow, xHigh] = xDomain.map(Math.log2) as [number, number];
  const box = (point: TokenPoint): Box => {
    const inner = (length: number, fraction: number) =>
      TOKENS_PADDING + (length - 2 * TOKENS_PADDING) * fraction;
    const x = inner(OVERVIEW_WIDTH, (Math.log2(point.meanTokens) - xLow) / (xHigh - xLow));
    const y =
      inner(TOKENS_HEIGHT, 1 - (point.accuracy - yDomain[0]) / (yDomain[1] - yDomain[0])) - 11;
    const half = textWidth(String(point.budget), BUDGET_LABEL_SIZE) / 2 + 2;
    return { left: x - half, right: x + half, top: y - BUDGET_LABEL_SIZE, bottom: y + 2 };
  };
  const apart = (a: Box, b: Box) =>
    a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
  const ends = sorted.length > 1 ? [sorted[0]!, sorted[sorted.length - 1]!] : sorted;
  const kept = ends.map(box);
  const labelled = new Set(ends.map((point) => point.budget));
  for (const point of sorted.slice(1, -1)) {
    const candidate = box(point);
    if (kept.every((placed) => apart(candidate, placed))) {
      kept.push(candidate);
      labelled.add(point.budget);
    }
  }
  return [...labelled].sort((a, b) => a - b);
}

/** Whole powers of two around the values (the log axis's domain). */
function powerOfTwoDomain(values: readonly number[]): [number, number] {
  const low = 2 ** Math.floor(Math.log2(Math.min(...values)));
  const high = 2 ** Math.ceil(Math.log2(Math.max(...values)));
  return [low, high > low ? high : low * 2];
}

/** Whole percents around the values. */
function percentDomain(values: readonly number[]): [number, number] {
  const low = Math.floor(Math.min(...values) * 100) / 100;
  const high = Math.ceil(Math.max(...values) * 100) / 100;
  return [low, high > low ? high : low + 0.01];
}

/**
 * Accuracy against the mean tokens spent (num_gen_tokens), one line per source along the
 * budgets; budgets label the average's points where the labels fit.
 */
export function tokensSpec(groups: readonly PlotGroup<TokenPoint>[]): TopLevelSpec {
  const plotSeries = seriesOf(groups.flatMap((group) => withoutRedundantAverage(group.points)));
  // One x domain for every panel (the panels are stacked: the same tokens line up).
  const xDomain = powerOfTwoDomain(
    groups.flatMap((group) => group.points.map((p) => p.meanTokens)),
  );
  const panels = groups.map((group) => {
    const points = withoutRedundantAverage(group.points);
    const series = seriesOf(points);
    // Budgets label the average's points (or the only source's).
    const labelledSeries = series.includes(AVERAGE_SOURCE) ? AVERAGE_SOURCE : series[0]!;
    const yDomain = percentDomain(points.map((point) => point.accuracy));
    const labelled = spacedBudgetLabels(
      points.filter((point) => point.series === labelledSeries),
      xDomain,
      yDomain,
    );
    const x = {
      field: "meanTokens",
      type: "quantitative",
      title: "mean tokens generated per question (log2)",
      scale: { type: "log", base: 2, domain: xDomain, nice: false, padding: TOKENS_PADDING },
      axis: { format: "d", labelOverlap: "greedy", labelSeparation: 6 },
    };
    const y = {
      field: "accuracy",
      type: "quantitative",
      title: "accuracy",
      axis: percentAxis(),
      scale: { domain: yDomain, nice: false, padding: TOKENS_PADDING },
    };
    return {
      title: panelTitle(group.title),
      width: OVERVIEW_WIDTH,
      height: TOKENS_HEIGHT,
      data: { values: points },
      layer: [
        ...seriesLines(
          { x, y, order: { field: "budget", type: "quantitative" } },
          series,
          plotSeries,
        ),
        {
          transform: [
            {
              filter: `datum.series === '${labelledSeries}' && indexof([${labelled.join(",")}], datum.budget) >= 0`,
            },
          ],
          mark: { type: "text", dy: -11, fontSize: BUDGET_LABEL_SIZE, color: "#222" },
          encoding: {
            x: { field: "meanTokens", type: "quantitative" },
            y: { field: "accuracy", type: "quantitative" },
            text: { field: "budget", type: "quantitative", format: "d" },
          },
        },
      ],
      resolve: LAYER_LEGENDS,
    };
  });
  return topLevel("Accuracy vs tokens spent (labels: thinking budget)", panels);
}
