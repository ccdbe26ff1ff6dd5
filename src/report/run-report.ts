import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InputError, M1Error } from "../errors.js";
import {
  calibrationCurves,
  formatCalibrationMarkdown,
  type CalibrationCurve,
} from "./calibration.js";
import {
  computeLevels,
  computePoints,
  formatComputeMarkdown,
  type ComputePoint,
} from "./compute.js";
import {
  formatProbeCurvesMarkdown,
  probeCurve,
  probeCurveProblem,
  type ProbeCurve,
} from "./probe-curve.js";
import { formatStopsCsv, formatStopsMarkdown, stopsRows, type StopsRow } from "./stops.js";
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
import { runtimeReport } from "./runtime.js";
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
  /** Only how answers came about (stops, guesses, natural vs forced, Wait flips, votes). */
  stops?: boolean;
  /** Accuracy against compute per question, and which strategy wins at each level. */
  compute?: boolean;
  /** Risk-coverage and calibration error of probe agreement and vote share. */
  calibration?: boolean;
  /** Print wall time, samples/s and tokens/s per experiment instead of accuracy (gather_time). */
  runtime?: boolean;
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

/** The adaptive-compute sections a report can print (stdout) and plot. */
interface AdaptiveSections {
  stops: StopsRow[];
  probeCurves: ProbeCurve[];
  compute: ComputePoint[];
  calibration: CalibrationCurve[];
}

function adaptiveSections(
  experiments: readonly ReportExperiment[],
  outcomesOf: (experiment: ReportExperiment) => SampleOutcome[] | null,
): AdaptiveSections {
  return {
    stops: stopsRows(experiments, outcomesOf),
    probeCurves: experiments.flatMap((experiment) => {
      const outcomes = probeCurveProblem(experiment) === null ? outcomesOf(experiment) : null;
      const curve = outcomes ? probeCurve(experiment, outcomes, experiments) : null;
      return curve ? [curve] : [];
    }),
    compute: computePoints(experiments, outcomesOf),
    calibration: calibrationCurves(experiments, outcomesOf),
  };
}

/** stdout for --stops / --compute / --calibration. */
function adaptiveText(
  sections: AdaptiveSections,
  request: ReportRequest,
  format: ReportOutputFormat,
): string {
  const wanted = (["stops", "compute", "calibration"] as const).filter((key) => request[key]);
  if (format === "json") {
    const body: Record<string, unknown> = {};
    if (request.stops) body.stops = sections.stops;
    if (request.compute) {
      body.compute = { points: sections.compute, levels: computeLevels(sections.compute) };
    }
    if (request.calibration) body.calibration = sections.calibration;
    return `${JSON.stringify(body, null, 2)}\n`;
  }
  if (format === "csv" || format === "tsv") {
    if (wanted.length > 1 || !request.stops) {
      throw new InputError(
        `--format ${format} holds one table: the stops table`,
        { field: "--format" },
        "use --format md or json for --compute and --calibration, or give --stops alone",
      );
    }
    return formatStopsCsv(sections.stops, format === "csv" ? "," : "\t");
  }
  const parts = [
    request.stops ? formatStopsMarkdown(sections.stops) || "No per-sample records to read." : "",
    request.compute
      ? formatComputeMarkdown(sections.compute) ||
        "No compute per question to read (no per-sample token counts)."
      : "",
    request.calibration
      ? formatCalibrationMarkdown(sections.calibration) ||
        "No confidence signal: run with probe_every or samples_per_question > 1."
      : "",
  ];
  return `${parts.filter(Boolean).join("\n\n")}\n`;
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
  const adaptiveWanted = Boolean(request.stops || request.compute || request.calibration);
  /** Per-sample outcomes, or null (with a warning when asked for) when an experiment has none. */
  const quietOutcomes = (experiment: ReportExperiment): SampleOutcome[] | null => {
    try {
      return loader.outcomes(experiment);
    } catch (error) {
      if (!(error instanceof M1Error)) throw error;
      if (adaptiveWanted) warnings.push(`left out of the per-sample tables: ${error.message}`);
      return null;
    }
  };
  const needsSections =
    adaptiveWanted ||
    request.plotDirectory !== undefined ||
    request.htmlPath !== undefined ||
    (!request.compare && !request.byDomain && !request.runtime && request.format === "md");
  const sections = needsSections ? adaptiveSections(experiments, quietOutcomes) : undefined;

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
    const { defineAdaptivePlots, definePlots, renderPlots, writePlots } =
      await import("./plots/build.js");
    // The compute and calibration figures come with the flags that ask for them.
    const plots = [
      ...definePlots(experiments, outcomesOf),
      ...defineAdaptivePlots({
        probeCurves: sections!.probeCurves,
        compute: request.compute ? sections!.compute : [],
        calibration: request.calibration ? sections!.calibration : [],
      }),
    ];
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
  if (request.byDomain && !comparison && !request.runtime) {
    const lookup = new DomainLookup(request.domainsFile);
    domainRows = domainAccuracy(experiments, (experiment) => loader.outcomes(experiment), lookup);
    if (domainRows.every((row) => row.domain === UNCLASSIFIED_DOMAIN)) {
      warnings.push(
        "no question has a MeSH domain: classify the eval file (m1 curate classify --in EVAL.json --out EVAL.domains.json) and pass --domains EVAL.domains.json",
      );
    }
  }
  let stdout: string;
  if (comparison) stdout = comparisonText(comparison, request.format);
  else if (request.runtime) {
    const runtime = runtimeReport(request.format, experiments, loader, request.by);
    warnings.push(...runtime.warnings);
    stdout = runtime.stdout;
  } else if (domainRows) stdout = formatDomainAccuracy(domainRows, request.format);
  else if (adaptiveWanted) stdout = adaptiveText(sections!, request, request.format);
  else {
    stdout = formatReport(request.format, experiments, request.by);
    // Markdown also says how the answers came about, and reads budget curves from probes.
    if (request.format === "md" && sections) {
      const extra = [
        formatStopsMarkdown(sections.stops),
        formatProbeCurvesMarkdown(sections.probeCurves),
      ].filter(Boolean);
      if (extra.length > 0) stdout += `\n${extra.join("\n\n")}\n`;
    }
  }
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
