/**
 * Evaluation harness benchmark (`npm run bench:eval`): samples/s through the whole of `m1 eval`
 * minus the model, i.e. dataset loading, prompt, chat template, the budget-forcing engine on the
 * zero-latency in-process backend (bench/support/instant-backend.ts), m1-exact scoring, one
 * SQLite commit per sample, and m1's result files. Target: at least 5,000 samples/s over 10K
 * samples.
 *
 * Printed:
 * 1. the per-sample harness (runExperiment: prompt, chat template, engine, scoring, a commit per
 *    sample), the number the target is about;
 * 2. the whole study (runStudy, as `m1 eval` runs it: + loading the eval file and writing m1's
 *    result files);
 * 3. the breakdown, each stage timed alone over the same samples: prompt + engine (and the
 *    instant backend's own share of it), scoring, store commit (sample row + response-cache
 *    pointer, one transaction); then the harness without the instant backend;
 * 4. bytes stored per sample (SQLite file size after a checkpoint / samples).
 *
 * Rates are given by CPU time and by wall time: on a shared machine the wall time mostly measures
 * the other processes; the CPU time is what this process spent.
 *
 * Environment: BENCH_SAMPLES (default 10000), BENCH_REPEATS (default 3; the median is printed),
 * BENCH_LOOP_ONLY=1 (only part 1, e.g. under `node --import tsx --cpu-prof bench/eval.ts`).
 * Speed targets live here, never in tests.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../src/backends/types.js";
import { generateWithBudget } from "../src/engine/budget-forcing.js";
import type { GenerationRecord } from "../src/engine/record.js";
import { validateEvalConfig } from "../src/eval/config/load.js";
import { loadEvalDataset } from "../src/eval/datasets/index.js";
import type { EvalItem, EvalSample } from "../src/eval/datasets/types.js";
import { planStudy } from "../src/eval/study/plan.js";
import { buildSamplePrompt } from "../src/eval/prompt.js";
import { questionKey, runExperiment, toStoredQuestion } from "../src/eval/study/runner.js";
import { scoreSample, type SampleScore } from "../src/eval/scoring/index.js";
import { EvalStore } from "../src/eval/store/index.js";
import { Mulberry32 } from "../src/random/index.js";
import { answeredSampleRow } from "../src/eval/study/sample-row.js";
import { engineSettings, queryPromptSettings, runStudy } from "../src/eval/study/study.js";
import type { ModelScript } from "../test/support/scripted-backend.js";
import { createInstantBackend } from "./support/instant-backend.js";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** BENCH_LOOP_ONLY=1: only the per-sample harness (to profile it with --cpu-prof). */
const LOOP_ONLY = process.env.BENCH_LOOP_ONLY === "1";
const TARGET_SAMPLES_PER_SECOND = 5_000;
const THINKING_BUDGET = 512;

// ---- realistic m1-format questions ----------------------------------------------------------

/** Uniform numbers from a seeded generator (src/random), so every run sees the same data. */
function random(seed: number): () => number {
  const generator = new Mulberry32(seed);
  return () => generator.nextFloat();
}

const WORDS = (
  "patient presents with fever cough dyspnea chest pain history of hypertension diabetes " +
  "examination reveals tachycardia crackles bilateral lower lobes laboratory studies show " +
  "elevated leukocyte count serum creatinine sodium potassium bicarbonate arterial blood gas " +
  "chest radiograph infiltrate consolidation effusion most likely diagnosis next best step " +
  "management treatment mechanism of action adverse effect contraindicated renal hepatic " +
  "cardiac pulmonary infection inflammation autoimmune deficiency syndrome acute chronic " +
  "therefore because however consider exclude likely unlikely symptoms signs findings"
).split(" ");

const OPTION_TEXTS = [
  "Community-acquired pneumonia",
  "Pulmonary embolism",
  "Acute decompensated heart failure",
  "Iron deficiency anemia",
  "Vitamin B12 deficiency",
  "Begin intravenous antibiotics",
  "Obtain a CT pulmonary angiogram",
  "Inhibition of xanthine oxidase",
  "Hyperkalemia",
  "Metabolic acidosis",
  "Sarcoidosis",
  "Systemic lupus erythematosus",
  "Observation and reassurance",
  "Lumbar puncture",
];

const SOURCES = [
  "MedMCQA_validation",
  "MedQA_USLME_test",
  "PubMedQA_test",
  "MMLU-Pro_Medical_test",
];

function sentence(next: () => number, words: number): string {
  const picked = Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]!);
  return `${picked.join(" ")}.`;
}

function makeEvalFile(count: number): Record<string, EvalItem[]> {
  const next = random(7);
  const file: Record<string, EvalItem[]> = Object.fromEntries(SOURCES.map((s) => [s, []]));
  for (let index = 0; index < count; index++) {
    const source = SOURCES[index % SOURCES.length]!;
    const optionCount = source === "PubMedQA_test" ? 3 : source.startsWith("MMLU") ? 10 : 4;
    const letters = "ABCDEFGHIJ".slice(0, optionCount).split("");
    const options: Record<string, string> = {};
    const start = Math.floor(next() * OPTION_TEXTS.length);
    letters.forEach((letter, offset) => {
      options[letter] =
        source === "PubMedQA_test"
          ? ["yes", "no", "maybe"][offset]!
          : `${OPTION_TEXTS[(start + offset) % OPTION_TEXTS.length]} (${index}.${offset})`;
    });
    const answerIdx = letters[Math.floor(next() * letters.length)]!;
    const question = [
      `A ${20 + (index % 60)}-year-old patient (case ${index}) is evaluated.`,
      sentence(next, 40),
      sentence(next, 35),
      "Which of the following is the most likely answer?",
    ].join(" ");
    file[source]!.push({ question, options, answer: options[answerIdx]!, answer_idx: answerIdx });
  }
  return file;
}

/**
 * The scripted model: a few hundred tokens of thinking, then `<|im_start|>answer` (the stop
 * string) and a boxed answer: right about 60% of the time, as a letter, `X. text` or the text;
 * one question in eight thinks past the budget (the `Final Answer:` path).
 */
function makeScript(samples: readonly EvalSample[]): ModelScript {
  const byQuestion = new Map(samples.map((sample) => [sample.question, sample]));
  const thinking = new Map<string, string>();
  return (text) => {
    const caseMatch = / \(case (\d+)\) /.exec(text);
    const caseNumber = Number(caseMatch?.[1] ?? 0);
    if (text.endsWith("<|im_start|>think\n")) {
      const long = caseNumber % 8 === 0;
      let body = thinking.get(String(long));
      if (!body) {
        const next = random(long ? 11 : 13);
        body = Array.from({ length: long ? 60 : 14 }, () => sentence(next, 10)).join(" ");
        thinking.set(String(long), body);
      }
      return `Okay, let me think. ${body}<|im_start|>answer\nThe answer is B.<|im_end|>`;
    }
    // The answer phase: find the question to answer right or wrong.
    const questionStart = text.indexOf("<|im_start|>user\n") + "<|im_start|>user\n".length;
    const question = text.slice(questionStart, text.indexOf("\nA. ", questionStart));
    const sample = byQuestion.get(question);
    const letters = sample ? Object.keys(sample.options) : ["A"];
    const right = caseNumber % 5 < 3;
    const letter = right
      ? (sample?.answer_idx ?? "A")
      : letters.find((candidate) => candidate !== sample?.answer_idx)!;
    const optionText = sample?.options[letter] ?? "";
    const boxed =
      caseNumber % 3 === 0
        ? letter
        : caseNumber % 3 === 1
          ? `${letter}. ${optionText}`
          : optionText;
    return `\nBased on the findings, the best choice is ${letter}.\n\n\\boxed{${boxed}}<|im_end|>`;
  };
}

/** The backend with the time spent inside its sequences' calls added to `meter`. */
function metered(backend: Backend, meter: Measured): Backend {
  const measure = async <T>(work: () => Promise<T>): Promise<T> => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    try {
      return await work();
    } finally {
      const used = process.cpuUsage(cpuStart);
      meter.cpu += (used.user + used.system) / 1e6;
      meter.seconds += (performance.now() - start) / 1000;
    }
  };
  return {
    ...backend,
    renderChat: (messages) => measure(() => backend.renderChat(messages)),
    countTokens: (text) => measure(() => backend.countTokens(text)),
    openSequence: async (prompt, options) => {
      const sequence = await measure(() => backend.openSequence(prompt, options));
      return {
        get text() {
          return sequence.text;
        },
        promptTokens: sequence.promptTokens,
        get evaluatedTokens() {
          return sequence.evaluatedTokens;
        },
        generate: (request) => measure(() => sequence.generate(request)),
        append: (text, appendOptions) => measure(() => sequence.append(text, appendOptions)),
        probe: (text, request) => measure(() => sequence.probe(text, request)),
        dispose: () => sequence.dispose(),
        [Symbol.asyncDispose]: () => sequence.dispose(),
      };
    },
  };
}

/** The one experiment row each timed store holds. */
function createBenchExperiment(store: EvalStore, evalPath: string, sampleCount: number) {
  return store.createExperiment({
    name: "bench/version_0",
    exp_dir: "bench",
    version: 0,
    model: "instant",
    thinking_budget: THINKING_BUDGET,
    wait_rounds: 0,
    seed: 42,
    thinking_format: "m1",
    eval_data_path: evalPath,
    total_samples: sampleCount,
    config: {},
  });
}

// ---- measurement helpers ---------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timed<T>(
  work: () => Promise<T>,
): Promise<{ seconds: number; cpu: number; value: T }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpuStart);
  return { seconds, cpu: (used.user + used.system) / 1e6, value };
}

interface Measured {
  seconds: number;
  cpu: number;
}

function medianOf(runs: readonly Measured[]): Measured {
  return {
    seconds: median(runs.map((run) => run.seconds)),
    cpu: median(runs.map((run) => run.cpu)),
  };
}

const perSecond = (count: number, seconds: number) => Math.round(count / seconds);

/** `N samples/s by CPU time (x µs each), M by wall time (y s)`. */
function rates(run: Measured, count: number): string {
  return (
    `${perSecond(count, run.cpu)} samples/s by CPU time (${microseconds(run.cpu, count)} each), ` +
    `${perSecond(count, run.seconds)} by wall time (${run.seconds.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU)`
  );
}
const microseconds = (seconds: number, count: number) =>
  `${((seconds / count) * 1e6).toFixed(1)} µs`;

// ---- the benchmark ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "m1-bench-eval-"));
  try {
    const evalPath = join(root, "bench_eval_data.json");
    writeFileSync(evalPath, JSON.stringify(makeEvalFile(SAMPLES), null, 2));
    const dataset = await loadEvalDataset(evalPath);
    const samples = dataset.samples;
    const script = makeScript(samples);
    const baseConfig = {
      eval_data_path: evalPath,
      force_think: true,
      max_new_tokens: THINKING_BUDGET,
      max_new_answer_tokens: 64,
      suffix_prompt: "Return your final response within \\boxed{{}}.",
      exp_name: "bench",
      concurrency: 16,
    };

    console.log(
      `m1 eval harness benchmark: ${samples.length} samples, thinking budget ${THINKING_BUDGET}, ` +
        `${cpus().length} cores (load ${loadavg()[0]!.toFixed(1)}), median of ${REPEATS}`,
    );

    // 1. The per-sample harness (runExperiment: what every sample goes through) and 2. the whole
    // study (runStudy, as `m1 eval` runs it: + loading the eval file and writing m1's files).
    const loopRuns: Measured[] = [];
    const studyRuns: Measured[] = [];
    const storeBytes: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const loopDir = join(root, `loop-${repeat}`);
      const loopConfig = validateEvalConfig({ ...baseConfig, output_dir: loopDir });
      const loopPoint = planStudy(loopConfig).models[0]!.points[0]!;
      const store = EvalStore.openInDirectory(loopDir);
      const experiment = createBenchExperiment(store, evalPath, samples.length);
      const loop = await timed(() =>
        runExperiment({
          store,
          backend: createInstantBackend(script),
          experiment,
          samples,
          engine: engineSettings(loopConfig, loopPoint),
          prompt: queryPromptSettings(loopConfig),
          concurrency: 16,
          useCache: true,
          modelIdentity: "instant",
        }),
      );
      if (loop.value.answered !== samples.length) {
        throw new Error(`the runner answered ${loop.value.answered}/${samples.length} samples`);
      }
      loopRuns.push(loop);
      store.db.pragma("wal_checkpoint(TRUNCATE)");
      store.close();
      storeBytes.push(statSync(join(loopDir, "m1.sqlite")).size);

      if (LOOP_ONLY) continue;
      const studyDir = join(root, `study-${repeat}`);
      const studyConfig = validateEvalConfig({ ...baseConfig, output_dir: studyDir });
      const study = await timed(() =>
        runStudy({
          config: studyConfig,
          openBackend: async () => ({
            backend: createInstantBackend(script),
            modelIdentity: "instant",
            modelName: "instant",
            concurrency: 16,
            notes: [],
          }),
        }),
      );
      const answered = study.value.experiments[0]?.run?.answered ?? 0;
      if (answered !== samples.length || study.value.failedSamples > 0) {
        throw new Error(`the study answered ${answered}/${samples.length} samples`);
      }
      studyRuns.push(study);
    }
    const loop = medianOf(loopRuns);
    if (LOOP_ONLY) {
      console.log(`per-sample harness: ${rates(loop, samples.length)}`);
      return;
    }
    const study = medianOf(studyRuns);
    const verdict = (rate: number) => (rate >= TARGET_SAMPLES_PER_SECOND ? "met" : "MISSED");
    console.log(
      `\n1. Per-sample harness (runExperiment: prompt, engine, scoring, commit as each completes)`,
    );
    console.log(`   ${rates(loop, samples.length)}`);
    console.log(
      `   target >= ${TARGET_SAMPLES_PER_SECOND} samples/s: ${verdict(perSecond(samples.length, loop.cpu))} ` +
        `by CPU time, ${verdict(perSecond(samples.length, loop.seconds))} by wall time`,
    );
    console.log(`\n2. Whole study (runStudy: + load the eval file, write m1's result files)`);
    console.log(`   ${rates(study, samples.length)}`);

    // 2. The breakdown: each stage alone over the same samples.
    const config = validateEvalConfig({ ...baseConfig, output_dir: join(root, "stages") });
    const point = planStudy(config).models[0]!.points[0]!;
    const engine = engineSettings(config, point);
    const prompt = queryPromptSettings(config);
    const stageTimes = {
      engine: [] as Measured[],
      model: [] as Measured[],
      scoring: [] as Measured[],
      store: [] as Measured[],
    };
    let records: GenerationRecord[] = [];
    let scores: SampleScore[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const meter = { cpu: 0, seconds: 0 };
      const backend = metered(createInstantBackend(script), meter);
      const engineRun = await timed(async () => {
        const out: GenerationRecord[] = [];
        for (const sample of samples) {
          const rendered = await backend.renderChat([
            { role: "user", content: buildSamplePrompt(sample, prompt) },
          ]);
          out.push(await generateWithBudget(backend, rendered, engine));
        }
        return out;
      });
      records = engineRun.value;
      stageTimes.engine.push(engineRun);
      stageTimes.model.push({ ...meter });

      const scoringRun = await timed(async () =>
        samples.map((sample, index) =>
          scoreSample({
            response_text: records[index]!.response_text,
            answer: sample.answer,
            answer_idx: sample.answer_idx,
            option_str: sample.option_str,
          }),
        ),
      );
      scores = scoringRun.value;
      stageTimes.scoring.push(scoringRun);

      const storeDir = join(root, `stages-${repeat}`);
      const store = EvalStore.openInDirectory(storeDir);
      const experiment = createBenchExperiment(store, evalPath, samples.length);
      store.upsertQuestions(samples.map((sample) => toStoredQuestion(sample)));
      const storeRun = await timed(async () => {
        samples.forEach((sample, index) => {
          const record = records[index]!;
          const score = scores[index]!;
          store.recordSample(
            answeredSampleRow(
              {
                experiment_id: experiment.id,
                sample_index: index,
                question_key: questionKey(sample),
                source: sample.source,
                started_at: new Date().toISOString(),
                elapsed_ms: 0,
              },
              { record, score, probes: [], cached: false },
            ),
            { cacheKey: `bench-${repeat}-${index}` },
          );
        });
        store.flush();
      });
      stageTimes.store.push(storeRun);
      store.close();
    }
    const stages: Array<[string, Measured]> = [
      ["prompt + engine (instant backend)", medianOf(stageTimes.engine)],
      ["  of which the instant backend", medianOf(stageTimes.model)],
      ["scoring (m1-exact)", medianOf(stageTimes.scoring)],
      ["store commit (sample + cache)", medianOf(stageTimes.store)],
    ];
    const sum = stages.reduce(
      (total, [name, run]) => total + (name.startsWith(" ") ? 0 : run.cpu),
      0,
    );
    console.log(`\n3. Breakdown (each stage alone over the same samples; CPU time, wall time)`);
    for (const [name, run] of stages) {
      console.log(
        `   ${name.padEnd(38)} ${microseconds(run.cpu, samples.length).padStart(9)} CPU ` +
          `${microseconds(run.seconds, samples.length).padStart(9)} wall  ` +
          `${((100 * run.cpu) / sum).toFixed(0).padStart(3)}% of CPU`,
      );
    }
    // The instant backend stands in for the model; what the harness itself costs is the rest.
    const ownCpu = loop.cpu - medianOf(stageTimes.model).cpu;
    console.log(
      `   per-sample harness without the instant backend (1. minus its share): ` +
        `${microseconds(ownCpu, samples.length)} CPU, ${perSecond(samples.length, ownCpu)} samples/s ` +
        `(target ${verdict(perSecond(samples.length, ownCpu))})`,
    );

    const correct = scores.filter((score) => score.correct).length;
    const thinkingTokens = records.reduce((total, record) => total + record.thinking_tokens, 0);
    const bytes = median(storeBytes);
    console.log(`\n4. Storage`);
    console.log(
      `   ${(bytes / samples.length).toFixed(0)} bytes per sample (m1.sqlite ${(bytes / 1e6).toFixed(1)} MB ` +
        `for ${samples.length} samples after a checkpoint: questions, samples, cache pointers)`,
    );
    console.log(
      `\n   (data: ${((100 * correct) / samples.length).toFixed(1)}% correct, ` +
        `${(thinkingTokens / samples.length).toFixed(0)} thinking tokens per sample on average)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
