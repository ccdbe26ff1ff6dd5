import YAML, { LineCounter, isNode, type YAMLError } from "yaml";
import { InputError } from "../errors.js";
import { isMapping, type ConfigLayer, type FileOrigin } from "./layers.js";
import { describeYamlError } from "./yaml-errors.js";
import { readTextFile } from "../io/text-file.js";

export interface ConfigFileOptions {
  /** The option or argument that named the file, for "check the path" (`-c`, `--config`). */
  flag: string;
  /** What the file holds, for messages: "config file", "pipeline file". */
  what?: string;
  /** One good line of such a file, for the fix when the file is not a mapping. */
  exampleLine: string;
}

/**
 * A YAML config file as a layer that remembers the line of every key, so that validation names
 * `file:line`. YAML 1.2 core schema (`yes` stays a string; `True`, `1e-5`, `null` read as OmegaConf
 * reads them). Unreadable files, YAML syntax errors and files that are not a mapping are one-line
 * InputErrors with a fix.
 */
export interface ConfigFileLayer extends ConfigLayer {
  origin: FileOrigin;
}

export function readConfigFile(path: string, options: ConfigFileOptions): ConfigFileLayer {
  const what = options.what ?? "config file";
  const text = readTextFile(
    path,
    () =>
      new InputError(`cannot read the ${what}`, { file: path }, `check the ${options.flag} path`),
  );
  const lineCounter = new LineCounter();
  const document = YAML.parseDocument(text, { lineCounter, schema: "core", prettyErrors: false });
  const error = document.errors[0];
  if (error) throw yamlInputError(error, text, path, lineCounter);
  let value: unknown;
  try {
    value = document.toJS();
  } catch {
    // An alias without its anchor (`key: *name`) fails only here, and without a position.
    const alias = /(?:^|[\s:,[{-])(\*[^\s,\]}]+)/m.exec(text);
    const line = alias ? lineCounter.linePos(alias.index + alias[0].indexOf("*")).line : undefined;
    throw new InputError(
      `not valid YAML: ${alias?.[1] ?? "an alias"} names no anchor (&name) set before it`,
      { file: path, line },
      "set the anchor first, or quote a value that starts with *",
    );
  }
  if (value === null || value === undefined) value = {};
  if (!isMapping(value)) {
    throw new InputError(
      `the ${what} holds ${Array.isArray(value) ? "a list" : "a single value"}, not key: value lines`,
      { file: path, line: 1 },
      `write one key: value per line, e.g. ${options.exampleLine}`,
    );
  }
  return {
    origin: {
      kind: "file",
      path,
      lineOf(keyPath) {
        for (let length = keyPath.length; length >= 0; length--) {
          const node = document.getIn(
            keyPath.slice(0, length).map((key) => (typeof key === "symbol" ? String(key) : key)),
            true,
          );
          if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
        }
        return undefined;
      },
    },
    values: value,
  };
}

function yamlInputError(
  error: YAMLError,
  text: string,
  path: string,
  lineCounter: LineCounter,
): InputError {
  const { offset, problem, fix, correctedLine } = describeYamlError(error, text);
  const line = lineCounter.linePos(offset).line;
  const key = /^\s*(?:-\s+)?([A-Za-z0-9_.-]+)\s*:/.exec(text.split("\n")[line - 1] ?? "")?.[1];
  return new InputError(
    `not valid YAML: ${problem}`,
    { file: path, line, field: key },
    correctedLine ? `${fix}, e.g. ${correctedLine}` : fix,
  );
}
