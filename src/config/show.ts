import YAML from "yaml";
import type { ConfigOrigin, KeyPath } from "./layers.js";

const MAX_SHOWN = 60;

/** A value as a message shows it: on one line, strings quoted, long ones cut. */
export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  return cut(showInline(value));
}

function showInline(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(showInline).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => `${key}: ${showInline(item)}`);
    return `{${entries.join(", ")}}`;
  }
  return String(value);
}

function cut(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 3)}...`;
}

/** A value as YAML writes it inline (`[512, 1024]`, `Wait`, `"a: b"`), as -u and files read it. */
export function inlineYaml(value: unknown): string {
  return YAML.stringify(value, {
    collectionStyle: "flow",
    flowCollectionPadding: false,
    lineWidth: 0,
  }).trimEnd();
}

/**
 * How the user would write `key` = `value` where the bad value came from: `key: value` in a file,
 * `-u key=value` in a dotlist, `--flag value` on the command line.
 */
export function exampleSetting(
  origin: ConfigOrigin | undefined,
  keyPath: KeyPath,
  value: unknown,
): string {
  const key = String(keyPath.at(-1) ?? "");
  switch (origin?.kind) {
    case "dotlist":
      return `${origin.flag} ${keyPath.join(".")}=${inlineYaml(value)}`;
    case "flag": {
      const text = typeof value === "string" ? value : inlineYaml(value);
      return `${origin.flag} ${/[\s"'\\$`]/.test(text) || text === "" ? JSON.stringify(text) : text}`;
    }
    default:
      return `${key}: ${inlineYaml(value)}`;
  }
}

/** The key as a message names it: `-u budgets.1`, `--budget`, or `steps.3.keep`. */
export function keyLabel(origin: ConfigOrigin | undefined, path: KeyPath): string {
  const dotted = path.join(".");
  if (origin?.kind === "dotlist") return `${origin.flag} ${dotted}`;
  if (origin?.kind === "flag") return origin.flag;
  return dotted || "(top level)";
}

/** `file.yaml:12` (or the file alone when the line is unknown); undefined when not from a file. */
export function fileLabel(origin: ConfigOrigin | undefined, path: KeyPath): string | undefined {
  if (origin?.kind !== "file") return undefined;
  const line = origin.lineOf(path);
  return line ? `${origin.path}:${line}` : origin.path;
}
