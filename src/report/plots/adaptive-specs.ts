import type { TopLevelSpec } from "vega-lite";
import { ALL_QUESTIONS, type CalibrationCurve } from "../calibration.js";
import type { ComputePoint, StrategyKind } from "../compute.js";
import { colorScale, topLevel, type UnitSpec } from "./marks.js";

/**
 * Vega-Lite specs for adaptive compute: accuracy against compute per question (every strategy of
 * a study on one axis) and risk-coverage curves of the confidence signals. The accuracy-vs-budget
 * curve read from one run's probes reuses the budget plot (specs.ts).
 */
const KIND_COLORS: Record<StrategyKind, string> = {
  sequential: "#4c78a8",
  parallel: "#e45756",
  adaptive: "#54a24b",
};

const KIND_LABELS: Record<StrategyKind, string> = {
  sequential: "sequential (budget, Wait)",
  parallel: "parallel (n samples, vote)",
  adaptive: "adaptive (early exit, loop cut-off)",
};

const panelTitle = (text: string) => ({
  text,
  fontSize: 12,
  anchor: "start",
  fontWeight: "normal",
});

export function computeSpec(points: readonly ComputePoint[]): TopLevelSpec {
  const kinds = (Object.keys(KIND_COLORS) as StrategyKind[]).filter((kind) =>
    points.some((point) => point.kind === kind),
  );
  const color = {
    field: "kindLabel",
    type: "nominal",
    title: "strategy",
    scale: {
      domain: kinds.map((kind) => KIND_LABELS[kind]),
      range: kinds.map((kind) => KIND_COLORS[kind]),
    },
  };
  const x = {
    field: "meanTokens",
    type: "quantitative",
    title:
      "mean tokens generated per question (thinking + answer + probes + inserted, all samples; log2)",
    scale: { type: "log", base: 2, nice: false, padding: 24 },
    axis: { format: "d", grid: true },
  };
  const y = {
    field: "accuracy",
    type: "quantitative",
    title: "accuracy (average over sources)",
    axis: { format: ".0%" },
    scale: { zero: false },
  };
  const groups = [...new Set(points.map((point) => point.group))];
  const panels: UnitSpec[] = groups.map((group) => {
    const frontier = new Set(paretoFrontier(points.filter((point) => point.group === group)));
    const values = points
      .filter((point) => point.group === group)
      .map((point) => ({
        ...point,
        kindLabel: KIND_LABELS[point.kind],
        frontier: frontier.has(point),
      }));
    return {
      title: panelTitle(group || "all experiments"),
      width: 620,
      height: 340,
      data: { values },
      layer: [
        {
          mark: { type: "rule", strokeWidth: 1.4, opacity: 0.45 },
          encoding: { x, y: { ...y, field: "low" }, y2: { field: "high" }, color },
        },
        {
          // The best accuracy reachable at each compute: the strategies worth their tokens.
          transform: [{ filter: "datum.frontier" }],
          mark: {
            type: "line",
            interpolate: "step-after",
            color: "#888",
            strokeDash: [4, 3],
            strokeWidth: 1.2,
          },
          encoding: { x, y, order: { field: "meanTokens", type: "quantitative" } },
        },
        { mark: { type: "point", filled: true, size: 70, opacity: 1 }, encoding: { x, y, color } },
        {
          transform: [{ filter: "datum.frontier" }],
          mark: { type: "text", dx: 7, dy: -9, align: "left", fontSize: 10, color: "#222" },
          encoding: { x, y, text: { field: "strategy", type: "nominal" } },
        },
      ],
    };
  });
  return topLevel(
    "Accuracy vs compute per question (bars: 95% intervals; dashed: the best reachable, labelled)",
    panels,
  );
}

/** The points no cheaper point matches: each more accurate than everything that costs less. */
export function paretoFrontier(points: readonly ComputePoint[]): ComputePoint[] {
  const sorted = [...points].sort((a, b) => a.meanTokens - b.meanTokens || b.accuracy - a.accuracy);
  const frontier: ComputePoint[] = [];
  for (const point of sorted) {
    if (frontier.length === 0 || point.accuracy > frontier.at(-1)!.accuracy) frontier.push(point);
  }
  return frontier;
}

export function riskCoverageSpec(curves: readonly CalibrationCurve[]): TopLevelSpec {
  const series = [...new Set(curves.map((curve) => curve.source))].map((source) =>
    source === ALL_QUESTIONS ? "all" : source,
  );
  const scale = colorScale(series);
  const panels: UnitSpec[] = [];
  const keys = [...new Set(curves.map((curve) => `${curve.experiment}\u0000${curve.signal}`))];
  for (const key of keys) {
    const [experiment, signal] = key.split("\u0000");
    const members = curves.filter(
      (curve) => curve.experiment === experiment && curve.signal === signal,
    );
    const overall = members.find((curve) => curve.source === ALL_QUESTIONS) ?? members[0]!;
    panels.push({
      title: panelTitle(`${experiment} · ${signal} (ECE ${overall.ece.toFixed(3)})`),
      width: 520,
      height: 260,
      data: {
        values: members.flatMap((curve) =>
          [{ coverage: 0, accuracy: curve.points[0]?.accuracy ?? 0 }, ...curve.points].map(
            (point) => ({
              series: curve.source,
              coverage: point.coverage,
              accuracy: point.accuracy,
            }),
          ),
        ),
      },
      mark: { type: "line", interpolate: "step-before", point: { size: 18 } },
      encoding: {
        x: {
          field: "coverage",
          type: "quantitative",
          title: "coverage (share of questions answered, most confident first)",
          axis: { format: ".0%" },
          scale: { domain: [0, 1] },
        },
        y: {
          field: "accuracy",
          type: "quantitative",
          title: "accuracy on those",
          axis: { format: ".0%" },
          scale: { domain: [0, 1] },
        },
        color: { field: "series", type: "nominal", title: "source", scale },
        strokeWidth: { condition: { test: "datum.series === 'all'", value: 3 }, value: 1.5 },
      },
    });
  }
  return topLevel(
    "Risk-coverage: does an early-settled answer or a clear vote predict a right one?",
    panels,
  );
}
