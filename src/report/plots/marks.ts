import type { TopLevelSpec } from "vega-lite";
import { AVERAGE_SOURCE } from "../accuracy.js";
import { ALL_SAMPLES_SERIES } from "./data.js";
import { textWidth } from "./text-width.js";

/**
 * What every plot shares: fonts, colours and shapes by series, axes that read right (percent
 * ticks on whole percents, budget labels that do not collide), and series lines where the
 * average (or all samples) is drawn under the sources instead of over them.
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
/** A source's points have its own shape, so sources with equal values stay apart. */
const SHAPES = [
  "circle",
  "square",
  "triangle-up",
  "diamond",
  "triangle-down",
  "cross",
  "triangle-right",
  "triangle-left",
];
const EMPHASIS_COLOR = "#222222";

export type UnitSpec = Record<string, unknown>;

export function isEmphasis(series: string): boolean {
  return series === AVERAGE_SOURCE || series === ALL_SAMPLES_SERIES;
}

export const EMPHASIS_TEST = `datum.series === '${AVERAGE_SOURCE}' || datum.series === '${ALL_SAMPLES_SERIES}'`;

export function seriesOf(points: ReadonlyArray<{ series: string }>): string[] {
  return [...new Set(points.map((point) => point.series))];
}

/** A scale over the series: sources take `values` in turn, the average (or all samples) `emphasis`. */
function seriesScale(
  series: readonly string[],
  values: readonly string[],
  emphasis: string,
): { domain: string[]; range: string[] } {
  const sources = series.filter((name) => !isEmphasis(name));
  const emphasized = series.filter(isEmphasis);
  return {
    domain: [...sources, ...emphasized],
    range: [
      ...sources.map((_, index) => values[index % values.length]!),
      ...emphasized.map(() => emphasis),
    ],
  };
}

/** Colours by series: sources in order, then the average (or all samples) in near-black. */
export function colorScale(series: readonly string[]): { domain: string[]; range: string[] } {
  return seriesScale(series, PALETTE, EMPHASIS_COLOR);
}

/**
 * Colour and shape by series, one legend: sources in order, then the average (or all samples)
 * in near-black with a dashed line.
 */
export function seriesEncoding(series: readonly string[]): { color: UnitSpec; shape: UnitSpec } {
  const channel = (scale: UnitSpec) => ({
    field: "series",
    type: "nominal",
    title: "source",
    scale,
  });
  return {
    color: channel(colorScale(series)),
    shape: channel(seriesScale(series, SHAPES, "circle")),
  };
}

/**
 * One line per series: the average (or all samples) first, thick and dashed, so that a source
 * with the same values is drawn on top of it and stays visible; then the sources, each with its
 * point shape (hollow) and shifted sideways by a pixel or two, so that two sources with the same
 * values both show.
 */
export function seriesLines(
  encoding: UnitSpec,
  /** The series this panel draws. */
  drawn: readonly string[],
  /** Every series of the plot: one colour and shape scale for all its panels. */
  plotSeries: readonly string[],
  options: { legend?: boolean } = {},
): UnitSpec[] {
  const { color, shape } = seriesEncoding(plotSeries);
  const legend = options.legend === false ? { legend: null } : {};
  const layers: UnitSpec[] = [];
  if (drawn.some(isEmphasis)) {
    layers.push({
      transform: [{ filter: EMPHASIS_TEST }],
      mark: {
        type: "line",
        strokeWidth: 3.5,
        strokeDash: [7, 3],
        point: { size: 36, filled: true },
      },
      // A source's layer draws the legend (a second, filled one would repeat it).
      encoding: {
        ...encoding,
        color: { ...color, legend: null },
        shape: { ...shape, legend: null },
      },
    });
  }
  // Sources with equal values would hide each other: each is shifted a pixel or two sideways.
  const sources = drawn.filter((name) => !isEmphasis(name));
  const step = sources.length > 1 ? Math.min(2, 12 / (sources.length - 1)) : 0;
  sources.forEach((source, index) => {
    const xOffset = Number(((index - (sources.length - 1) / 2) * step).toFixed(2));
    layers.push({
      transform: [{ filter: { field: "series", equal: source } }],
      mark: {
        type: "line",
        strokeWidth: 1.6,
        xOffset,
        point: { size: 48, filled: false, strokeWidth: 1.6, xOffset },
      },
      // The first source's layer draws the one legend (each layer would draw its own).
      encoding:
        index === 0
          ? { ...encoding, color: { ...color, ...legend }, shape: { ...shape, ...legend } }
          : { ...encoding, color: { ...color, legend: null }, shape: { ...shape, legend: null } },
    });
  });
  return layers;
}

/**
 * The `resolve` of a layered panel that draws seriesLines: legends resolved per layer, so that
 * the one layer that carries the legend draws it (shared, the layers without one would drop it).
 */
export const LAYER_LEGENDS = { legend: { color: "independent", shape: "independent" } } as const;

/**
 * A percent axis whose ticks never share a label: on whole percents, or, for an axis that spans
 * less than 5 (0.5) percentage points, on tenths (hundredths) of a percent with one (two) decimals.
 */
export function percentAxis(title?: string, span = 1): UnitSpec {
  const digits = span >= 0.05 ? 0 : span >= 0.005 ? 1 : 2;
  return {
    ...(title === undefined ? {} : { title }),
    format: `.${digits}%`,
    tickMinStep: 10 ** -(2 + digits),
  };
}

const AXIS_PADDING = 18;
const LABEL_FONT_SIZE = 11;
const LABEL_GAP = 6;

/**
 * The values of a sweep axis that get a label in a panel `width` pixels wide: the first and the
 * last always, the others from left to right where they fit (a value's label is centred on it).
 */
export function labelledValues(values: readonly number[], width: number, log: boolean): number[] {
  if (values.length <= 1) return [...values];
  const scale = (value: number) => (log ? Math.log2(value) : value);
  const low = scale(values[0]!);
  const span = scale(values[values.length - 1]!) - low || 1;
  const extent = (value: number) => {
    const center = AXIS_PADDING + ((width - 2 * AXIS_PADDING) * (scale(value) - low)) / span;
    const half = textWidth(String(value), LABEL_FONT_SIZE) / 2;
    return { left: center - half, right: center + half };
  };
  const last = extent(values[values.length - 1]!);
  const kept = [values[0]!];
  let right = extent(values[0]!).right;
  for (const value of values.slice(1, -1)) {
    const box = extent(value);
    if (box.left >= right + LABEL_GAP && box.right + LABEL_GAP <= last.left) {
      kept.push(value);
      right = box.right;
    }
  }
  if (last.left >= right + LABEL_GAP) kept.push(values[values.length - 1]!);
  return kept;
}

/**
 * A budget or Wait-round axis with a tick and grid line at every value; where labels would
 * collide (many budgets, small panels) only some are labelled, the first and last always.
 */
export function sweepAxis(
  field: string,
  title: string,
  values: number[],
  log: boolean,
  width: number,
): UnitSpec {
  const labelled = labelledValues(values, width, log);
  return {
    field,
    type: "quantitative",
    title,
    // Padding keeps the first and last points (and boxes) inside the frame.
    scale: log
      ? { type: "log", base: 2, nice: false, padding: AXIS_PADDING }
      : { nice: false, zero: false, padding: AXIS_PADDING },
    axis: {
      values,
      format: "d",
      grid: true,
      ...(labelled.length < values.length
        ? { labelExpr: `indexof([${labelled.join(",")}], datum.value) >= 0 ? datum.label : ''` }
        : {}),
      // A last guard: Vega hides any label that still overlaps another.
      labelOverlap: "greedy",
      labelSeparation: 4,
    },
  };
}

export function sortedValues<T>(points: readonly T[], pick: (point: T) => number): number[] {
  return [...new Set(points.map(pick))].sort((a, b) => a - b);
}

export function panelTitle(text: string, fontSize = 12): UnitSpec {
  return { text, fontSize, anchor: "start", fontWeight: "normal" };
}

export function topLevel(title: string, panels: UnitSpec[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 15, fontWeight: "normal" },
    background: "white",
    padding: 12,
    vconcat: panels,
    resolve: { scale: { color: "shared", shape: "shared" } },
    config: {
      font: PLOT_FONT_FAMILY,
      view: { stroke: "#ddd" },
      legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 220, titleFontWeight: "normal" },
      axis: { labelFontSize: LABEL_FONT_SIZE, titleFontSize: 12, titleFontWeight: "normal" },
    },
    // Panels are built as plain objects (Vega-Lite's own types do not narrow well over unions);
    // vega-lite's compile() validates them when rendered, and the tests render every spec.
  } as unknown as TopLevelSpec;
}
