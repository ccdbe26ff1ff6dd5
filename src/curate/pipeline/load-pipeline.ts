import { createHash } from "node:crypto";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { layerAskOptions, type AskOptions } from "../ask/ask-options.js";
import { resolveAskSettings } from "../ask/ask-settings.js";
import { canonicalJson } from "../ask/response-cache.js";
import { parseConfig, readConfigFile, type ConfigFileLayer } from "../../config/index.js";
import {
  pipelineSchema,
  pipelineStepSchema,
  STEP_KINDS,
  STEPS_EXAMPLE,
  type AskStep,
  type ClassifyStep,
  type PipelineConfig,
  type PipelineStep,
} from "./pipeline-schema.js";

/** One step, checked and with every path resolved. */
export interface PlannedStep {
  /** 0-based position in the file. */
  index: number;
  name: string;
  config: PipelineStep;
  /** The rows it reads (absent for collect). */
  input?: string;
  /** Every file it reads: `input` plus sources, eval file, templates... */
  inputPaths: string[];
  output: string;
  /** Hash of everything that determines the output besides the input files. */
  settingsHash: string;
  /** The other files it reads, by config key (collect's sources, `eval`, `tokenizer`...), resolved. */
  files: Record<string, string>;
  /** For ask and classify: the layered chat options (endpoint, prices, cache included). */
  askOptions?: AskOptions;
}

export interface PipelinePlan {
  file: string;
  steps: PlannedStep[];
}

/** The file without its steps, which are checked one by one (so errors name the step). */
const topLevelShape = pipelineSchema.extend({
  steps: z
    .array(z.unknown())
    .min(1)
    .meta({ examples: [STEPS_EXAMPLE] }),
});

/** Read pipeline.yaml, validate every step, chain the inputs and resolve paths. */
export function loadPipeline(file: string): PipelinePlan {
  const yaml = readConfigFile(file, {
    flag: "the pipeline.yaml argument",
    what: "pipeline file",
    exampleLine: "steps: [{step: select, in: classified.jsonl, out: m1k.jsonl}]",
  });
  const top = parseConfig(topLevelShape, yaml);
  const base = dirname(resolve(file));
  const at = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const steps = top.steps.map((raw, index) => parseStep(raw, index, yaml));
  const config: PipelineConfig = { ...top, steps };

  const planned: PlannedStep[] = [];
  const names = new Set<string>();
  const outputs = new Map<string, string>();
  steps.forEach((step, index) => {
    const name = step.name ?? step.step;
    const where = `steps.${index}`;
    const fail = (key: string, message: string, fix?: string): never => {
      const line = yaml.origin.lineOf(["steps", index, key]);
      throw new ConfigError(`step '${name}': ${message}`, {
        file: line ? `${file}:${line}` : file,
        key: `${where}.${key}`,
        fix,
      });
    };
    if (names.has(name))
      fail(
        "name",
        `the name '${name}' is used twice`,
        `give each step a unique name:, e.g. name: ${name}-2`,
      );
    names.add(name);
    let input: string | undefined;
    if (step.step !== "collect") {
      if (step.in !== undefined) input = at(step.in);
      else if (planned.length > 0) input = planned[planned.length - 1]!.output;
      else
        fail(
          "in",
          "the first step reads nothing",
          "set in: to the rows file (e.g. in: rows.jsonl), or start with a collect step",
        );
    }
    const output = at(step.out);
    const earlier = outputs.get(output);
    if (earlier)
      fail(
        "out",
        `writes ${step.out}, which step '${earlier}' writes too`,
        "give each step its own out:",
      );
    if (input === output) {
      fail(
        "out",
        `reads and writes ${step.out}`,
        "give the step its own out:, e.g. out: rows.next.jsonl",
      );
    }
    outputs.set(output, name);

    const files = Object.fromEntries(
      Object.entries(extraInputFiles(step)).map(([key, path]) => [key, at(path)]),
    );
    let askOptions: AskOptions | undefined;
    if (step.step === "ask" || step.step === "classify") {
      askOptions = layeredAskOptions(step, config, at, fail);
      // Check required keys and the template now, not hours into the run (the key is read later).
      resolveAskSettings(askOptions, { file, keyPrefix: where, readApiKey: false });
    }
    const settings = {
      ...step,
      name: undefined,
      in: undefined,
      out: undefined,
      // Where a finished output is published does not change the output.
      push_to_hub: undefined,
      private: undefined,
      askOptions,
      prices: undefined,
    };
    planned.push({
      index,
      name,
      config: step,
      input,
      inputPaths: [...(input ? [input] : []), ...Object.values(files)],
      output,
      settingsHash: createHash("sha256")
        .update(
          canonicalJson({
            ...settings,
            askOptions: askOptions && { ...askOptions, prices: undefined },
          }),
        )
        .digest("hex"),
      askOptions,
      files,
    });
  });
  return { file, steps: planned };
}

function parseStep(raw: unknown, index: number, yaml: ConfigFileLayer): PipelineStep {
  const kind =
    typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>).step : undefined;
  const label =
    typeof raw === "object" &&
    raw !== null &&
    typeof (raw as Record<string, unknown>).name === "string"
      ? String((raw as Record<string, unknown>).name)
      : typeof kind === "string"
        ? kind
        : `#${index + 1}`;
  if (typeof kind !== "string" || !(STEP_KINDS as readonly string[]).includes(kind)) {
    const line = yaml.origin.lineOf(["steps", index, "step"]);
    throw new ConfigError(
      kind === undefined ? "step: is missing" : `unknown step kind '${String(kind)}'`,
      {
        file: line ? `${yaml.origin.path}:${line}` : yaml.origin.path,
        key: `steps.${index}.step`,
        fix: `use one of ${STEP_KINDS.join(", ")}`,
      },
    );
  }
  return parseConfig(pipelineStepSchema, yaml, { at: ["steps", index], label: `step '${label}':` });
}

/** The files a step reads besides its input rows, by config key. */
function extraInputFiles(step: PipelineStep): Record<string, string> {
  const keys: Partial<Record<PipelineStep["step"], readonly string[]>> = {
    collect: ["medqa", "pubmedqa", "headqa", "medmcqa"],
    decontaminate: ["eval"],
    format: ["chat_template", "tokenizer_config", "tokenizer"],
  };
  const files: Record<string, string> = {};
  for (const key of keys[step.step] ?? []) {
    const value = (step as Record<string, unknown>)[key];
    if (typeof value === "string") files[key] = value;
  }
  if (step.step === "decontaminate") {
    step.against?.forEach((entry, index) => {
      if ("file" in entry) files[`against.${index}`] = entry.file;
    });
  }
  return files;
}

/** endpoint <- step, with the pipeline's prices and cache; `classify` gets its preset. */
function layeredAskOptions(
  step: AskStep | ClassifyStep,
  config: PipelineConfig,
  at: (path: string) => string,
  fail: (key: string, message: string, fix?: string) => never,
): AskOptions {
  let endpoint: AskOptions | undefined;
  if (step.endpoint !== undefined) {
    endpoint = config.endpoints?.[step.endpoint];
    const names = Object.keys(config.endpoints ?? {});
    if (!endpoint) {
      fail(
        "endpoint",
        `no endpoint '${step.endpoint}' under endpoints:`,
        names.length > 0
          ? `use one of ${names.join(", ")}`
          : `define it, e.g. endpoints: {${step.endpoint}: {base_url: https://api.deepseek.com/v1}}`,
      );
    }
  }
  const {
    step: _kind,
    name: _name,
    in: _in,
    out: _out,
    endpoint: _endpoint,
    ...stepOptions
  } = step;
  // These belong to the classify loop and to publishing, not to the chat requests.
  const {
    max_reasks: _maxReasks,
    rubric: _rubric,
    push_to_hub: _push,
    private: _private,
    ...options
  } = stepOptions as typeof stepOptions & {
    max_reasks?: number;
    rubric?: string;
    push_to_hub?: string;
    private?: boolean;
  };
  const cache = options.cache ?? config.cache;
  return layerAskOptions(
    step.step === "classify" ? { preset: "classify" } : undefined,
    endpoint,
    options,
    {
      prices: { ...config.prices, ...options.prices },
      cache: cache === undefined ? undefined : at(cache),
      gguf: options.gguf === undefined ? undefined : at(options.gguf),
    },
  );
}
