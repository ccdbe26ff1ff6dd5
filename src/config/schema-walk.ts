import { z } from "zod";
import { isMapping, type KeyPath } from "./layers.js";

/**
 * Reading a zod schema the way a config message needs it: the node at a key path, what it
 * expects in words, a good example, the keys a mapping knows. Config schemas may carry
 * `.meta({ examples: [...] })` (shown in fixes) and `.meta({ note: "..." })` (said after the
 * problem, e.g. why only one value is supported).
 */

interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: RegExp;
}

interface NodeDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  discriminator?: string;
  valueType?: z.ZodType;
  items?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: Array<{ _zod: { def: CheckDef } }>;
  format?: string;
  defaultValue?: unknown;
}

const WRAPPERS = new Set([
  "optional",
  "nullable",
  "default",
  "prefault",
  "readonly",
  "catch",
  "nonoptional",
  "pipe",
]);

function defOf(node: z.ZodType): NodeDef {
  return node._zod.def as unknown as NodeDef;
}

/** The node without optional/nullable/default wrappers, with what those wrappers carried. */
export interface UnwrappedNode {
  node: z.ZodType;
  examples: unknown[];
  note?: string;
  defaultValue?: unknown;
}

export function unwrap(schema: z.ZodType): UnwrappedNode {
  const result: UnwrappedNode = { node: schema, examples: [] };
  let node = schema;
  for (;;) {
    const meta = z.globalRegistry.get(node);
    if (Array.isArray(meta?.examples)) result.examples.push(...(meta.examples as unknown[]));
    if (typeof meta?.note === "string") result.note ??= meta.note;
    const def = defOf(node);
    if (def.type === "default" && result.defaultValue === undefined) {
      result.defaultValue = def.defaultValue;
    }
    if (!WRAPPERS.has(def.type)) break;
    const inner = def.type === "pipe" ? def.in : def.innerType;
    if (!inner) break;
    node = inner;
  }
  result.node = node;
  return result;
}

/** The schema of `key` inside `schema`, given the raw value there (unions pick by it). */
function child(schema: z.ZodType, key: string | number, raw: unknown): z.ZodType | undefined {
  const { node } = unwrap(schema);
  const def = defOf(node);
  switch (def.type) {
    case "object":
      return def.shape?.[String(key)];
    case "array":
      return typeof key === "number" ? def.element : undefined;
    case "tuple":
      return typeof key === "number" ? def.items?.[key] : undefined;
    case "record":
      return def.valueType;
    case "union": {
      const options = def.options ?? [];
      if (def.discriminator && isMapping(raw)) {
        const wanted = raw[def.discriminator];
        const chosen = options.find((option) =>
          literalValues(child(option, def.discriminator!, raw)).includes(wanted),
        );
        if (chosen) return child(chosen, key, raw);
      }
      for (const option of options) {
        const found = child(option, key, raw);
        if (found) return found;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function literalValues(schema: z.ZodType | undefined): unknown[] {
  if (!schema) return [];
  const def = defOf(unwrap(schema).node);
  return def.type === "literal" ? (def.values ?? []) : [];
}

/** The schema node at `path` (raw: the value being validated, for choosing union branches). */
export function schemaAt(schema: z.ZodType, path: KeyPath, raw: unknown): z.ZodType | undefined {
  let node: z.ZodType | undefined = schema;
  let value = raw;
  for (const key of path) {
    if (!node) return undefined;
    node = child(node, key, value);
    value =
      isMapping(value) || Array.isArray(value)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  return node;
}

/** The keys a mapping schema knows (for "did you mean"). */
export function knownKeys(schema: z.ZodType | undefined, raw: unknown): string[] {
  if (!schema) return [];
  const def = defOf(unwrap(schema).node);
  if (def.type === "object") return Object.keys(def.shape ?? {});
  if (def.type === "union") {
    if (def.discriminator && isMapping(raw)) {
      const wanted = raw[def.discriminator];
      const chosen = (def.options ?? []).find((option) =>
        literalValues(child(option, def.discriminator!, raw)).includes(wanted),
      );
      if (chosen) return knownKeys(chosen, raw);
    }
    return [...new Set((def.options ?? []).flatMap((option) => knownKeys(option, raw)))];
  }
  return [];
}

/** What a node accepts, in words: "a whole number above 0", "one of m1, none", "a URL". */
export function describeExpected(schema: z.ZodType): string {
  const { node } = unwrap(schema);
  const def = defOf(node);
  const checks = (def.checks ?? []).map((check) => check._zod.def);
  switch (def.type) {
    case "number":
    case "int":
      return describeNumber(def, checks);
    case "string": {
      if (def.format === "url") return "a URL";
      const minimum = checks.find((check) => check.check === "min_length")?.minimum ?? 0;
      const pattern = checks.find((check) => check.format === "regex")?.pattern;
      if (pattern) return `text matching ${String(pattern)}`;
      return minimum > 0 ? "non-empty text" : "text";
    }
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${Object.values(def.entries ?? {}).join(", ")}`;
    case "literal": {
      const values = def.values ?? [];
      return values.length === 1 ? String(values[0]) : `one of ${values.join(", ")}`;
    }
    case "array": {
      const minimum = checks.find((check) => check.check === "min_length")?.minimum ?? 0;
      if (minimum === 1) return "a non-empty list";
      return minimum > 1 ? `a list of at least ${minimum} items` : "a list";
    }
    case "object":
    case "record":
      return "a mapping";
    case "union":
      return [...new Set((def.options ?? []).map(describeExpected))].join(" or ");
    case "null":
      return "null";
    default:
      return "a valid value";
  }
}

interface NumberBounds {
  isInteger: boolean;
  lower?: { value: number; inclusive: boolean };
  upper?: { value: number; inclusive: boolean };
}

function numberBounds(def: NodeDef, checks: readonly CheckDef[]): NumberBounds {
  const bounds: NumberBounds = {
    isInteger: def.type === "int" || checks.some((check) => check.format === "safeint"),
  };
  for (const check of checks) {
    if (check.check === "greater_than" && check.value !== undefined) {
      bounds.lower = { value: check.value, inclusive: check.inclusive ?? false };
    } else if (check.check === "less_than" && check.value !== undefined) {
      bounds.upper = { value: check.value, inclusive: check.inclusive ?? false };
    }
  }
  return bounds;
}

function describeNumber(def: NodeDef, checks: readonly CheckDef[]): string {
  const { isInteger, lower, upper } = numberBounds(def, checks);
  const noun = isInteger ? "a whole number" : "a number";
  if (lower && upper && lower.inclusive && upper.inclusive) {
    return `${noun} from ${lower.value} to ${upper.value}`;
  }
  const parts = [
    lower && (lower.inclusive ? `of at least ${lower.value}` : `above ${lower.value}`),
    upper && (upper.inclusive ? `at most ${upper.value}` : `below ${upper.value}`),
  ].filter(Boolean);
  if (!lower && upper) parts[0] = `of ${parts[0]}`;
  return parts.length > 0 ? `${noun} ${parts.join(" and ")}` : noun;
}

/**
 * A good value for a node: its `examples` meta, else its default (when not null), else one made
 * from its type and bounds. Undefined when nothing sensible can be made.
 */
export function exampleOf(schema: z.ZodType): unknown {
  const unwrapped = unwrap(schema);
  if (unwrapped.examples.length > 0) return unwrapped.examples[0];
  if (unwrapped.defaultValue !== undefined && unwrapped.defaultValue !== null) {
    return unwrapped.defaultValue;
  }
  return madeExample(unwrapped.node);
}

function madeExample(node: z.ZodType): unknown {
  const def = defOf(node);
  const checks = (def.checks ?? []).map((check) => check._zod.def);
  switch (def.type) {
    case "number":
    case "int": {
      const { isInteger, lower, upper } = numberBounds(def, checks);
      let value = lower ? (lower.inclusive ? lower.value : lower.value + (isInteger ? 1 : 0.5)) : 1;
      if (upper && (value > upper.value || (value === upper.value && !upper.inclusive))) {
        value = lower ? (lower.value + upper.value) / 2 : upper.value - 1;
        if (isInteger) value = Math.ceil(value);
      }
      return value;
    }
    case "string":
      return def.format === "url" ? "http://127.0.0.1:8000/v1" : undefined;
    case "boolean":
      return true;
    case "enum":
      return Object.values(def.entries ?? {})[0];
    case "literal":
      return def.values?.[0];
    case "array": {
      const element = def.element && exampleOf(def.element);
      return element === undefined ? undefined : [element];
    }
    case "union":
      for (const option of def.options ?? []) {
        const example = exampleOf(option);
        if (example !== undefined) return example;
      }
      return undefined;
    default:
      return undefined;
  }
}
