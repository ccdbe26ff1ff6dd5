import { Command, CommanderError } from "commander";
import { M1Error } from "../errors.js";
import { registerCommands } from "./commands/index.js";
import { installInterruptHandler } from "./interrupt.js";
import { printError } from "./output.js";
import { reportUsageErrorsInM1Form } from "./usage-errors.js";
import { M1_VERSION } from "../version.js";

/**
 * Builds the `m1` program. With `argv`, only the command it names is loaded (fast start-up);
 * without, every command is (programmatic use).
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command("m1")
    .description(
      "m1: test-time scaling for medical reasoning models.\n" +
        "Thinking budgets and budget forcing on a local GGUF model or an OpenAI-compatible server,\n" +
        "m1-exact evaluation, reports, data curation and fine-tuning launch.",
    )
    .version(M1_VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.addHelpText(
    "after",
    "\nStart with `m1 demo` (a small study on the bundled smoke model), or `m1 ask --help`.",
  );
  await registerCommands(program, argv ? requestedCommands(argv) : undefined);
  // Every command reports usage errors the same way: one line in m1's form, exit 2.
  reportUsageErrorsInM1Form(program);
  for (const command of allCommands(program)) {
    command.exitOverride();
    reportUsageErrorsInM1Form(command);
  }
  return program;
}

/** The command names an argv asks for: `m1 eval ...` -> eval; `m1 help curate` -> curate. */
function requestedCommands(argv: readonly string[]): Set<string> {
  const words = argv.slice(2).filter((word) => !word.startsWith("-"));
  return new Set(words[0] === "help" ? words.slice(1, 2) : words.slice(0, 1));
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}

let pipesWatched = false;

/** `m1 ... | head` closes the pipe early: that is the reader's choice, not an error. */
function ignoreClosedPipes(): void {
  if (pipesWatched) return;
  pipesWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  installInterruptHandler();
  ignoreClosedPipes();
  const program = await buildProgram(argv);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0.
      if (error.exitCode === 0) return 0;
      return 2;
    }
    if (error instanceof M1Error) {
      printError(error.message);
      return error.exitCode;
    }
    process.stderr.write(`m1: unexpected error (please report it):\n`);
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
