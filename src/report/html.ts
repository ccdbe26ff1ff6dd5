import type { Comparison, FlipExample } from "./compare.js";
import { COMPARISON_HEADER, comparisonTableRows } from "./compare-format.js";
import type { ReportExperiment, SweepParameter } from "./experiments.js";
import { shortModelName } from "./experiments.js";
import { accuracyCell } from "./output-formats.js";
import type { RenderedPlot } from "./plots/build.js";
import { AVERAGE_SOURCE, experimentRows, type AccuracyRow } from "./accuracy.js";
import { groupExperiments, sourceNames } from "./table.js";

/**
 * The HTML report: one self-contained file (inline CSS, inline SVG plots, no script, no external
 * request; its Content-Security-Policy forbids loading anything), readable offline or attached
 * to an issue.
 */
export interface HtmlReportInput {
  directories: readonly string[];
  experiments: readonly ReportExperiment[];
  by?: SweepParameter;
  comparisons: readonly Comparison[];
  plots: readonly RenderedPlot[];
  generatedAt?: Date;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1280px;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.4rem 0 .4rem}.meta{color:#666;font-size:.85rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.85rem}
th,td{border:1px solid #e2e2e2;padding:.25rem .5rem;text-align:right;white-space:nowrap}
th{background:#f6f6f6;position:sticky;top:0}td.name,th.name{text-align:left}
td.avg{font-weight:600}tr:nth-child(even) td{background:#fbfbfb}
.ci{color:#777;font-size:.8em}.up{color:#137333}.down{color:#b3261e}
figure{margin:1.2rem 0}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.85rem}
ul.flips{font-size:.85rem}code{font-size:.85em}
`;

function accuracyHtml(row: AccuracyRow | undefined): string {
  if (!row) return "";
  const [value, interval] = accuracyCell(row).split(" [");
  return `${escapeHtml(value!)} <span class="ci">[${escapeHtml(interval ?? "")}</span>`;
}

function table(header: string[], rows: string[][], nameColumns = 1): string {
  const th = header
    .map(
      (cell, index) => `<th${index < nameColumns ? ' class="name"' : ""}>${escapeHtml(cell)}</th>`,
    )
    .join("");
  const body = rows
    .map(
      (cells) =>
        `<tr>${cells.map((cell, index) => `<td${index < nameColumns ? ' class="name"' : ""}>${cell}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function experimentsTable(experiments: readonly ReportExperiment[]): string {
  const sources = [...sourceNames(experiments), AVERAGE_SOURCE];
  const rows = experiments.map((experiment) => {
    const bySource = new Map(experimentRows(experiment).map((row) => [row.source, row]));
    return [
      escapeHtml(experiment.label) +
        (experiment.status && experiment.status !== "finished"
          ? ` (${escapeHtml(experiment.status)})`
          : ""),
      escapeHtml(shortModelName(experiment.model)),
      escapeHtml(String(experiment.thinkingBudget ?? "-")),
      escapeHtml(String(experiment.waitRounds ?? "-")),
      ...sources.map((source) => accuracyHtml(bySource.get(source))),
      escapeHtml(String(bySource.get(AVERAGE_SOURCE)?.total_count ?? 0)),
    ];
  });
  return table(["experiment", "model", "budget", "Wait", ...sources, "questions"], rows, 2);
}

function groupTables(experiments: readonly ReportExperiment[], by: SweepParameter): string {
  return groupExperiments(experiments, by)
    .map((group) => {
      const members = group.members.map((member) => member.experiment);
      const sources = [...sourceNames(members), AVERAGE_SOURCE];
      const rows = group.members.map(({ value, experiment }) => {
        const bySource = new Map(experimentRows(experiment).map((row) => [row.source, row]));
        return [
          escapeHtml(String(value ?? "-")),
          ...sources.map((source) => accuracyHtml(bySource.get(source))),
        ];
      });
      return `<h3>${escapeHtml(group.title)}</h3>\n${table([by, ...sources], rows)}`;
    })
    .join("\n");
}

function comparisonHtml(comparison: Comparison): string {
  const rows = comparisonTableRows(comparison).map((cells) => {
    const [scope, ...rest] = cells.map(escapeHtml);
    const difference = rest[3]!;
    rest[3] = `<span class="${difference.startsWith("+") ? "up" : "down"}">${difference}</span>`;
    return [scope!, ...rest];
  });
  const all = comparison.rows.find((row) => row.scope === "all");
  const flips = (label: string, list: readonly FlipExample[]) =>
    list.length === 0
      ? ""
      : `<p>${escapeHtml(label)}</p><ul class="flips">${list
          .map(
            (example) =>
              `<li>[${escapeHtml(example.source)}] <code>${escapeHtml(example.question_id)}</code> ${escapeHtml(example.question_start)}</li>`,
          )
          .join("")}</ul>`;
  return [
    `<h3>A: ${escapeHtml(comparison.a)}<br>B: ${escapeHtml(comparison.b)}</h3>`,
    `<p class="meta">Paired bootstrap (${comparison.bootstrap.resamples} resamples, seed ${comparison.bootstrap.seed}) interval for B − A in points; McNemar exact two-sided p. Left out: ${comparison.unmatched_a} questions only in A, ${comparison.unmatched_b} only in B.</p>`,
    table(COMPARISON_HEADER, rows),
    all
      ? flips(
          `Right in A, wrong in B (${all.correct_to_wrong}), for example:`,
          all.examples.correct_to_wrong,
        )
      : "",
    all
      ? flips(
          `Wrong in A, right in B (${all.wrong_to_correct}), for example:`,
          all.examples.wrong_to_correct,
        )
      : "",
  ].join("\n");
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const generated = (input.generatedAt ?? new Date()).toISOString();
  const sections: string[] = [
    `<h2>Accuracy</h2>`,
    `<p class="meta">Accuracy % with 95% Wilson intervals; <em>average</em> is the unweighted mean over sources (m1's headline), its interval combines the sources' Wilson intervals (MOVER).</p>`,
    experimentsTable(input.experiments),
  ];
  if (input.by)
    sections.push(`<h2>By ${escapeHtml(input.by)}</h2>`, groupTables(input.experiments, input.by));
  if (input.comparisons.length > 0) {
    sections.push(`<h2>Comparisons</h2>`, ...input.comparisons.map(comparisonHtml));
  }
  if (input.plots.length > 0) {
    sections.push(
      `<h2>Plots</h2>`,
      ...input.plots.map(
        (plot) => `<figure>${plot.svg}<figcaption>${escapeHtml(plot.title)}</figcaption></figure>`,
      ),
    );
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>m1 report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>m1 report</h1>
<p class="meta">${input.experiments.length} experiments from ${input.directories.map(escapeHtml).join(", ")} · generated ${escapeHtml(generated)}</p>
${sections.join("\n")}
</body>
</html>
`;
}
