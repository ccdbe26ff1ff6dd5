import YAML, { YAMLError } from "yaml";
import { ConfigError } from "../errors.js";
import type { ConfigLayer } from "./layers.js";
import { showValue } from "./show.js";
import { describeYamlError } from "./yaml-errors.js";

/**
 * m1's `-u key=value,key2=value2` overrides (OmegaConf dotlists), as a config layer. Values parse
 * as OmegaConf does: YAML scalars, so `True`/`false` are booleans, `null`/`~` is null, `1e-5` and
 * `42` are numbers, `[128, 256]` is a list. Unlike m1, commas inside brackets or quotes do not
 * split items, so sweeps can be given inline: `-u budgets=[512,1024],keep_think_below_budget_times=2`.
 */
export function dotlistLayer(dotlist: string, flag = "-u"): ConfigLayer {
  return { origin: { kind: "dotlist", flag }, values: parseDotlist(dotlist, flag) };
}

export function parseDotlist(dotlist: string, flag = "-u"): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const item of splitTopLevel(dotlist)) {
    if (item.trim() === "") continue;
    const equals = item.indexOf("=");
    if (equals <= 0) {
      throw new ConfigError(`${showValue(item)} is not key=value`, {
        key: flag,
        fix: `write key=value items separated by commas, e.g. ${flag} ${item.trim() || "key"}=value`,
      });
    }
    const key = item.slice(0, equals).trim();
    setPath(result, key.split("."), parseValue(item.slice(equals + 1), key, flag));
  }
  return result;
}

function parseValue(text: string, key: string, flag: string): unknown {
  try {
    return YAML.parse(text, { schema: "core" }) ?? null;
  } catch (error) {
    if (!(error instanceof YAMLError)) throw error;
    const { problem, fix, correctedLine } = describeYamlError(error, text);
    throw new ConfigError(`${showValue(text)} is not a value YAML can read: ${problem}`, {
      key: `${flag} ${key}`,
      fix: correctedLine ? `${fix}, e.g. ${flag} ${key}=${correctedLine}` : fix,
    });
  }
}

/** Split on commas that are not inside [], {} or quotes. */
function splitTopLevel(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (quote) {
      if (character === quote) quote = null;
    } else if (character === '"' || character === "'") {
      quote = character;
    } else if (character === "[" || character === "{") {
      depth++;
    } else if (character === "]" || character === "}") {
      depth--;
    } else if (character === "," && depth === 0) {
      items.push(text.slice(start, index));
      start = index + 1;
    }
  }
  items.push(text.slice(start));
  return items;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}
