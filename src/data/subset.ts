import { InputError } from "../errors.js";
import { parseEvalFile } from "../eval/datasets/load.js";
import type { EvalFileContent } from "../eval/datasets/types.js";
import { writeFileAtomically } from "../io/atomic.js";
import { pythonJsonDumps } from "../python/json.js";
import { readText } from "./convert/table.js";

/** m1's debug file keeps this many items of each source (`num_sub_samples = 3`). */
export const M1_DEBUG_ITEMS_PER_SOURCE = 3;

export interface SubsetRequest {
  /** An eval file (m1's format). */
  in: string;
  out: string;
  /** Items kept from the head of each source (m1: 3). */
  perSource: number;
}

export interface SubsetOutcome {
  out: string;
  /** Items written per source, in file order. */
  counts: Record<string, number>;
}

/**
 * m1's per-source debug file (`misc/sub_eval_data.json` in collect_eval_data.py): the first
 * `perSource` items of every source, every field kept, written as Python's
 * `json.dump(..., indent=2)` writes it (ASCII escapes, no final newline). A quick end-to-end check
 * of a model or a config on every benchmark's shape costs a few questions per source.
 */
export function writeEvalSubset(request: SubsetRequest): SubsetOutcome {
  if (!Number.isInteger(request.perSource) || request.perSource < 1) {
    throw new InputError(
      `must be a whole number above 0, got ${request.perSource}`,
      { field: "--per-source" },
      `e.g. --per-source ${M1_DEBUG_ITEMS_PER_SOURCE} (m1's debug file)`,
    );
  }
  const content = parseEvalFile(readText(request.in), request.in);
  const subset: EvalFileContent = {};
  const counts: Record<string, number> = {};
  for (const [source, items] of Object.entries(content)) {
    subset[source] = items.slice(0, request.perSource);
    counts[source] = subset[source].length;
  }
  writeFileAtomically(request.out, pythonJsonDumps(subset, 2));
  return { out: request.out, counts };
}
