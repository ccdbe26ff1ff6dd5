import { ConfigError, InputError } from "../../errors.js";
import type { Row } from "../../io/rows.js";
import { pythonRepr } from "../python-repr.js";
import { rowLocator } from "../../io/row-location.js";

/**
 * Message templates in Python `str.format` style, as m1 writes its prompts: `{column}` is the
 * row's value, `{{` and `}}` are literal braces. So m1's difficulty prompt is written
 * `Return your final response within \boxed{{}}. {prompt}`.
 */
export interface CompiledTemplate {
  readonly source: string;
  /** The placeholders it uses, in order of first use. */
  readonly fields: readonly string[];
  render(values: (field: string) => string): string;
}

type Piece = { literal: string } | { field: string };

export function compileTemplate(source: string, key = "user_template"): CompiledTemplate {
  const pieces: Piece[] = [];
  let literal = "";
  for (let index = 0; index < source.length; index++) {
    const character = source[index]!;
    const next = source[index + 1];
    if ((character === "{" && next === "{") || (character === "}" && next === "}")) {
      literal += character;
      index++;
    } else if (character === "{") {
      const end = source.indexOf("}", index);
      const field = end < 0 ? "" : source.slice(index + 1, end);
      if (!/^[A-Za-z_][\w-]*$/.test(field)) {
        throw new ConfigError(`bad placeholder at character ${index + 1} of the template`, {
          key,
          fix: "write {column} for a row value and {{ or }} for a literal brace",
        });
      }
      if (literal) pieces.push({ literal });
      literal = "";
      pieces.push({ field });
      index = end;
    } else if (character === "}") {
      throw new ConfigError(`single '}' at character ${index + 1} of the template`, {
        key,
        fix: "write }} for a literal brace",
      });
    } else literal += character;
  }
  if (literal) pieces.push({ literal });
  const fields = [...new Set(pieces.flatMap((piece) => ("field" in piece ? [piece.field] : [])))];
  return {
    source,
    fields,
    render: (values) =>
      pieces.map((piece) => ("field" in piece ? values(piece.field) : piece.literal)).join(""),
  };
}

/**
 * Render for one row. Row columns come first; `builtins` fill placeholders no column provides
 * (the MeSH rubric). A missing value names the file, row and column.
 */
export function renderForRow(
  template: CompiledTemplate,
  row: Row,
  location: { file: string; index: number },
  builtins: Readonly<Record<string, () => string>> = {},
): string {
  return template.render((field) => {
    const value = row[field];
    if (value === undefined || value === null) {
      const builtin = builtins[field];
      if (builtin && value === undefined) return builtin();
      throw new InputError(
        value === null ? "is null, but the template uses it" : "missing, but the template uses it",
        rowLocator(location.file)(location.index, field),
        "check the template's {placeholders} against the file's columns",
      );
    }
    return typeof value === "string" ? value : pythonRepr(value);
  });
}
