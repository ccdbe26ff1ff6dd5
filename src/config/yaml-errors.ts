import type { YAMLError } from "yaml";

/**
 * The YAML parser's errors in our words. Its own texts ("Flow sequence in block collection must
 * be sufficiently indented and end with a ]") name grammar productions, not what to change.
 */
export interface YamlProblem {
  /** 0-based offset the problem is best shown at (the opening bracket of an unclosed list). */
  offset: number;
  problem: string;
  /** What to change, without an example. */
  fix: string;
  /** The line at `offset` as it should read, when we can tell. */
  correctedLine?: string;
}

const CLOSERS: Record<string, string> = { "[": "]", "{": "}", "'": "'", '"': '"' };

export function describeYamlError(error: YAMLError, text: string): YamlProblem {
  const offset = error.pos[0];
  const opener = openerOf(error.message);
  if (opener && (error.code === "MISSING_CHAR" || error.code === "BAD_INDENT")) {
    return unclosed(opener, text, offset);
  }
  const token = text
    .slice(offset, Math.max(error.pos[1], offset + 1))
    .split("\n")[0]!
    .trim();
  const line = lineAround(text, offset);
  switch (error.code) {
    case "DUPLICATE_KEY": {
      const key = /^[^:\n]*/.exec(text.slice(offset))![0].trim();
      return { offset, problem: `the key '${key}' appears twice in one mapping`, fix: "keep one" };
    }
    case "TAB_AS_INDENT":
      return { offset, problem: "a tab indents this line", fix: "indent with spaces" };
    case "BAD_INDENT":
    case "MULTILINE_IMPLICIT_KEY":
      return {
        offset,
        problem: "this line is not key: value, or is not indented like the keys around it",
        fix: "indent the keys of one mapping alike (two spaces per level)",
      };
    case "BLOCK_AS_IMPLICIT_KEY": {
      const colon = line.indexOf(": ");
      return {
        offset,
        problem: "a value holds ': ', which reads as a key inside the value",
        fix: "quote the value",
        correctedLine:
          colon < 0 ? undefined : `${line.slice(0, colon)}: "${line.slice(colon + 2)}"`,
      };
    }
    case "BAD_DQ_ESCAPE": {
      const escape = text.slice(offset, offset + 2);
      return {
        offset,
        problem: `${escape} is not an escape sequence in "double quotes"`,
        fix: "write \\\\ for a backslash, or use 'single quotes'",
        correctedLine: line.replace(escape, `\\${escape}`),
      };
    }
    case "BAD_SCALAR_START": {
      const value = line.slice(line.indexOf(token)).trim();
      return {
        offset,
        problem: `a value cannot start with '${token.charAt(0)}' unless quoted`,
        fix: "quote it",
        correctedLine: line.replace(value, `'${value.replaceAll("'", "''")}'`),
      };
    }
    case "MULTIPLE_DOCS":
      return { offset, problem: "the file holds several YAML documents (---)", fix: "keep one" };
    case "UNEXPECTED_TOKEN":
      return {
        offset,
        problem: `'${token}' is out of place`,
        fix: "write one key: value per line, lists as [a, b] or as '- item' lines",
      };
    default:
      return {
        offset,
        problem: "this is not YAML a config can hold",
        fix: "write one key: value per line",
      };
  }
}

function openerOf(message: string): string | undefined {
  if (/Flow sequence/.test(message)) return "[";
  if (/Flow map/.test(message)) return "{";
  if (/closing '/.test(message)) return "'";
  if (/closing "/.test(message)) return '"';
  return undefined;
}

function lineAround(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const end = text.indexOf("\n", offset);
  return text.slice(start, end === -1 ? undefined : end).trim();
}

/**
 * An unclosed list, mapping or quote: point at where it opens and show that line closed. The
 * parser reports these where it gave up (often the end of the file), rarely the line to change.
 */
function unclosed(opener: string, text: string, offset: number): YamlProblem {
  const start = lastUnclosed(text, opener, offset);
  const closer = CLOSERS[opener]!;
  const what =
    opener === "["
      ? "a [ list"
      : opener === "{"
        ? "a { mapping"
        : `a ${opener}quoted${opener} value`;
  return {
    offset: start,
    problem: `${what} is not closed`,
    fix: `end it with ${closer}`,
    correctedLine: `${lineAround(text, start)}${closer}`,
  };
}

/** Offset of the last `opener` before `end` that nothing closes (quotes and comments skipped). */
function lastUnclosed(text: string, opener: string, end: number): number {
  const open: number[] = [];
  let quote: string | undefined;
  let quoteStart = -1;
  for (let index = 0; index < Math.min(end, text.length); index++) {
    const character = text[index]!;
    if (quote) {
      if (character === quote) quote = undefined;
    } else if (character === "#" && (index === 0 || /\s/.test(text[index - 1]!))) {
      const newline = text.indexOf("\n", index);
      if (newline === -1) break;
      index = newline;
    } else if ((character === "'" || character === '"') && startsValue(text, index)) {
      quote = character;
      quoteStart = index;
    } else if (character === "[" || character === "{") {
      open.push(index);
    } else if (character === "]" || character === "}") {
      open.pop();
    }
  }
  if (opener === "'" || opener === '"') return quote ? quoteStart : Math.min(end, text.length);
  return open.findLast((index) => text[index] === opener) ?? Math.min(end, text.length);
}

/** A quote opens a quoted value only where a value starts (not inside `don't`). */
function startsValue(text: string, index: number): boolean {
  let before = index - 1;
  while (before >= 0 && (text[before] === " " || text[before] === "\t")) before--;
  return before < 0 || "\n:[{,-?".includes(text[before]!);
}
