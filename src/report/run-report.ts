import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InputError, M1Error } from "../errors.js";
import type { Comparison } from "./compare.js";
import { compareExperiments } from "./compare.js";
import {
  DomainLookup,
  domainAccuracy,
  formatDomainAccuracy,
  UNCLASSIFIED_DOMAIN,
  type DomainAccuracyRow,
} from "./by-domain.js";
import { formatComparisonMarkdown } from "./compare-format.js";
import { formatComparisonDelimited } from "./compare-rows.js";
import { discoverExperiments, resolveExperiment } from "./discover.js";
import type { ReportExperiment, SampleOutcome, SweepParameter } from "./experiments.js";
import type { ReportOutputFormat } from "./output-formats.js";
import { formatReport } from "./output-formats.js";
import type { RenderedPlot } from "./plots/build.js";
import { rescoreExperiment } from "./rescore.js";
import { SampleLoader } from "./samples.js";

/** Everything `m1 report` does, without the command-line parsing (tests call it directly). */
export interface ReportRequest {
  directories: readonly string[];
  format: ReportOutputFormat;
  by?: SweepParameter;
  /** Two experiments (labels, paths or unique parts of labels). */
  compare?: readonly [string, string];
  resamples?: number;
  seed?: number;
  examples?: number;
  plotDirectory?: string;
  htmlPath?: string;
  /** Accuracy per MeSH domain instead of per source (`--by domain`). */
  byDomain?: boolean;
  /** A classified eval file giving each question's domain (default: the results' own fields). */
  domainsFile?: string;
  /** Score m1-layout experiments again from their results files instead of reading metrics.json. */
  rescore?: boolean;
  /** Only these sources, in this order (the average is over them). */
  sources?: readonly string[];
}

export interface ReportResult {
  /** What goes to stdout. */
  stdout: string;
  /** Files written (plots, HTML). */
  written: string[];
  /** One line each: experiments left out of plots, and why; rescoring disagreements. */
  warnings: string[];
  /** One line each: what was done on the way (rescoring). */
  notes: string[];
  experiments: ReportExperiment[];
  comparison: Comparison | null;
}

function comparisonText(comparison: Comparison, format: ReportOutputFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(comparison, null, 2)}\n`;
    case "csv":
      return formatComparisonDelimited(comparison, ",");
    case "tsv":
      return formatComparisonDelimited(comparison, "\t");
    case "md":
    case "paper":
      return formatComparisonMarkdown(comparison);
  }
}

export async function runReport(request: ReportRequest): Promise<ReportResult> {
  const warnings: string[] = [];
  const notes: string[] = [];
  const written: string[] = [];
  let experiments = discoverExperiments(request.directories);
  if (request.rescore) {
    const rescored = experiments.map(rescoreExperiment);
    experiments = rescored.map((result) => result.experiment);
    const files = rescored.filter((result) => result.samples > 0);
    const disagreements = rescored.flatMap((result) => result.disagreements);
    warnings.push(...disagreements);
    notes.push(
      `rescored ${files.length} experiment(s), ${files.reduce((sum, result) => sum + result.samples, 0)} samples, from their results files: ` +
        (disagreements.length === 0
          ? "every count agrees with metrics.json"
          : `${disagreements.length} disagreement(s)`),
    );
  }
  if (request.sources) experiments = selectSources(experiments, request.sources);
  using loader = new SampleLoader();

  let comparison: Comparison | null = null;
  if (request.compare) {
    const a = resolveExperiment(experiments, request.compare[0]);
    const b = resolveExperiment(experiments, request.compare[1]);
    comparison = compareExperiments(a, b, loader.outcomes(a), loader.outcomes(b), {
      resamples: request.resamples,
      seed: request.seed,
      examples: request.examples,
    });
  }

  let rendered: RenderedPlot[] = [];
  if (request.plotDirectory !== undefined || request.htmlPath !== undefined) {
    // Plots need per-sample records; an experiment without them is left out of the usage plots.
    const outcomesOf = (experiment: ReportExperiment): SampleOutcome[] | null => {
      try {
        return loader.outcomes(experiment);
      } catch (error) {
        if (!(error instanceof M1Error)) throw error;
        warnings.push(`left out of the budget-usage plots: ${error.message}`);
        return null;
      }
    };
    // Vega, Vega-Lite and resvg take seconds to load; only plots and HTML need them.
    const { definePlots, renderPlots, writePlots } = await import("./plots/build.js");
    const plots = definePlots(experiments, outcomesOf);
    rendered = await renderPlots(plots);
    if (request.plotDirectory !== undefined) {
      written.push(...writePlots(request.plotDirectory, plots, rendered));
      if (plots.length === 0) {
        warnings.push(
          "no plots: no sweep with two or more budgets or Wait rounds among these experiments",
        );
      }
    }
  }

  if (request.htmlPath !== undefined) {
    const { renderHtmlReport } = await import("./html.js");
    const html = renderHtmlReport({
      directories: request.directories,
      experiments,
      by: request.by,
      comparisons: comparison ? [comparison] : [],
      plots: rendered,
    });
    mkdirSync(dirname(request.htmlPath), { recursive: true });
    writeFileSync(request.htmlPath, html);
    written.push(request.htmlPath);
  }

  let domainRows: DomainAccuracyRow[] | undefined;
  if (request.byDomain && !comparison) {
    const lookup = new DomainLookup(request.domainsFile);
    domainRows = domainAccuracy(experiments, (experiment) => loader.outcomes(experiment), lookup);
    if (domainRows.every((row) => row.domain === UNCLASSIFIED_DOMAIN)) {
      warnings.push(
        "no question has a MeSH domain: classify the eval file (m1 curate classify --in EVAL.json --out EVAL.domains.json) and pass --domains EVAL.domains.json",
      );
    }
  }
  const stdout = comparison
    ? comparisonText(comparison, request.format)
    : domainRows
      ? formatDomainAccuracy(domainRows, request.format)
      : formatReport(request.format, experiments, request.by);
  return { stdout, written, warnings, notes, experiments, comparison };
}

/** Keep only the named sources, in that order; a name no experiment has is an input error. */
function selectSources(
  experiments: readonly ReportExperiment[],
  sources: readonly string[],
): ReportExperiment[] {
  const known = new Set(
    experiments.flatMap((experiment) => experiment.sources.map((s) => s.source)),
  );
  const missing = sources.filter((source) => !known.has(source));
  if (missing.length > 0) {
    throw new InputError(
      `no experiment has the source${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
      { field: "--sources" },
      `name some of ${[...known].join(", ")}`,
    );
  }
  return experiments.map((experiment) => ({
    ...experiment,
    sources: sources.flatMap((name) =>
      experiment.sources.filter((counts) => counts.source === name),
    ),
  }));
}
