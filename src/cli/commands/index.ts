import type { Command } from "commander";

/**
 * Every top-level command, in the order `m1 --help` lists them. Modules load on demand: only the
 * command being run is imported (node-llama-cpp, vega and fastify take seconds to load, and
 * `m1 score` or `m1 --help` should not pay for them). The others are listed by name and summary.
 */
interface CommandEntry {
  name: string;
  /** The one-line summary `m1 --help` shows: kept here only, since most modules are not loaded. */
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "demo",
    summary: "run a small budget x Wait study on the bundled smoke model (no download)",
    load: async () => (await import("./demo.js")).registerDemo,
  },
  {
    name: "ask",
    summary: "ask one question with a thinking budget; streams the thinking and the answer",
    load: async () => (await import("./ask.js")).registerAsk,
  },
  {
    name: "serve",
    summary: "serve a model as an OpenAI-compatible API with thinking budgets, Wait and effort",
    load: async () => (await import("./serve.js")).registerServe,
  },
  {
    name: "eval",
    summary: "evaluate on medical QA across thinking budgets and Wait rounds (m1-exact)",
    load: async () => (await import("./eval.js")).registerEval,
  },
  {
    name: "score",
    summary: "rescore an m1-format results file exactly as m1 does",
    load: async () => (await import("./score.js")).registerScore,
  },
  {
    name: "report",
    summary: "tables with 95% intervals, paired comparisons, plots and an HTML report",
    load: async () => (await import("./report.js")).registerReport,
  },
  {
    name: "view",
    summary: "browse experiments question by question in a local web app",
    load: async () => (await import("./view.js")).registerView,
  },
  {
    name: "data",
    summary: "convert benchmarks to m1's eval format, fetch m1's eval file, check a file",
    load: async () => (await import("./data.js")).registerData,
  },
  {
    name: "curate",
    summary:
      "build training data: collect, dedup, decontaminate, ask, filter, classify, select, format",
    load: async () => (await import("./curate.js")).registerCurate,
  },
  {
    name: "train",
    summary: "prepare, launch and check fine-tuning on TRL + accelerate (FSDP, Slurm)",
    load: async () => (await import("./train.js")).registerTrain,
  },
  {
    name: "smoke-model",
    summary: "write the tiny deterministic GGUF smoke model (a test fixture, not a real model)",
    load: async () => (await import("./smoke-model.js")).registerSmokeModel,
  },
];

/**
 * Register the commands. `only` names the commands to load fully (the one being run, or the one
 * `m1 help <name>` asks about); undefined loads them all (programmatic use, tests).
 */
export async function registerCommands(
  program: Command,
  only?: ReadonlySet<string>,
): Promise<void> {
  for (const entry of COMMANDS) {
    if (only === undefined || only.has(entry.name)) {
      (await entry.load())(program);
      program.commands.at(-1)!.summary(entry.summary);
    } else {
      program.command(entry.name).summary(entry.summary).helpOption(false);
    }
  }
}
