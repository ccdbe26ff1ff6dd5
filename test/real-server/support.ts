import { writeFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import type { GenerationRecord } from "../../src/engine/record.js";
import { EvalStore } from "../../src/eval/store/index.js";
import { PUBMEDQA_DEMO } from "../fixtures/eval/cli.js";

export type ComparedRecord = Omit<GenerationRecord, "evaluated_tokens" | "probe_answers">;

/**
 * What the engine decides: every field of a record (the compiler checks that none is missing) but
 * `evaluated_tokens`, the embedded engine's own meter of what it read, and `probe_answers` (a list;
 * these studies run without probes, and `probe_tokens_total` says so).
 */
const COMPARED: Record<keyof ComparedRecord, true> = {
  thinking_text: true,
  thinking_finish_reason: true,
  response_text: true,
  finish_reason: true,
  num_gen_tokens: true,
  num_keep_think_below_budget: true,
  num_min_thinking_waits: true,
  thinking_tokens: true,
  answer_tokens: true,
  prompt_tokens: true,
  stopped_by: true,
  probe_tokens_total: true,
};
export const COMPARED_KEYS = Object.keys(COMPARED) as (keyof ComparedRecord)[];

/** One stored sample of a study, keyed `<experiment dir>#<sample index>`. */
export interface StudySample {
  record: ComparedRecord;
  error: string | null;
  startedAt: string;
}

/** Every sample of every experiment in an output directory's store. */
export function readStudy(outputDir: string): Map<string, StudySample> {
  const store = EvalStore.openInDirectory(outputDir, { readonly: true });
  try {
    const samples = new Map<string, StudySample>();
    for (const experiment of store.listExperiments()) {
      for (const sample of store.samplesWithQuestions(experiment.id)) {
        const key = `${experiment.exp_dir}#${sample.sample_index}`;
        if (samples.has(key)) throw new Error(`sample ${key} is stored twice`);
        const record = Object.fromEntries(
          COMPARED_KEYS.map((field) => [field, sample[field]]),
        ) as unknown as ComparedRecord;
        samples.set(key, { record, error: sample.error, startedAt: sample.started_at });
      }
    }
    return samples;
  } finally {
    store.close();
  }
}

/** Experiments' statuses by experiment directory. */
export function experimentStatuses(outputDir: string): Map<string, string> {
  const store = EvalStore.openInDirectory(outputDir, { readonly: true });
  try {
    return new Map(store.listExperiments().map((e) => [e.exp_dir, e.status]));
  } finally {
    store.close();
  }
}

/**
 * An `m1 eval` config on the bundled PubMedQA demo questions in m1's thinking format (the README
 * demo's settings), written to `dir/config.yaml`; `settings` adds or overrides keys.
 */
export function writeStudyConfig(dir: string, settings: Record<string, unknown>): string {
  const path = join(dir, "config.yaml");
  const config = {
    eval_data_path: PUBMEDQA_DEMO,
    force_think: true,
    thinking_format: "m1",
    suffix_prompt: "Return your final response within \\boxed{{}}.",
    exp_name: "real",
    ...settings,
  };
  writeFileSync(path, YAML.stringify(config));
  return path;
}

/** m1's answer prefixes (reference section 3). */
export const ANSWER_PREFIX = "<|im_start|>answer";
export const FORCED_ANSWER_PREFIX = "<|im_start|>answer\nFinal Answer:";

/** `POST /tokenize` on llama.cpp's server: the ids of a text, special tokens parsed. */
export async function llamaTokenize(
  serverBaseUrl: string,
  content: string,
  addSpecial = false,
): Promise<number[]> {
  const root = serverBaseUrl.replace(/\/v1$/, "");
  const response = await fetch(`${root}/tokenize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content, add_special: addSpecial, parse_special: true }),
  });
  const body = (await response.json()) as { tokens: number[] };
  return body.tokens;
}
