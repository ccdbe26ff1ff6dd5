import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseEvalFile } from "../eval/datasets/load.js";
import type { EvalFileContent } from "../eval/datasets/types.js";
import { writeEvalFile } from "../eval/datasets/write.js";
import { buildOptionStr } from "../eval/prompt.js";
import { InputError } from "../errors.js";
import type { Row } from "../io/rows.js";
import { readTextFile } from "../io/text-file.js";

/**
 * Eval items classified by MeSH domain, so reports can split accuracy per domain: the items of an
 * m1 eval file become rows whose `prompt` is `{question}\n{option_str}` (the shape of m1's training
 * prompts, which GPT-4o classified), and the answers come back as `domain_code` and `domain_name`
 * on every item, extra fields the loader carries along and the results files keep.
 */
export interface EvalFileRows {
  content: EvalFileContent;
  rows: Row[];
}

/** An m1 eval file (a .json object of sources) rather than a table of rows. */
export function isEvalFile(path: string): boolean {
  if (extname(path).toLowerCase() !== ".json") return false;
  try {
    return readFileSync(path, "utf8").trimStart().startsWith("{");
  } catch {
    return false;
  }
}

export function evalFileRows(path: string): EvalFileRows {
  const text = readTextFile(
    path,
    () => new InputError("cannot read file", { file: path, field: "--in" }, "check the path"),
  );
  const content = parseEvalFile(text, path);
  const rows = Object.entries(content).flatMap(([source, items]) =>
    items.map((item, index) => ({
      source,
      index,
      prompt: `${item.question}\n${buildOptionStr(item.options)}`,
    })),
  );
  return { content, rows };
}

/** Write the eval file with each item's domain (`""` where none was found), atomically. */
export function writeEvalFileWithDomains(
  out: string,
  { content, rows }: EvalFileRows,
  classified: readonly Row[],
): void {
  const withDomains: EvalFileContent = {};
  let position = 0;
  for (const [source, items] of Object.entries(content)) {
    withDomains[source] = items.map((item) => {
      const row = classified[position++]!;
      const found = row.is_domain_code_extracted === true;
      return {
        ...item,
        domain_code: found ? String(row.domain_code) : "",
        domain_name: found ? String(row.domain_name) : "",
      };
    });
  }
  if (position !== rows.length) throw new Error("classified rows do not match the eval items");
  writeEvalFile(out, withDomains);
}
