import type { TopLevelSpec } from "vega-lite";
import { AVERAGE_SOURCE } from "../accuracy.js";
import type { AccuracyPoint, CapSharePoint, PlotGroup, RatioSummary, TokenPoint } from "./data.js";
import { ALL_SAMPLES_SERIES } from "./data.js";

/**
 * Vega-Lite specs for the report's plots. One panel per sweep group, stacked vertically, with the
 * same colour for a source everywhere. Data are embedded (small: one point per experiment and
 * source), so a spec renders anywhere without files.
 */
export const PLOT_FONT_FAMILY = "DejaVu Sans";

const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
  "#eeca3b",
  "#1f77b4",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#17becf",
];
const EMPHASIS_COLOR = "#222222";

export type UnitSpec = Record<string, unknown>;

/** Colours by series: sources in order, then the average (or all samples) in near-black. */
export function colorScale(series: readonly string[]): { domain: string[]; range: string[] } {
  const sources = series.filter((name) => name !== AVERAGE_SOURCE && name !== ALL_SAMPLES_SERIES);
  const emphasis = series.filter((name) => name === AVERAGE_SOURCE || name === ALL_SAMPLES_SERIES);
  return {
    domain: [...sources, ...emphasis],
    range: [
      ...sources.map((_, index) => PALETTE[index % PALETTE.length]!),
      ...emphasis.map(() => EMPHASIS_COLOR),
    ],
  };
}

function seriesOf(points: ReadonlyArray<{ series: string }>): string[] {
  return [...new Set(points.map((point) => point.series))];
}

const emphasisTest = `datum.series === '${AVERAGE_SOURCE}' || datum.series === '${ALL_SAMPLES_SERIES}'`;

function xAxis(field: string, title: string, values: number[], log: boolean): UnitSpec {
  return {
    field,
    type: "quantitative",
    title,
    // Padding keeps the first and last points (and boxes) inside the frame.
    scale: log
      ? { type: "log", base: 2, nice: false, padding: 18 }
      : { nice: false, zero: false, padding: 18 },
    axis: { values, format: "d", grid: true },
  };
}

function sortedValues<T>(points: readonly T[], pick: (point: T) => number): number[] {
  return [...new Set(points.map(pick))].sort((a, b) => a - b);
}

export function topLevel(title: string, panels: UnitSpec[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 15, fontWeight: "normal" },
    background: "white",
    padding: 12,
    vconcat: panels,
    resolve: { scale: { color: "shared" } },
    config: {
      font: PLOT_FONT_FAMILY,
      view: { stroke: "#ddd" },
      legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 220, titleFontWeight: "normal" },
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal" },
    },
    // Panels are built as plain objects (Vega-Lite's own types do not narrow well over unions);
    // vega-lite's compile() validates them when rendered, and the tests render every spec.
  } as unknown as TopLevelSpec;
}

/**
 * Accuracy along the thinking budget (log2 x) or the Wait rounds. Per group: an overview with one
 * line per source and the average (with the average's band), then one small panel per source
 * with its 95% Wilson band (eleven overlapping bands in one panel would hide each other).
 */
export function accuracySpec(
  groups: readonly PlotGroup<AccuracyPoint>[],
  parameter: "budget" | "wait_rounds",
): TopLevelSpec {
  const allSeries = seriesOf(groups.flatMap((group) => group.points));
  const scale = colorScale(allSeries);
  const color = { field: "series", type: "nominal", title: "source", scale };
  const log = parameter === "budget";
  const xTitle = log ? "thinking budget (tokens, log2)" : "Wait rounds";
  const yPercent = { format: ".0%" };
  const panels = groups.flatMap((group) => {
    const x = xAxis(
      "x",
      xTitle,
      sortedValues(group.points, (point) => point.x),
      log,
    );
    // The band's colour legend is hidden and resolved apart so that only the lines' legend shows.
    const band = (opacity: number) => ({
      mark: { type: "area", opacity },
      encoding: {
        x,
        y: {
          field: "low",
          type: "quantitative",
          title: "accuracy",
          axis: yPercent,
          scale: { zero: false },
        },
        y2: { field: "high" },
        color: { ...color, legend: null },
      },
    });
    const bandResolve = { legend: { color: "independent" } };
    const line = {
      mark: { type: "line", point: { size: 40 } },
      encoding: {
        x,
        y: { field: "accuracy", type: "quantitative" },
        color,
        strokeWidth: { condition: { test: emphasisTest, value: 3.5 }, value: 1.6 },
      },
    };
    const overview = {
      title: { text: group.title, fontSize: 12, anchor: "start", fontWeight: "normal" },
      width: 520,
      height: 300,
      data: { values: group.points },
      layer: [
        { transform: [{ filter: `datum.series === '${AVERAGE_SOURCE}'` }], ...band(0.15) },
        line,
      ],
      resolve: bandResolve,
    };
    const perSource = {
      data: { values: group.points.filter((point) => point.series !== AVERAGE_SOURCE) },
      facet: {
        field: "series",
        sort: allSeries.filter((name) => name !== AVERAGE_SOURCE),
        type: "nominal",
        title: null,
        header: { labelFontSize: 11, labelFontWeight: "normal" },
      },
      columns: 4,
      // Panel titles name the source, so these panels draw no legend of their own.
      spec: {
        width: 170,
        height: 110,
        layer: [
          band(0.2),
          { ...line, encoding: { ...line.encoding, color: { ...color, legend: null } } },
        ],
      },
      resolve: bandResolve,
    };
    return [overview, perSource];
  });
  const title = log
    ? "Accuracy vs thinking budget (bands: 95% Wilson intervals)"
    : "Accuracy vs Wait rounds (budget forcing; bands: 95% Wilson intervals)";
  return topLevel(title, panels);
}

/** Per budget: share of samples whose thinking hit the cap, and thinking tokens / budget. */
export function budgetUsageSpec(
  capShare: readonly PlotGroup<CapSharePoint>[],
  ratios: readonly PlotGroup<RatioSummary>[],
): TopLevelSpec {
  const allSeries = seriesOf(capShare.flatMap((group) => group.points));
  const color = { field: "series", type: "nominal", title: "source", scale: colorScale(allSeries) };
  const titles = [...new Set([...capShare, ...ratios].map((group) => group.title))];
  const panels = titles.map((title) => {
    const cap = capShare.find((group) => group.title === title);
    const ratio = ratios.find((group) => group.title === title);
    const row: UnitSpec[] = [];
    if (cap) {
      row.push({
        title: {
          text: "share of samples that hit the thinking budget",
          fontSize: 11,
          anchor: "start",
          fontWeight: "normal",
        },
        width: 360,
        height: 240,
        data: { values: cap.points },
        mark: { type: "line", point: { size: 36 } },
        encoding: {
          x: xAxis(
            "budget",
            "thinking budget (tokens, log2)",
            sortedValues(cap.points, (point) => point.budget),
            true,
          ),
          y: {
            field: "share",
            type: "quantitative",
            title: "hit the cap",
            axis: { format: ".0%" },
            scale: { domain: [0, 1] },
          },
          color,
          strokeWidth: { condition: { test: emphasisTest, value: 3.5 }, value: 1.6 },
        },
      });
    }
    if (ratio) {
      const x = xAxis(
        "budget",
        "thinking budget (tokens, log2)",
        sortedValues(ratio.points, (point) => point.budget),
        true,
      );
      row.push({
        title: {
          text: "thinking tokens / budget (min, quartiles, max)",
          fontSize: 11,
          anchor: "start",
          fontWeight: "normal",
        },
        width: 360,
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
                axis: { format: ".0%" },
              },
              y2: { field: "max" },
            },
          },
          {
            mark: { type: "rule", color: "#4c78a8", strokeWidth: 12 },
            encoding: { x, y: { field: "q1", type: "quantitative" }, y2: { field: "q3" } },
          },
          {
            mark: { type: "tick", color: "white", thickness: 2, size: 12, orient: "horizontal" },
            encoding: { x, y: { field: "median", type: "quantitative" } },
          },
        ],
      });
    }
    return {
      title: { text: title, fontSize: 12, anchor: "start", fontWeight: "normal" },
      hconcat: row,
    };
  });
  return topLevel("How much of the thinking budget samples used", panels);
}

/** Accuracy against the mean tokens spent (num_gen_tokens), one line per source along the budgets. */
export function tokensSpec(groups: readonly PlotGroup<TokenPoint>[]): TopLevelSpec {
  const allSeries = seriesOf(groups.flatMap((group) => group.points));
  const color = { field: "series", type: "nominal", title: "source", scale: colorScale(allSeries) };
  const panels = groups.map((group) => ({
    title: { text: group.title, fontSize: 12, anchor: "start", fontWeight: "normal" },
    width: 520,
    height: 300,
    data: { values: group.points },
    layer: [
      {
        mark: { type: "line", point: { size: 40 } },
        encoding: {
          x: {
            field: "meanTokens",
            type: "quantitative",
            title: "mean tokens generated per question (log2)",
            scale: { type: "log", base: 2 },
            axis: { format: "d" },
          },
          y: {
            field: "accuracy",
            type: "quantitative",
            title: "accuracy",
            axis: { format: ".0%" },
            scale: { zero: false },
          },
          color,
          order: { field: "budget", type: "quantitative" },
          strokeWidth: { condition: { test: emphasisTest, value: 3.5 }, value: 1.6 },
        },
      },
      {
        transform: [{ filter: `datum.series === '${AVERAGE_SOURCE}'` }],
        mark: { type: "text", dy: -10, fontSize: 10, color: "#222" },
        encoding: {
          x: { field: "meanTokens", type: "quantitative" },
          y: { field: "accuracy", type: "quantitative" },
          text: { field: "budget", type: "quantitative", format: "d" },
        },
      },
    ],
  }));
  return topLevel("Accuracy vs tokens spent (labels: thinking budget)", panels);
}
