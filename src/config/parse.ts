import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { closestName } from "../text/closest-name.js";
import {
  defaultAt,
  mergeLayers,
  originOf,
  valueAt,
  type ConfigLayer,
  type ConfigOrigin,
  type KeyPath,
} from "./layers.js";
import { describeExpected, exampleOf, knownKeys, schemaAt, unwrap } from "./schema-walk.js";
import { exampleSetting, fileLabel, keyLabel, showValue } from "./show.js";

export interface ParseConfigOptions {
  /** Where the validated value sits inside the layers (e.g. `["steps", 3]`); default: the top. */
  at?: KeyPath;
  /** Said before the problem, e.g. `step 'qwen-7b':`. */
  label?: string;
  /** Names people bring from other tools, e.g. `lr` -> `learning_rate`. */
  aliases?: Readonly<Record<string, string>>;
  /** The fix for an unknown key that is near no known one (default: the known keys, listed). */
  keysHelp?: string;
}

/**
 * Merge the layers (later wins, mappings merged key by key as OmegaConf does) and validate the
 * result once. The first problem becomes a one-line ConfigError naming where the value came from
 * (`file:line: key`, `-u key`, `--flag`), the value given, and a fix with a good example.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  layers: ConfigLayer | readonly ConfigLayer[],
  options: ParseConfigOptions = {},
): z.output<S> {
  const list = Array.isArray(layers) ? layers : [layers as ConfigLayer];
  const at = options.at ?? [];
  const raw = valueAt(mergeLayers(list), at);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw configErrorOf(pickIssue(parsed.error.issues), {
    schema,
    raw,
    layers: list,
    ...options,
    at,
  });
}

/** An unknown key explains the other problems a typo causes (the real key is then missing). */
function pickIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((issue) => issue.code === "unrecognized_keys") ?? issues[0]!;
}

interface IssueContext extends ParseConfigOptions {
  schema: z.ZodType;
  raw: unknown;
  layers: readonly ConfigLayer[];
  at: KeyPath;
}

function configErrorOf(issue: z.core.$ZodIssue, context: IssueContext): ConfigError {
  const issuePath = issue.path.map((key) => (typeof key === "number" ? key : String(key)));
  const label = context.label ? `${context.label} ` : "";
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const path = [...context.at, ...issuePath, key];
    const origin = originOf(context.layers, path);
    const parent = schemaAt(context.schema, issuePath, context.raw);
    const known = knownKeys(parent, valueAt(context.raw, issuePath));
    return new ConfigError(`${label}unknown key '${key}'`, {
      file: fileLabel(origin, path),
      key: keyLabel(origin, path),
      fix: unknownKeyFix(key, known, origin, [...context.at, ...issuePath], context),
    });
  }
  const path = [...context.at, ...issuePath];
  const origin = originOf(context.layers, path);
  const value = valueAt(context.raw, issuePath);
  const node = schemaAt(context.schema, issuePath, context.raw);
  // The example is for the innermost named key: `budgets: [512, 1024]` for a bad `budgets.1`.
  const lastName = issuePath.findLastIndex((key) => typeof key === "string");
  const exampleIssuePath = issuePath.slice(0, lastName + 1);
  const examplePath = [...context.at, ...exampleIssuePath];
  const exampleNode = schemaAt(context.schema, exampleIssuePath, context.raw);
  // A defaults layer gives the best example, if what it holds is valid (values built in code
  // come as a defaults layer too, and may be the very value being reported).
  const fromDefaults = defaultAt(context.layers, examplePath);
  const exampleValue =
    fromDefaults !== undefined && exampleNode?.safeParse(fromDefaults).success
      ? fromDefaults
      : exampleNode && exampleOf(exampleNode);
  const example =
    exampleValue === undefined ? undefined : exampleSetting(origin, examplePath, exampleValue);

  const problem = valueProblem(issue, value, node, String(examplePath.at(-1) ?? "a value"));
  const verb = value === undefined && issue.code !== "custom" ? "add" : "use";
  // A check across keys may know a better fix than another value of the key it names.
  const ownFix = issue.code === "custom" ? issue.params?.fix : undefined;
  return new ConfigError(`${label}${problem}`, {
    file: fileLabel(origin, path),
    key: keyLabel(origin, path),
    fix:
      typeof ownFix === "string"
        ? ownFix
        : example
          ? `${verb} e.g. ${example}`
          : "see the documentation of this key",
  });
}

/** What is wrong with the value an issue is about, in words (no location, no fix). */
function valueProblem(
  issue: z.core.$ZodIssue,
  value: unknown,
  node: z.ZodType | undefined,
  keyName: string,
): string {
  if (issue.code === "custom") return issue.message;
  if (value === undefined) return `${keyName} is missing`;
  // A note says why better than a pattern or a lone literal can (`only True is supported`).
  const note = node && unwrap(node).note;
  if (note) return `${showValue(value)} is not allowed: ${note}`;
  return `${showValue(value)} is not ${node ? describeExpected(node) : "valid here"}`;
}

/**
 * The first problem of a failed parse of data m1 wrote itself (a run manifest): the dotted key
 * and the problem in words, for callers whose fix is not "change this value" but "write it again".
 */
export function describeInvalid(
  schema: z.ZodType,
  raw: unknown,
  error: z.ZodError,
): { key: string; problem: string } {
  const issue = pickIssue(error.issues);
  const path = issue.path.map((key) => (typeof key === "number" ? key : String(key)));
  if (issue.code === "unrecognized_keys") {
    return { key: [...path, issue.keys[0]!].join("."), problem: `unknown key '${issue.keys[0]}'` };
  }
  const named = path.filter((key) => typeof key === "string");
  return {
    key: path.join(".") || "(top level)",
    problem: valueProblem(
      issue,
      valueAt(raw, path),
      schemaAt(schema, path, raw),
      String(named.at(-1) ?? "a value"),
    ),
  };
}

function unknownKeyFix(
  key: string,
  known: readonly string[],
  origin: ConfigOrigin | undefined,
  parentPath: KeyPath,
  context: IssueContext,
): string {
  const alias = context.aliases?.[key];
  const suggestion = alias ?? closestName(key, known);
  if (suggestion === undefined) {
    return context.keysHelp ?? `use one of ${known.join(", ")}`;
  }
  if (!known.includes(suggestion)) return `did you mean ${suggestion}?`;
  const given = valueAt(context.raw, [...parentPath.slice(context.at.length), key]);
  if (given === undefined) return `did you mean '${suggestion}'?`;
  return `did you mean '${suggestion}'? e.g. ${exampleSetting(origin, [...parentPath, suggestion], given)}`;
}
