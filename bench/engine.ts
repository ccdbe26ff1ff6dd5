/**
 * Engine benchmark on the smoke model (`npm run bench:engine`), all in one run:
 * 1. threads: raw node-llama-cpp tokens/s with 1, 2, ... threads (justifies the default);
 * 2. overhead: a plain node-llama-cpp generation loop vs the backend and the budget-forcing engine
 *    producing the same tokens (target: engine >= 97% of raw);
 * 3. Wait rounds: tokens decoded to resume after each Wait (target: only the inserted tokens);
 * 4. parallel sequences: aggregate tokens/s with 1, 4 and 8 sequences, deterministic (one context
 *    per sequence) vs batched (one shared context), and whether each mode's records equal the
 *    one-at-a-time records (the cost of determinism, and what it buys).
 * On a shared machine wall-clock speed swings from one second to the next, so contenders run in
 * rotating order within each round, results are medians of per-round ratios, and CPU-time speeds
 * (less sensitive to other processes) are printed beside wall-clock ones.
 * Speed targets live here, never in tests.
 */
import { cpus, loadavg } from "node:os";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { createLlamaCppBackend, type LlamaCppBackend } from "../src/backends/llama-cpp/index.js";
import { loadLlamaRuntime } from "../src/backends/llama-cpp/runtime.js";
import type { Backend, GenerationSequence } from "../src/backends/types.js";
import { DEFAULT_BUDGET_FORCING } from "../src/engine/generation-settings.js";
import { generateWithBudget, type BudgetForcingSettings } from "../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../src/engine/thinking-formats.js";
import type { GenerationRecord } from "../src/engine/record.js";
import { loadEvalDataset } from "../src/eval/datasets/index.js";
import { buildSamplePrompt } from "../src/eval/prompt.js";
import { PACKAGE_ROOT } from "../src/paths.js";
import { ensureSmokeModel } from "../src/smoke/index.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PARALLEL_ROUNDS = Number(process.env.BENCH_PARALLEL_ROUNDS ?? 3);
/** Thinking tokens per overhead run; the chosen question never stops before it. */
const LONG_BUDGET = 400;

interface Speed {
  /** Tokens per wall-clock second. */
  wall: number;
  /** Tokens per CPU second of this process (all threads). */
  cpu: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join("  ");
}

/** Time `work`, which returns how many tokens it produced. */
async function measure(work: () => Promise<number>): Promise<Speed> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const tokens = await work();
  const used = process.cpuUsage(cpuStart);
  return {
    wall: tokens / ((performance.now() - start) / 1000),
    cpu: tokens / ((used.user + used.system) / 1e6),
  };
}

/** A plain node-llama-cpp loop: evaluate the prompt, take `count` greedy tokens, no stop logic. */
async function rawGeneration(
  model: LlamaModel,
  context: LlamaContext,
  prompt: string,
  count: number,
): Promise<Token[]> {
  const sequence = context.getSequence();
  try {
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate(model.tokenize(prompt, true), {
      temperature: 0,
      yieldEogToken: true,
    })) {
      tokens.push(token);
      if (tokens.length >= count) break;
    }
    return tokens;
  } finally {
    await sequence.dispose();
  }
}

async function benchThreads(modelPath: string, prompt: string): Promise<void> {
  const llama = await loadLlamaRuntime(false);
  const model = await llama.loadModel({ modelPath });
  const counts = [...new Set([1, 2, llama.cpuMathCores])].sort((a, b) => a - b);
  console.log(`\n1. Threads (raw node-llama-cpp, 200 greedy tokens, median of 3)`);
  console.log(`   cpuMathCores = ${llama.cpuMathCores}`);
  for (const threads of counts) {
    const context = await model.createContext({ contextSize: 1024, threads });
    const speeds: number[] = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      speeds.push(
        (await measure(async () => (await rawGeneration(model, context, prompt, 200)).length)).wall,
      );
    }
    await context.dispose();
    console.log(`   threads ${threads}: ${median(speeds).toFixed(0)} tokens/s`);
  }
  await model.dispose();
}

async function benchOverhead(backend: LlamaCppBackend, prompt: string): Promise<void> {
  const model = await (await loadLlamaRuntime(false)).loadModel({ modelPath: backend.modelPath });
  const context = await model.createContext({ contextSize: 2048, threads: backend.threads });
  const thinkingPrompt = prompt + M1_THINKING_FORMAT.thinkStart;
  const settings: BudgetForcingSettings = {
    ...DEFAULT_BUDGET_FORCING,
    thinkingFormat: M1_THINKING_FORMAT,
    thinkingBudget: LONG_BUDGET,
    answerBudget: 1,
  };
  const texts = new Set<string>();
  const contenders: Record<string, () => Promise<number>> = {
    raw: async () => {
      const tokens = await rawGeneration(model, context, thinkingPrompt, LONG_BUDGET);
      texts.add(model.detokenize(tokens, true));
      return tokens.length;
    },
    backend: async () => {
      const sequence = await backend.openSequence(thinkingPrompt);
      try {
        const result = await sequence.generate({
          maxTokens: LONG_BUDGET,
          stop: M1_THINKING_FORMAT.stopStrings,
          sampling: settings.sampling,
        });
        texts.add(result.text);
        return result.tokens;
      } finally {
        await sequence.dispose();
      }
    },
    engine: async () => {
      // The whole question: open, think, newline + forced answer prefix, 1 answer token, dispose.
      const record = await generateWithBudget(backend, prompt, settings);
      texts.add(record.thinking_text?.trimEnd() ?? "");
      return record.thinking_tokens + record.answer_tokens;
    },
  };
  const names = Object.keys(contenders);
  const speeds: Record<string, Speed[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate who goes first, so drifting load favours nobody.
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(round + turn) % names.length];
      speeds[name].push(await measure(contenders[name]));
    }
  }
  await context.dispose();
  await model.dispose();

  const ratio = (name: string, key: keyof Speed) =>
    median(speeds[name].map((speed, round) => speed[key] / speeds.raw[round][key]));
  console.log(
    `\n2. Overhead (${LONG_BUDGET} greedy tokens, ${ROUNDS} rounds in rotating order, medians)`,
  );
  const widths = [36, 10, 14, 16, 16];
  console.log(
    "   " + row(["", "tokens/s", "tokens/CPU-s", "vs raw (wall)", "vs raw (CPU)"], widths),
  );
  const labels: Record<string, string> = {
    raw: "plain node-llama-cpp loop",
    backend: "backend sequence.generate",
    engine: "engine generateWithBudget (+answer)",
  };
  for (const name of names) {
    console.log(
      "   " +
        row(
          [
            labels[name],
            median(speeds[name].map((speed) => speed.wall)).toFixed(0),
            median(speeds[name].map((speed) => speed.cpu)).toFixed(0),
            name === "raw" ? "" : percent(ratio(name, "wall")),
            name === "raw" ? "" : percent(ratio(name, "cpu")),
          ],
          widths,
        ),
    );
  }
  console.log(`   target: engine >= 97% of raw; all produced the same text: ${texts.size === 1}`);
}

/** Wraps a backend to record, per generate call, how many tokens llama.cpp decoded to resume. */
function measuringBackend(
  backend: LlamaCppBackend,
  resumeCosts: Array<{ inserted: number; decoded: number }>,
): Backend {
  return {
    ...backend,
    renderChat: (messages) => backend.renderChat(messages),
    countTokens: (text, options) => backend.countTokens(text, options),
    close: () => backend.close(),
    async openSequence(prompt, options) {
      const sequence = await backend.openSequence(prompt, options);
      let insertedSinceLastCall = 0;
      const wrapped: GenerationSequence = {
        get text() {
          return sequence.text;
        },
        get promptTokens() {
          return sequence.promptTokens;
        },
        get evaluatedTokens() {
          return sequence.evaluatedTokens;
        },
        async append(text, appendOptions) {
          const tokens = await sequence.append(text, appendOptions);
          insertedSinceLastCall += tokens;
          return tokens;
        },
        async generate(request) {
          const before = sequence.decodedTokens;
          const result = await sequence.generate(request);
          // A call decodes its input, then every generated token but the last.
          const resume = sequence.decodedTokens - before - Math.max(0, result.tokens - 1);
          resumeCosts.push({ inserted: insertedSinceLastCall, decoded: resume });
          insertedSinceLastCall = 0;
          return result;
        },
        probe: (text, request) => sequence.probe(text, request),
        dispose: () => sequence.dispose(),
        [Symbol.asyncDispose]: () => sequence.dispose(),
      };
      return wrapped;
    },
  };
}

async function benchWaitRounds(
  backend: LlamaCppBackend,
  prompts: readonly string[],
): Promise<void> {
  console.log(`\n3. Wait rounds (budget 600, up to 4 Wait rounds)`);
  const widths = [8, 12, 14, 28, 22];
  console.log(
    "   " +
      row(
        [
          "prompt",
          "Wait rounds",
          "prompt tokens",
          "evaluated - (prompt + gen)",
          "decoded/inserted per round",
        ],
        widths,
      ),
  );
  for (const [index, prompt] of prompts.entries()) {
    const resumeCosts: Array<{ inserted: number; decoded: number }> = [];
    const record = await generateWithBudget(measuringBackend(backend, resumeCosts), prompt, {
      ...DEFAULT_BUDGET_FORCING,
      thinkingFormat: M1_THINKING_FORMAT,
      thinkingBudget: 600,
      answerBudget: 32,
      waitRounds: 4,
    });
    // Call 0 reads the prompt; calls 1..K resume after a Wait; the last one after the answer prefix.
    const rounds = resumeCosts
      .slice(1, 1 + record.num_keep_think_below_budget)
      .map(({ inserted, decoded }) => `${decoded}/${inserted}`);
    const reread = (record.evaluated_tokens ?? 0) - (record.prompt_tokens + record.num_gen_tokens);
    console.log(
      "   " +
        row(
          [
            `#${index + 1}`,
            record.num_keep_think_below_budget,
            record.prompt_tokens,
            reread,
            rounds.length > 0 ? rounds.join(" ") : "-",
          ],
          widths,
        ),
    );
  }
  console.log(
    "   (decoded = tokens llama.cpp decoded before the round's first new token; inserted = Wait tokens)",
  );
}

/** Whether each record equals the reference's (same prompt order); how many differ. */
function differing(records: readonly GenerationRecord[], reference: readonly GenerationRecord[]) {
  return records.filter((record, index) => !isDeepStrictEqual(record, reference[index])).length;
}

async function benchParallel(modelPath: string, prompts: readonly string[]): Promise<void> {
  const settings: BudgetForcingSettings = {
    ...DEFAULT_BUDGET_FORCING,
    thinkingFormat: M1_THINKING_FORMAT,
    thinkingBudget: 200,
    answerBudget: 8,
    // Every question runs its whole budget, so runs are comparable.
    minThinkingTokens: 200,
  };
  console.log(
    `\n4. Parallel sequences, deterministic (a context per sequence) vs batched (one shared context)`,
  );
  console.log(
    `   ${prompts.length} PubMedQA demo questions, each 200 thinking + 8 answer tokens; ${PARALLEL_ROUNDS} rounds in rotating order, medians`,
  );
  const widths = [10, 15, 18, 14, 28];
  console.log(
    "   " +
      row(
        ["sequences", "mode", "aggregate tok/s", "tokens/CPU-s", "records differing from 1-seq"],
        widths,
      ),
  );
  let reference: GenerationRecord[] | undefined;
  for (const parallelSequences of [1, 4, 8]) {
    const modes = { deterministic: true, batched: false } as const;
    const backends = new Map<string, LlamaCppBackend>();
    for (const [name, deterministic] of Object.entries(modes)) {
      const backend = await createLlamaCppBackend({
        model: modelPath,
        gpu: false,
        parallelSequences,
        deterministic,
      });
      await backend.reserveContext(2048);
      backends.set(name, backend);
    }
    const names = [...backends.keys()];
    const speeds: Record<string, Speed[]> = Object.fromEntries(names.map((name) => [name, []]));
    const differ: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
    for (let round = 0; round < PARALLEL_ROUNDS; round++) {
      for (let turn = 0; turn < names.length; turn++) {
        const name = names[(round + turn) % names.length]!;
        const backend = backends.get(name)!;
        let records: GenerationRecord[] = [];
        speeds[name]!.push(
          await measure(async () => {
            records = await Promise.all(
              prompts.map((prompt) => generateWithBudget(backend, prompt, settings)),
            );
            return records.reduce((sum, record) => sum + record.num_gen_tokens, 0);
          }),
        );
        reference ??= records;
        differ[name] = Math.max(differ[name]!, differing(records, reference));
      }
    }
    for (const backend of backends.values()) await backend.close();
    for (const name of names) {
      console.log(
        "   " +
          row(
            [
              parallelSequences,
              name,
              median(speeds[name]!.map((speed) => speed.wall)).toFixed(0),
              median(speeds[name]!.map((speed) => speed.cpu)).toFixed(0),
              `${differ[name]} of ${prompts.length} (worst round)`,
            ],
            widths,
          ),
      );
    }
    const ratio = (key: keyof Speed) =>
      median(
        speeds.deterministic!.map((speed, round) => speed[key] / speeds.batched![round]![key]),
      );
    console.log(
      `   ${"".padEnd(widths[0]!)}  deterministic / batched: ${percent(ratio("wall"))} wall, ${percent(ratio("cpu"))} CPU`,
    );
  }
}

async function main(): Promise<void> {
  const modelPath = await ensureSmokeModel();
  console.log(`m1 engine benchmark on the smoke model (${modelPath})`);
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((load) => load.toFixed(1))
      .join(" ")} at start`,
  );
  const backend = await createLlamaCppBackend({ model: modelPath, gpu: false, contextSize: 2048 });
  await backend.reserveContext(2048);
  console.log(`backend: ${backend.description}`);
  const questions = [
    "What is the most likely diagnosis?",
    "hello",
    "Which drug treats hypertension?",
    "A 45-year-old man has chest pain.",
    "Why?",
    "Thyroid",
    "Explain diabetic ketoacidosis.",
    "What is the answer?",
  ];
  const prompts = await Promise.all(
    questions.map((question) => backend.renderChat([{ role: "user", content: question }])),
  );

  await benchThreads(modelPath, prompts[0]);
  await benchOverhead(backend, prompts[0]);
  await benchWaitRounds(backend, prompts);
  // The demo's questions: long prompts (about 1,000 tokens each on the smoke tokenizer), as in
  // `m1 demo`, where batching used to change results.
  const demo = await loadEvalDataset(join(PACKAGE_ROOT, "data", "demo", "pubmedqa_demo.json"), {
    limit: 16,
  });
  const demoPrompts = await Promise.all(
    demo.samples.map((sample) =>
      backend.renderChat([{ role: "user", content: buildSamplePrompt(sample, {}) }]),
    ),
  );
  await backend.close();
  await benchParallel(modelPath, demoPrompts);
}

await main();
