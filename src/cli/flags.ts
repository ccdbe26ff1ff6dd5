import { Argument, Option } from "commander";
import { ConfigError } from "../errors.js";

/**
 * Commander parsers for flag values. A bad value is a one-line ConfigError in m1's form, naming
 * the flag, the value given and a good example (`--dp: "0" is not a whole number of at least 1
 * (fix: use e.g. --dp 1)`), like the config loader's messages for config keys.
 *
 * Commander calls a parser as a method of its Option (or Argument), which is how the parser
 * learns the flag's name and default without being told twice.
 */
type FlagTarget = Option | Argument | undefined;

interface Bounds {
  min?: number;
  max?: number;
  /** A good value for the fix (default: the flag's default, else the lower bound, else 1). */
  example?: number;
}

/** Commander parser for a whole number with bounds. */
export function integerFlag(bounds: Bounds = {}) {
  return function parseInteger(this: FlagTarget, value: string): number {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || !within(parsed, bounds)) {
      throw flagError(this, value, `a whole number${range(bounds)}`, example(this, bounds));
    }
    return parsed;
  };
}

/** Commander parser for a finite number with bounds. */
export function numberFlag(bounds: Bounds = {}) {
  return function parseNumber(this: FlagTarget, value: string): number {
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed) || !within(parsed, bounds)) {
      throw flagError(this, value, `a number${range(bounds)}`, example(this, bounds));
    }
    return parsed;
  };
}

/** Commander parser that only accepts one of `choices`. */
export function choiceFlag<T extends string>(choices: readonly T[]) {
  return function parseChoice(this: FlagTarget, value: string): T {
    if (!(choices as readonly string[]).includes(value)) {
      const fallback = String(this?.defaultValue ?? choices[0]);
      throw flagError(this, value, `one of ${choices.join(", ")}`, fallback);
    }
    return value as T;
  };
}

/** The error for a value that is not `expected`, in the config loader's words. */
export function flagError(
  target: FlagTarget,
  value: string,
  expected: string,
  good: string,
): ConfigError {
  const name = flagName(target);
  const usage = target instanceof Argument ? good : `${name} ${good}`;
  return new ConfigError(`${JSON.stringify(value)} is not ${expected}`, {
    key: name,
    fix: `use e.g. ${usage}`,
  });
}

function flagName(target: FlagTarget): string {
  if (target instanceof Option) return target.long ?? target.short ?? target.flags;
  if (target instanceof Argument) return `<${target.name()}>`;
  return "value";
}

function within(value: number, bounds: Bounds): boolean {
  return (
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max)
  );
}

function range({ min, max }: Bounds): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return "";
}

function example(target: FlagTarget, bounds: Bounds): string {
  if (bounds.example !== undefined) return String(bounds.example);
  const fallback = target?.defaultValue;
  if (typeof fallback === "number" && within(fallback, bounds)) return String(fallback);
  return String(bounds.min ?? Math.min(1, bounds.max ?? 1));
}
