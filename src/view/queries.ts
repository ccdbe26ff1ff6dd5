import type Database from "better-sqlite3";
import type { SourceCounts, StoreQueries } from "../eval/store/index.js";
import { averageAccuracy, sourceAccuracy, type SourceAccuracy } from "../report/accuracy.js";
import {
  adaptiveSetupOf,
  storedExperimentFields,
  strategyOf,
  type AdaptiveSetup,
  type ReportExperiment,
} from "../report/experiments.js";
import type { StopsRow } from "../report/stops.js";
import { groupExperiments } from "../report/table.js";
import { experimentStops } from "./stops-queries.js";

/**
 * The viewer's read queries. Every list is paged on the server (keyset on the anchor
 * experiment's sample_index, which is its primary key), so a page costs the same at 50 or 50,000
 * samples; large texts are read only for the one question opened.
 */
export interface ViewExperiment {
  id: number;
  name: string;
  model: string;
  thinking_budget: number;
  wait_rounds: number;
  seed: number;
  samples_per_question: number;
  /** How it spent its compute, in words (budget, Wait, n samples, early exit, loop cut-off). */
  strategy: string;
  status: string;
  total_samples: number;
  failed: number;
  sources: SourceAccuracy[];
  average: SourceAccuracy;
  adaptive: AdaptiveSetup;
}

export interface ViewGroup {
  kind: "budget" | "wait_rounds";
  title: string;
  experiment_ids: number[];
}

type Row = Record<string, unknown>;

/** Enough of a report experiment for grouping and naming strategies. */
function asReportExperiment(
  experiment: Pick<
    ViewExperiment,
    | "name"
    | "model"
    | "thinking_budget"
    | "wait_rounds"
    | "seed"
    | "status"
    | "samples_per_question"
  >,
  adaptive: AdaptiveSetup,
): ReportExperiment {
  return {
    label: experiment.name,
    versionDir: experiment.name,
    expName: experiment.name,
    metricsPath: "",
    ...storedExperimentFields(experiment),
    adaptive,
    sources: [],
    // One database: question keys pair questions across all its experiments.
    origin: { kind: "store", storePath: "view", experimentId: 0 },
  };
}

export class ViewQueries {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly store: StoreQueries) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.store.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Experiments with per-source accuracy (Wilson intervals) and the unweighted average. */
  experiments(): ViewExperiment[] {
    const experiments = this.store.experiments();
    const counts = this.prepare(
      `SELECT experiment_id, source, SUM(correct) AS correct_count, COUNT(*) AS total_count,
         MIN(sample_index) AS first
       FROM temp.outcomes WHERE correct IS NOT NULL AND failed = 0
       GROUP BY experiment_id, source ORDER BY experiment_id, first`,
    ).all() as Row[];
    const failed = new Map(
      (
        this.prepare(
          "SELECT experiment_id, COUNT(*) AS failed FROM temp.outcomes WHERE failed = 1 GROUP BY experiment_id",
        ).all() as Row[]
      ).map((row) => [row.experiment_id as number, row.failed as number]),
    );
    const bySource = new Map<number, SourceCounts[]>();
    for (const row of counts) {
      const list = bySource.get(row.experiment_id as number) ?? [];
      list.push({
        source: row.source as string,
        correct_count: Number(row.correct_count),
        total_count: Number(row.total_count),
      });
      bySource.set(row.experiment_id as number, list);
    }
    return experiments
      .map((row) => {
        const sources = bySource.get(row.id) ?? [];
        const adaptive = adaptiveSetupOf(row.config);
        return {
          id: row.id,
          name: row.name,
          model: row.model,
          thinking_budget: row.thinking_budget,
          wait_rounds: row.wait_rounds,
          seed: row.seed,
          samples_per_question: row.samples_per_question,
          strategy: strategyOf(asReportExperiment(row, adaptive)),
          adaptive,
          status: row.status,
          total_samples: row.total_samples,
          failed: failed.get(row.id) ?? 0,
          sources: sources.map(sourceAccuracy),
          average: averageAccuracy(sources),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  }

  /** How each experiment's answers came about (report/stops.ts), by experiment id. */
  stops(experiments: readonly ViewExperiment[]): Record<string, StopsRow> {
    const rows = experimentStops(
      this.store.db,
      experiments.map((experiment) => ({
        id: experiment.id,
        report: asReportExperiment(experiment, experiment.adaptive),
      })),
    );
    return Object.fromEntries([...rows].map(([id, row]) => [String(id), row]));
  }

  /** Budget sweeps and Wait-round sweeps (two or more experiments differing in one parameter). */
  groups(experiments: readonly ViewExperiment[]): ViewGroup[] {
    const idByName = new Map(experiments.map((experiment) => [experiment.name, experiment.id]));
    const asReport = experiments.map((experiment) =>
      asReportExperiment(experiment, experiment.adaptive),
    );
    const result: ViewGroup[] = [];
    for (const kind of ["budget", "wait_rounds"] as const) {
      for (const group of groupExperiments(asReport, kind)) {
        if (new Set(group.members.map((member) => member.value)).size < 2) continue;
        result.push({
          kind,
          title: `${kind === "budget" ? "budget sweep" : "Wait-round sweep"}: ${group.title}`,
          experiment_ids: group.members.map((member) => idByName.get(member.experiment.label)!),
        });
      }
    }
    return result;
  }
}
