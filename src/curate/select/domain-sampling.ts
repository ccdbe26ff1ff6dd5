import { InputError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { canonicalJson } from "../ask/response-cache.js";
import { defaultRng } from "../rng/generator.js";

/** The one source every row falls in when sources are not balanced (m1's `merge_source`). */
export const MERGED_SOURCE = "merge_source";

/** A group emptied during sampling, as m1's notebooks print it ("Removing source ... from domain ..."). */
export type EmptiedGroup =
  { kind: "source"; domain: string; source: string } | { kind: "domain"; domain: string };

export interface DomainSamplingResult {
  rows: Row[];
  withoutDomain: number;
  perDomain: Record<string, number>;
}

/**
 * m1's domain sampling (select_hard_sample_by_domain_source.ipynb for m1K; with every row in one
 * source, `merge_source`, select_hard_sample_by_domain.ipynb for the domain_1k ablation): rows are
 * grouped by `domain_code`, then by source, both in order of first appearance; until `size` rows
 * are picked: choose a domain uniformly, a source within it uniformly, a row within that uniformly,
 * and remove the row, dropping a source (then a domain) once it is empty. The draws are the
 * notebook's: `rng.choice` on each list with `np.random.default_rng(seed)`, i.e. one
 * `integers(0, len)` per choice (none for a list of one). The row is removed as Python's
 * `list.remove` does, i.e. the first row equal to the chosen one. With the same input order and
 * seed this reproduces m1's selections. When fewer rows exist than asked for, all are taken.
 */
export function sampleByDomain(
  rows: readonly Row[],
  file: string,
  options: {
    size: number;
    seed: number;
    balanceSources: boolean;
    onEmptied?: (group: EmptiedGroup) => void;
  },
): DomainSamplingResult {
  if (rows.length > 0 && !rows.some((row) => "domain_code" in row)) {
    throw new InputError(
      "no row has a domain_code column",
      { file, field: "domain_code" },
      "run `m1 curate classify` first, or use --strategy random / hard-random",
    );
  }
  const groups = new Map<string, Map<string, { row: Row; identity: string }[]>>();
  let withoutDomain = 0;
  for (const row of rows) {
    const code = row.domain_code;
    if (typeof code !== "string" || code === "" || row.is_domain_code_extracted === false) {
      withoutDomain++;
      continue;
    }
    const source = !options.balanceSources
      ? MERGED_SOURCE
      : typeof row.source === "string"
        ? row.source
        : "";
    let domain = groups.get(code);
    if (!domain) groups.set(code, (domain = new Map()));
    let list = domain.get(source);
    if (!list) domain.set(source, (list = []));
    list.push({ row, identity: canonicalJson(row) });
  }

  const rng = defaultRng(options.seed);
  const picked: Row[] = [];
  const perDomain: Record<string, number> = {};
  while (picked.length < options.size && groups.size > 0) {
    const domainCodes = [...groups.keys()];
    const code = domainCodes[rng.choiceIndex(domainCodes.length)]!;
    const domain = groups.get(code)!;
    const sources = [...domain.keys()];
    const source = sources[rng.choiceIndex(sources.length)]!;
    const list = domain.get(source)!;
    const chosen = list[rng.choiceIndex(list.length)]!;
    list.splice(
      list.findIndex((item) => item.identity === chosen.identity),
      1,
    );
    if (list.length === 0) {
      domain.delete(source);
      options.onEmptied?.({ kind: "source", domain: code, source });
    }
    if (domain.size === 0) {
      groups.delete(code);
      options.onEmptied?.({ kind: "domain", domain: code });
    }
    picked.push(chosen.row);
    perDomain[code] = (perDomain[code] ?? 0) + 1;
  }
  return { rows: picked, withoutDomain, perDomain };
}
