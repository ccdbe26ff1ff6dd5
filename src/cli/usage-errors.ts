import type { Command } from "commander";
import { ConfigError } from "../errors.js";

/**
 * Commander's own usage errors (unknown option, missing value, too many arguments...) in m1's
 * form: one line naming the flag or argument, what is wrong, and a fix with an example, exit 2.
 * Commander words them for a terminal (`error: unknown option '--bugdet'` and a second line
 * `(Did you mean --budget?)`); every command's `error` is replaced so they never print that way.
 */
export function reportUsageErrorsInM1Form(command: Command): void {
  command.error = (message: string, options?: { code?: string }): never => {
    throw usageError(command, message, options?.code);
  };
}

/** The ConfigError for commander's `message` (with its `code`) about `command`. */
export function usageError(command: Command, message: string, code?: string): ConfigError {
  const path = commandPath(command);
  const help = `see ${path} --help`;
  const text = message.replace(/^error: /, "");
  const quoted = /'([^']*)'/.exec(text)?.[1] ?? "";
  const suggestion = /\(Did you mean (.+?)\?\)/.exec(text)?.[1];
  const flag = quoted.split(/[ ,]/)[0] ?? quoted;
  switch (code) {
    case "commander.unknownOption":
      return new ConfigError("unknown option", {
        key: quoted,
        fix: suggestion ? `did you mean ${suggestion}? ${help}` : `${help} for its options`,
      });
    case "commander.unknownCommand":
      return new ConfigError(`unknown command '${quoted}'`, {
        fix: suggestion
          ? `did you mean ${path} ${suggestion}? ${help}`
          : `${help} for the commands`,
      });
    case "commander.optionMissingArgument":
      return new ConfigError("needs a value", {
        key: flag,
        fix: `write a value after it, e.g. ${exampleOf(command, flag)}`,
      });
    case "commander.missingMandatoryOptionValue":
      return new ConfigError("is required", {
        key: flag,
        fix: `add ${quoted}; ${help}`,
      });
    case "commander.missingArgument":
      return new ConfigError(`the argument <${quoted}> is missing`, {
        fix: `write ${path} ${command.usage()}; ${help}`,
      });
    case "commander.excessArguments": {
      const [expected, got] = [...text.matchAll(/\d+/g)].map((match) => match[0]);
      return new ConfigError(`too many arguments: expected ${expected}, got ${got}`, {
        fix: `quote a value that holds spaces, e.g. ${path} "two words"; ${help}`,
      });
    }
    case "commander.invalidArgument": {
      // From `.choices()`: "option '--cop-base <n>' argument '2' is invalid. Allowed choices are 0, 1."
      const value = /argument '([^']*)' is invalid/.exec(text)?.[1] ?? "";
      const choices = /Allowed choices are (.+?)\.?$/.exec(text)?.[1];
      return new ConfigError(
        choices
          ? `${JSON.stringify(value)} is not one of ${choices}`
          : text.replace(/^.* is invalid\. /, ""),
        {
          key: flag,
          fix: choices ? `use e.g. ${flag} ${choices.split(", ")[0]}` : help,
        },
      );
    }
    default:
      return new ConfigError(text.split("\n")[0]!, { fix: help });
  }
}

/** `m1 curate dedup`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) {
    names.unshift(current.name());
  }
  return names.join(" ");
}

/** `--budget 2048` from the option's default when it has one, else its placeholder. */
function exampleOf(command: Command, flag: string): string {
  const option = command.options.find(
    (candidate) => candidate.long === flag || candidate.short === flag,
  );
  const value: unknown = option?.defaultValue;
  if (typeof value === "string" || typeof value === "number") return `${flag} ${value}`;
  return option?.flags.replace(/^-\w, /, "") ?? flag;
}
