import type { TopLevelSpec } from "vega-lite";
import { percentAxis, PLOT_FONT_FAMILY } from "../../report/plots/marks.js";
import type { PlotDefinition } from "../../report/plots/build.js";
import type { DatasetStats, TokenLengths } from "./dataset-stats.js";

const BAR_COLOR = "#4c78a8";
const QUARTILE_COLOR = "#e45756";

/**
 * The paper's token-length figure (src/analyse/stats_token_length_paper.ipynb): per column, a
 * histogram of tokens per sample as a share of samples, 50 equal-width bins, with dashed lines at
 * the 25th, 50th and 75th percentiles; reasoning and answer side by side on their own scales.
 */
export function tokenLengthPlot(stats: DatasetStats, title: string): PlotDefinition | undefined {
  if (!stats.tokens) return undefined;
  const panel = (lengths: TokenLengths, label: string) => {
    const total = lengths.summary.count || 1;
    const bars = lengths.histogram.map((bin) => ({
      start: bin.start,
      end: bin.end,
      share: bin.count / total,
    }));
    const { q25, q50, q75, mean } = lengths.summary;
    const quartiles = [{ at: q25 }, { at: q50 }, { at: q75 }];
    // Headroom over the tallest bar, so it does not touch the frame.
    const top = Math.max(...bars.map((bar) => bar.share)) * 1.08;
    return {
      title: {
        text: `${label} (${lengths.column})`,
        subtitle:
          `${lengths.summary.count} samples, mean ${Math.round(mean)}, max ${lengths.summary.max}; ` +
          `dashed: 25% ${Math.round(q25)}, median ${Math.round(q50)}, 75% ${Math.round(q75)}`,
        anchor: "start",
        fontSize: 13,
        fontWeight: "normal",
        subtitleFontSize: 11,
      },
      width: 360,
      height: 240,
      layer: [
        {
          data: { values: bars },
          mark: { type: "rect", color: BAR_COLOR, stroke: "white", strokeWidth: 0.5 },
          encoding: {
            x: {
              field: "start",
              type: "quantitative",
              title: "tokens per sample",
              scale: { nice: false, zero: false },
              axis: { format: "~s", tickCount: 6, labelOverlap: true },
            },
            x2: { field: "end" },
            y: {
              field: "share",
              type: "quantitative",
              title: "share of samples",
              scale: { domain: [0, top] },
              // Bins of a few percent each: labels with decimals where whole percents would repeat.
              axis: { ...percentAxis(undefined, top), tickCount: 5 },
            },
            y2: { datum: 0 },
          },
        },
        {
          data: { values: quartiles },
          mark: { type: "rule", color: QUARTILE_COLOR, strokeDash: [5, 4], strokeWidth: 1.5 },
          encoding: { x: { field: "at", type: "quantitative" } },
        },
      ],
    };
  };
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: title,
      subtitle: stats.tokens.tokenizer,
      anchor: "start",
      fontSize: 15,
      fontWeight: "normal",
      subtitleFontSize: 11,
      offset: 14,
    },
    background: "white",
    padding: 12,
    hconcat: [panel(stats.tokens.reasoning, "Reasoning"), panel(stats.tokens.answer, "Answer")],
    config: {
      font: PLOT_FONT_FAMILY,
      view: { stroke: "#ddd" },
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal" },
    },
  } as unknown as TopLevelSpec;
  return { name: "token-lengths", title, spec };
}
