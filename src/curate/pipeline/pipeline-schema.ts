import { z } from "zod";
import { askOptionsShape } from "../ask/ask-options.js";
import { priceTableSchema } from "../ask/prices.js";
import { DEFAULT_MAX_REASKS } from "../classify/classify-rows.js";
import { DEFAULT_MESH_RUBRIC, MESH_RUBRICS } from "../classify/mesh-rubric.js";
import { COLLECT_DEFAULTS } from "../collect/collect.js";
import { DEFAULT_SIMILARITY_THRESHOLD } from "../dedup/threshold.js";
import { SELECT_DEFAULTS, SELECT_STRATEGIES } from "../select/select-rows.js";

/**
 * pipeline.yaml: the curation recipe as data. Steps run in the order written; each reads the
 * previous step's `out` unless it names its own `in`. Relative paths resolve against the YAML
 * file's folder. See docs/curation.md for m1's complete recipe.
 */

const path = z.string().min(1);
/** A path with a typical value to show when one is missing or bad. */
const pathLike = (example: string) => path.meta({ examples: [example] });

/** Keys every step has. */
const common = {
  /** Unique label (default: the step kind); needed when a kind appears twice (two asks). */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .meta({ examples: ["qwen-7b"], note: "use letters, digits, '.', '_' or '-'" })
    .optional(),
  /** Input rows (default: the previous step's `out`). */
  in: pathLike("rows.jsonl").optional(),
  out: pathLike("rows.next.jsonl"),
  /** Also push the output rows to this hub dataset (owner/name), as m1 pushed every stage. */
  push_to_hub: z
    .string()
    .regex(/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/)
    .meta({ examples: ["me/m196k-dedup"], note: "write owner/name" })
    .optional(),
  /** Create the push_to_hub repo private. */
  private: z.boolean().optional(),
};

const threshold = z.number().min(0).max(100).default(DEFAULT_SIMILARITY_THRESHOLD);

const collectStep = z
  .object({
    step: z.literal("collect"),
    name: common.name,
    out: common.out,
    push_to_hub: common.push_to_hub,
    private: common.private,
    medqa: pathLike("raw/medqa_train.jsonl").optional(),
    medmcqa: pathLike("raw/medmcqa_train.parquet").optional(),
    headqa: pathLike("raw/headqa_train.jsonl").optional(),
    pubmedqa: pathLike("raw/ori_pqal.json").optional(),
    seed: z.number().int().nonnegative().default(COLLECT_DEFAULTS.seed),
    medmcqa_cop_base: z
      .union([z.literal(0), z.literal(1)])
      .default(COLLECT_DEFAULTS.medmcqa_cop_base),
  })
  .strict()
  .refine((step) => step.medqa || step.medmcqa || step.headqa || step.pubmedqa, {
    message: "name at least one of medqa, medmcqa, headqa, pubmedqa",
    path: ["medqa"],
  });

const dedupStep = z
  .object({
    step: z.literal("dedup"),
    ...common,
    column: z.string().min(1).default("prompt"),
    threshold,
  })
  .strict();

/** One reference: a file and the field compared, or a benchmark of `m1 data fetch`. */
const referenceEntry = z.union([
  z.object({ file: path, field: z.string().min(1).optional() }).strict(),
  z.object({ dataset: z.string().min(1) }).strict(),
]);

const decontaminateStep = z
  .object({
    step: z.literal("decontaminate"),
    ...common,
    /** The evaluation file (m1_eval_data.json: source -> items with `question`). */
    eval: pathLike("m1_eval_data.json").optional(),
    /** More references, each with its own field; `- dataset: m1-references` for m1's six. */
    against: z.array(referenceEntry).min(1).optional(),
    column: z.string().min(1).default("prompt"),
    threshold,
  })
  .strict()
  .refine((step) => step.eval !== undefined || step.against !== undefined, {
    message: "name what to compare against: eval, against, or both",
    path: ["eval"],
  });

const { preset: _preset, ...askKeys } = askOptionsShape;

const askStep = z
  .object({
    step: z.literal("ask"),
    ...common,
    ...askKeys,
    preset: z.enum(["difficulty", "distill"]).optional(),
    /** Name of an entry of the top-level `endpoints:` (base_url, api_key_env, limits...). */
    endpoint: z.string().min(1).optional(),
  })
  .strict();

const filterStep = z
  .object({
    step: z.literal("filter"),
    ...common,
    response_columns: z
      .array(z.string().min(1))
      .min(1)
      .meta({ examples: [["qwen7b_answer", "qwen32b_answer"]] }),
    keep: z.enum(["correct", "incorrect"]),
    annotate: z.boolean().default(false),
  })
  .strict();

const classifyStep = z
  .object({
    step: z.literal("classify"),
    ...common,
    ...askKeys,
    endpoint: z.string().min(1).optional(),
    /** Re-asks of rows whose answer ends without a valid code (m1: 1). */
    max_reasks: z.number().int().nonnegative().default(DEFAULT_MAX_REASKS),
    /** `mesh` (76 qualifiers, m1K's) or `mesh-hierarchical` (26 with sub-trees). */
    rubric: z.enum(MESH_RUBRICS).default(DEFAULT_MESH_RUBRIC),
  })
  .strict();

const selectStep = z
  .object({
    step: z.literal("select"),
    ...common,
    size: z.number().int().positive().default(SELECT_DEFAULTS.size),
    seed: z.number().int().nonnegative().default(SELECT_DEFAULTS.seed),
    /** domain-source (m1K), domain, random, hard-random (m1's data ablation). */
    strategy: z.enum(SELECT_STRATEGIES).default(SELECT_DEFAULTS.strategy),
    /** random: rows drawn = int(size / estimated_accuracy) (m1: 0.8). */
    estimated_accuracy: z.number().gt(0).max(1).default(SELECT_DEFAULTS.estimated_accuracy),
  })
  .strict();

const formatStep = z
  .object({
    step: z.literal("format"),
    ...common,
    chat_template: pathLike("qwen2.5.jinja").optional(),
    tokenizer_config: pathLike("Qwen2.5-7B-Instruct/tokenizer_config.json").optional(),
    tokenizer: pathLike("Qwen2.5-7B-Instruct/tokenizer.json").optional(),
    block_size: z.number().int().positive().optional(),
  })
  .strict();

/** A one-step recipe, shown when `steps:` is missing or empty. */
export const STEPS_EXAMPLE = [{ step: "select", in: "classified.jsonl", out: "m1k.jsonl" }];

export const STEP_KINDS = [
  "collect",
  "dedup",
  "decontaminate",
  "ask",
  "filter",
  "classify",
  "select",
  "format",
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const pipelineStepSchema = z.discriminatedUnion("step", [
  collectStep,
  dedupStep,
  decontaminateStep,
  askStep,
  filterStep,
  classifyStep,
  selectStep,
  formatStep,
]);

/** Connection settings shared by several steps (an ask or classify step names one). */
const endpointSchema = z
  .object({
    base_url: askOptionsShape.base_url,
    api_key_env: askOptionsShape.api_key_env,
    rpm: askOptionsShape.rpm,
    tpm: askOptionsShape.tpm,
    burst_seconds: askOptionsShape.burst_seconds,
    concurrency: askOptionsShape.concurrency,
    max_retries: askOptionsShape.max_retries,
    timeout_seconds: askOptionsShape.timeout_seconds,
  })
  .strict();

export const pipelineSchema = z
  .object({
    endpoints: z.record(z.string(), endpointSchema).optional(),
    prices: priceTableSchema.optional(),
    /** Response cache for every ask/classify step (default: ~/.cache/m1/curate/...). */
    cache: pathLike("cache/chat-answers.sqlite").optional(),
    steps: z
      .array(pipelineStepSchema)
      .min(1)
      .meta({ examples: [STEPS_EXAMPLE] }),
  })
  .strict();

export type PipelineStep = z.infer<typeof pipelineStepSchema>;
export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type EndpointConfig = z.infer<typeof endpointSchema>;
export type AskStep = z.infer<typeof askStep>;
export type ClassifyStep = z.infer<typeof classifyStep>;
export type ReferenceEntry = z.infer<typeof referenceEntry>;
