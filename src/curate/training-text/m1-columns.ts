import { z } from "zod";
import { InputError, type InputLocation } from "../../errors.js";
import type { M1TrainingColumns } from "./render.js";

const m1ColumnsSchema = z.object({
  prompt: z.string(),
  reasoning: z.string(),
  distilled_answer_string: z.string(),
});

export const M1_COLUMNS = ["prompt", "reasoning", "distilled_answer_string"] as const;

const COLUMNS_FIX =
  "each row needs the string columns prompt, reasoning and distilled_answer_string (the output of `m1 curate ask` with the distill step)";

/** True when the row carries any of m1's training columns (so it is meant to be formatted). */
export function hasAnyM1Column(row: Record<string, unknown>): boolean {
  return M1_COLUMNS.some((column) => column in row);
}

/** The row's m1 columns, or an InputError naming the file, line and the first bad column. */
export function m1Columns(
  row: Record<string, unknown>,
  location: InputLocation,
): M1TrainingColumns {
  const parsed = m1ColumnsSchema.safeParse(row);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? "");
  const value = row[field];
  const problem =
    value === undefined
      ? `missing column '${field}'`
      : `'${field}' must be a string, got ${describe(value)}`;
  throw new InputError(problem, { ...location, field }, COLUMNS_FIX);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
