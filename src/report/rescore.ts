import { InputError } from "../errors.js";
import type { SourceCounts } from "../eval/store/index.js";
import { scoreResults } from "../eval/scoring/results-file.js";
import type { ReportExperiment } from "./experiments.js";
import { readRecords, readVersionDirectory } from "../eval/m1-layout/read.js";

export interface RescoredExperiment {
  experiment: ReportExperiment;
  /** One line per source whose counts differ from metrics.json, and for scored.json disagreements. */
  disagreements: string[];
  samples: number;
}

/**
 * Score an m1-layout experiment again from its own outputs: every record of `<stem>.json` goes
 * through m1's score.py rules (extraction recomputed from response_text, then the answer text,
 * "X. text", the letter, else match_choice), and the per-source counts replace the ones read from
 * metrics.json. Where they differ from metrics.json, or a sample's verdict differs from
 * `<stem>.scored.json`, it is said, so a fetched m1-results tree checks itself against m1's numbers.
 */
export function rescoreExperiment(experiment: ReportExperiment): RescoredExperiment {
  if (experiment.origin.kind !== "files") return { experiment, disagreements: [], samples: 0 };
  const directory = readVersionDirectory(experiment.origin.versionDir);
  if (!directory.resultsPath) {
    throw new InputError(
      "no results file (<stem>.json) to rescore",
      { file: directory.versionDir },
      "fetch the whole version directory, or drop --rescore",
    );
  }
  const records = readRecords(directory.resultsPath);
  const scored = scoreResults(records, directory.resultsPath);
  const sources: SourceCounts[] = scored.sources.map((source) => ({
    source,
    correct_count: scored.metrics[source]!.correct_count,
    total_count: scored.metrics[source]!.total_count,
  }));
  const disagreements: string[] = [];
  const published = new Map(experiment.sources.map((counts) => [counts.source, counts]));
  for (const counts of sources) {
    const before = published.get(counts.source);
    if (
      !before ||
      before.correct_count !== counts.correct_count ||
      before.total_count !== counts.total_count
    ) {
      disagreements.push(
        `${experiment.label}: ${counts.source}: metrics.json has ${before ? `${before.correct_count}/${before.total_count}` : "no entry"}, rescored ${counts.correct_count}/${counts.total_count}`,
      );
    }
  }
  for (const before of experiment.sources) {
    if (!scored.sources.includes(before.source)) {
      disagreements.push(
        `${experiment.label}: ${before.source}: in metrics.json but in no result record`,
      );
    }
  }
  if (directory.scoredPath) {
    const verdicts = readRecords(directory.scoredPath).map((record) => record.correct);
    const differing = scored.records.filter((record, index) => verdicts[index] !== record.correct);
    if (differing.length > 0) {
      disagreements.push(
        `${experiment.label}: ${differing.length} sample verdict(s) differ from ${directory.scoredPath.split("/").at(-1)}`,
      );
    }
  }
  return { experiment: { ...experiment, sources }, disagreements, samples: records.length };
}
