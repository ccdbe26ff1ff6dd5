import { InputError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { canonicalJson } from "../ask/response-cache.js";
import { defaultRng } from "../rng/generator.js";

/** m1K: 1000 rows, numpy's default_rng(42) as in m1's notebook. */
export const SELECT_DEFAULTS = { size: 1000, seed: 42 } as const;

export interface SelectSettings {
  /** How many rows to pick (m1K: 1000). */
  size: number;
  /** Seed of numpy's `default_rng` (m1's notebook: 42). */
  seed: number;
}

export interface SelectResult {
  /** Picked rows in the order they were picked. */
  rows: Row[];
  /** Rows left out because classification found no domain code for them. */
  withoutDomain: number;
  /** Picks per domain code, in the order domains first appear. */
  perDomain: Record<string, number>;
  /** Picks per source. */
  perSource: Record<string, number>;
}

/**
 * m1K's domain x source sampling (select_hard_sample_by_domain_source.ipynb): rows are grouped by
 * `domain_code`, then by `source`, both in order of first appearance; until `size` rows are
 * picked: choose a domain uniformly, a source within it uniformly, a row within that uniformly,
 * and remove the row, dropping a source (then a domain) once it is empty. The draws are the
 * notebook's: `rng.choice` on each list with `np.random.default_rng(seed)`, i.e. one
 * `integers(0, len)` per choice (none for a list of one). The row is removed as Python's
 * `list.remove` does, i.e. the first row equal to the chosen one. With the same input order and
 * seed this reproduces m1's 1K selection. When fewer rows exist than asked for, all are taken.
 */
export function selectRows(
  rows: readonly Row[],
  file: string,
  settings: SelectSettings,
): SelectResult {
  if (rows.length > 0 && !rows.some((row) => "domain_code" in row)) {
    throw new InputError(
      "no row has a domain_code column",
      { file, field: "domain_code" },
      "run `m1 curate classify` first",
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
    const source = typeof row.source === "string" ? row.source : "";
    let domain = groups.get(code);
    if (!domain) groups.set(code, (domain = new Map()));
    let list = domain.get(source);
    if (!list) domain.set(source, (list = []));
    list.push({ row, identity: canonicalJson(row) });
  }

  const rng = defaultRng(settings.seed);
  const picked: Row[] = [];
  const perDomain: Record<string, number> = {};
  const perSource: Record<string, number> = {};
  while (picked.length < settings.size && groups.size > 0) {
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
    if (list.length === 0) domain.delete(source);
    if (domain.size === 0) groups.delete(code);
    picked.push(chosen.row);
    perDomain[code] = (perDomain[code] ?? 0) + 1;
    perSource[source] = (perSource[source] ?? 0) + 1;
  }
  return { rows: picked, withoutDomain, perDomain, perSource };
}
