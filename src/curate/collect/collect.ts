import { ConfigError } from "../../errors.js";
import { readRows } from "../../io/rows.js";
import { mapHeadqaRows } from "./headqa.js";
import { mapMedmcqaRows } from "./medmcqa.js";
import { mapMedqaRows } from "./medqa.js";
import { loadPubmedqaRows } from "./pubmedqa.js";
import type { CollectedRow } from "./unified-row.js";

/** m1's collect settings (its notebooks' seed; MedMCQA as Hugging Face numbers `cop`). */
export const COLLECT_DEFAULTS = { seed: 42, medmcqa_cop_base: 0 } as const;

export interface CollectSettings {
  /** MedQA-USMLE-4-options training rows (JSONL, JSON or Parquet). */
  medqa?: string;
  /** MedMCQA training rows (JSONL, JSON or Parquet). */
  medmcqa?: string;
  /** HeadQA training rows (JSONL, JSON or Parquet). */
  headqa?: string;
  /** PubMedQA `ori_pqal.json` (or Hugging Face-shaped rows). */
  pubmedqa?: string;
  /** Seed of every source's option shuffle; m1 uses 42. */
  seed: number;
  /** MedMCQA's `cop` numbering: 0 (Hugging Face, m1) or 1 (the original release). */
  medmcqaCopBase?: 0 | 1;
}

export interface CollectResult {
  rows: CollectedRow[];
  /** Rows per source name, in output order. */
  counts: Record<string, number>;
}

/**
 * m1's collection (src/collect_data/merge_data.py): every source mapped with its own generator
 * seeded with `seed`, concatenated in m1's order MedQA, PubMedQA, HeadQA, MedMCQA. Everything is
 * read and checked before anything is returned, so bad input never leaves a partial output.
 */
export async function collectTrainingRows(
  settings: CollectSettings,
  onSource?: (source: string) => void,
): Promise<CollectResult> {
  if (!settings.medqa && !settings.medmcqa && !settings.headqa && !settings.pubmedqa) {
    throw new ConfigError("no source file given", {
      key: "--medqa/--medmcqa/--headqa/--pubmedqa",
      fix: "pass at least one training file",
    });
  }
  const parts: CollectedRow[][] = [];
  if (settings.medqa) {
    onSource?.("medqa");
    parts.push(mapMedqaRows(await readRows(settings.medqa), settings.medqa, settings.seed));
  }
  if (settings.pubmedqa) {
    onSource?.("pubmedqa");
    parts.push(await loadPubmedqaRows(settings.pubmedqa, settings.seed, "train"));
  }
  if (settings.headqa) {
    onSource?.("headqa");
    parts.push(mapHeadqaRows(await readRows(settings.headqa), settings.headqa, settings.seed));
  }
  if (settings.medmcqa) {
    onSource?.("medmcqa");
    const rows = await readRows(settings.medmcqa);
    parts.push(mapMedmcqaRows(rows, settings.medmcqa, settings.seed, settings.medmcqaCopBase ?? 0));
  }
  const rows = parts.flat();
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.source] = (counts[row.source] ?? 0) + 1;
  return { rows, counts };
}
