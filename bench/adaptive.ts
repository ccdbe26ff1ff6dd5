/**
 * Adaptive-compute benchmark (`npm run bench:adaptive`), all in one run:
 * 1. the cost of answer probes on the embedded backend (smoke model, greedy): thinking tokens/s
 *    with a probe every 64 or 256 thinking tokens against none, the probe tokens spent, and that
 *    the thinking and the answers stay the same (probes with early exit off change nothing);
 * 2. what early exit saves on the scripted backend: thinking tokens with and without it, the
 *    compute spent including probes, and how many final answers stay the same.
 * Contenders run in rotating order within each round, and results are medians over rounds, with
 * CPU-time speeds beside wall-clock ones (a shared machine swings from one second to the next).
 */
import { loadavg } from "node:os";
import { createLlamaCppBackend } from "../src/backends/llama-cpp/index.js";
import type { AdaptiveSettings } from "../src/engine/adaptive.js";
import { generateWithBudget, type BudgetForcingSettings } from "../src/engine/budget-forcing.js";
import { DEFAULT_BUDGET_FORCING } from "../src/engine/generation-settings.js";
import type { GenerationRecord } from "../src/engine/record.js";
import { M1_THINKING_FORMAT } from "../src/engine/thinking-formats.js";
import { Mulberry32 } from "../src/random/index.js";
import { ensureSmokeModel } from "../src/smoke/index.js";
import { createScriptedBackend } from "../test/support/scripted-backend.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** Questions on which the smoke model thinks to the budget (greedy). */
const LONG_QUESTIONS = [
  "What is the most likely diagnosis?",
  "Why?",
  "Think step by step.",
  "A 45-year-old man has chest pain.",
];
const EMBEDDED_BUDGET = 512;
const ANSWER_TOKENS = 16;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((cell, index) => String(cell).padStart(widths[index] ?? 0)).join("  ");
}

function settings(adaptive: AdaptiveSettings | undefined, budget: number): BudgetForcingSettings {
  return {
    ...DEFAULT_BUDGET_FORCING,
    thinkingFormat: M1_THINKING_FORMAT,
    thinkingBudget: budget,
    answerBudget: ANSWER_TOKENS,
    ...(adaptive ? { adaptive } : {}),
  };
}

const probesEvery = (every: number, patience = 0): AdaptiveSettings => ({
  probeEvery: every,
  probeTokens: 16,
  earlyExitPatience: patience,
  loopCutoff: null,
});

async function benchProbeCost(): Promise<void> {
  console.log(
    `1. The cost of answer probes (embedded, smoke model, greedy, budget ${EMBEDDED_BUDGET}, ` +
      `${LONG_QUESTIONS.length} questions, ${ROUNDS} rounds; early exit off)`,
  );
  const backend = await createLlamaCppBackend({
    model: await ensureSmokeModel(),
    gpu: false,
    contextSize: 2048,
  });
  const prompts = await Promise.all(
    LONG_QUESTIONS.map((question) => backend.renderChat([{ role: "user", content: question }])),
  );
  const contenders: Array<[string, AdaptiveSettings | undefined]> = [
    ["no probes", undefined],
    ["probe every 256", probesEvery(256)],
    ["probe every 64", probesEvery(64)],
  ];
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const records = new Map<string, GenerationRecord[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let turn = 0; turn < contenders.length; turn++) {
        const [name, adaptive] = contenders[(round + turn) % contenders.length]!;
        const started = performance.now();
        const cpuStart = process.cpuUsage();
        const done: GenerationRecord[] = [];
        for (const prompt of prompts) {
          done.push(await generateWithBudget(backend, prompt, settings(adaptive, EMBEDDED_BUDGET)));
        }
        const used = process.cpuUsage(cpuStart);
        const thinking = done.reduce((sum, record) => sum + record.thinking_tokens, 0);
        wall.set(name, [
          ...(wall.get(name) ?? []),
          thinking / ((performance.now() - started) / 1000),
        ]);
        cpu.set(name, [...(cpu.get(name) ?? []), thinking / ((used.user + used.system) / 1e6)]);
        records.set(name, done);
      }
    }
  } finally {
    await backend.close();
  }
  const baseline = records.get("no probes")!;
  const baseWall = median(wall.get("no probes")!);
  const baseCpu = median(cpu.get("no probes")!);
  const widths = [16, 15, 8, 15, 8, 16, 15, 10];
  console.log(
    "   " +
      row(
        [
          "",
          "thinking tok/s",
          "vs none",
          "per CPU second",
          "vs none",
          "probes/question",
          "probe tokens/q",
          "same text",
        ],
        widths,
      ),
  );
  for (const [name] of contenders) {
    const done = records.get(name)!;
    const same = done.every(
      (record, index) =>
        record.thinking_text === baseline[index]!.thinking_text &&
        record.response_text === baseline[index]!.response_text,
    );
    const probes = done.reduce((sum, record) => sum + record.probe_answers.length, 0) / done.length;
    const probeTokens =
      done.reduce((sum, record) => sum + record.probe_tokens_total, 0) / done.length;
    const speed = median(wall.get(name)!);
    const cpuSpeed = median(cpu.get(name)!);
    console.log(
      "   " +
        row(
          [
            name,
            speed.toFixed(0),
            `${((100 * speed) / baseWall).toFixed(1)}%`,
            cpuSpeed.toFixed(0),
            `${((100 * cpuSpeed) / baseCpu).toFixed(1)}%`,
            probes.toFixed(1),
            probeTokens.toFixed(0),
            same ? "yes" : "NO",
          ],
          widths,
        ),
    );
  }
}

async function benchEarlyExit(): Promise<void> {
  const QUESTIONS = 200;
  const BUDGET = 4096;
  console.log(
    `\n2. What early exit saves (scripted backend, ${QUESTIONS} questions, budget ${BUDGET}, ` +
      "a probe every 256 tokens)",
  );
  // Each question's answer wavers, then settles at a known point; the model would stop by itself
  // somewhere after that (or run to the budget).
  const generator = new Mulberry32(11);
  const draw = () => generator.nextFloat();
  const questions = Array.from({ length: QUESTIONS }, (_, index) => {
    const settleAt = 200 + Math.floor(draw() * 2400);
    return {
      prompt: `<|im_start|>user\nQuestion ${index}<|im_end|>\n<|im_start|>assistant\n`,
      settleAt,
      stopAt: draw() < 0.3 ? BUDGET + 1 : settleAt + Math.floor(draw() * 2000),
      answer: "ABCD"[index % 4]!,
    };
  });
  const script = (text: string) => {
    const question = questions[Number(/Question (\d+)/.exec(text)![1])]!;
    const thought = (text.match(/ tick/g) ?? []).length * 2;
    if (text.endsWith("Final Answer:") || text.endsWith("<|im_start|>answer")) {
      const letter =
        thought >= question.settleAt ? question.answer : "ABCD"[((thought / 256) % 4) | 0]!;
      return ` \\boxed{${letter}}<|im_end|>`;
    }
    const words = Math.max(0, Math.ceil((question.stopAt - thought) / 2));
    return `${" tick".repeat(words)}<|im_start|>answer`;
  };
  const boxed = (text: string) => /\\boxed\{([A-Z])\}/.exec(text)?.[1] ?? "";
  const widths = [22, 16, 14, 16, 18, 16];
  console.log(
    "   " +
      row(["", "thinking tok/q", "saved", "probe tok/q", "compute tok/q", "same answers"], widths),
  );
  const runs: Array<[string, AdaptiveSettings | undefined]> = [
    ["no early exit", undefined],
    ["early exit, patience 2", probesEvery(256, 2)],
    ["early exit, patience 3", probesEvery(256, 3)],
  ];
  let baseline: GenerationRecord[] = [];
  for (const [name, adaptive] of runs) {
    const backend = createScriptedBackend(script);
    const done: GenerationRecord[] = [];
    for (const question of questions) {
      done.push(
        await generateWithBudget(backend, question.prompt, settings(adaptive, BUDGET), {
          extractAnswer: boxed,
        }),
      );
    }
    if (!adaptive) baseline = done;
    const mean = (pick: (record: GenerationRecord) => number) =>
      done.reduce((sum, record) => sum + pick(record), 0) / done.length;
    const thinking = mean((record) => record.thinking_tokens);
    const baseThinking = baseline.reduce((sum, r) => sum + r.thinking_tokens, 0) / baseline.length;
    const same = done.filter(
      (record, index) => boxed(record.response_text) === boxed(baseline[index]!.response_text),
    ).length;
    console.log(
      "   " +
        row(
          [
            name,
            thinking.toFixed(0),
            `${((100 * (baseThinking - thinking)) / baseThinking).toFixed(1)}%`,
            mean((record) => record.probe_tokens_total).toFixed(0),
            mean((record) => record.num_gen_tokens + record.probe_tokens_total).toFixed(0),
            `${same}/${done.length}`,
          ],
          widths,
        ),
    );
  }
}

console.log(`adaptive-compute benchmark · load average ${loadavg()[0]!.toFixed(1)}\n`);
await benchProbeCost();
await benchEarlyExit();
