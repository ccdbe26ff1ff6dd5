import { join } from "node:path";
import { z } from "zod";
import { describeInvalid } from "../config/index.js";
import { InputError } from "../errors.js";
import { RUN_FILES } from "./run-files.js";
import { trainSettingsSchema } from "./settings.js";
import { readTextFile } from "../io/text-file.js";

/** run.json: everything `m1 train prepare` decided, and what `m1 train launch` reads back. */
export const runManifestSchema = z.object({
  kind: z.literal("m1-train-run"),
  version: z.literal(1),
  m1_version: z.string(),
  created_at: z.string(),
  command: z.array(z.string()),
  run_name: z.string(),
  model: z.object({
    name: z.string(),
    family: z.string().nullable(),
    decoder_layer_class: z.string(),
  }),
  data: z.object({
    path: z.string(),
    rows: z.number().int().nonnegative(),
    form: z.enum(["conversational", "text"]),
  }),
  settings: trainSettingsSchema,
  derived: z.object({
    gradient_accumulation_steps: z.number().int().positive(),
    world_size: z.number().int().positive(),
  }),
  files: z.record(z.string(), z.string()),
  token_lengths: z
    .object({
      tokenizer: z.string(),
      count: z.number(),
      mean: z.number(),
      max: z.number(),
      above_block_size: z.number(),
      above_block_size_ids: z.array(z.string()),
    })
    .nullable(),
});

export type RunManifest = z.output<typeof runManifestSchema>;

/** Read and check `RUN_DIR/run.json`; a folder that was never prepared is an InputError. */
export function readRunManifest(runDir: string): RunManifest {
  const path = join(runDir, RUN_FILES.manifest);
  const text = readTextFile(
    path,
    () =>
      new InputError(
        "not a prepared run folder (no run.json)",
        { file: runDir },
        "run `m1 train prepare --data FILE --model NAME --out RUN_DIR` first",
      ),
  );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { file: path });
  }
  const parsed = runManifestSchema.safeParse(value);
  if (!parsed.success) {
    const { key, problem } = describeInvalid(runManifestSchema, value, parsed.error);
    throw new InputError(
      problem,
      { file: path, field: key },
      "prepare the run again with `m1 train prepare`",
    );
  }
  return parsed.data;
}
