/**
 * `m1 serve` benchmark (`npm run bench:serve`), all in one run:
 * 1. gateway overhead: requests/s and p50/p99 latency of non-streamed chat completions through the
 *    HTTP service over a zero-latency backend (bench/support/instant-backend.ts), at 1, 16 and 128
 *    concurrent clients, beside the engine alone on the same backend (target at 16 clients:
 *    >= 1,000 requests/s and p99 added < 5 ms);
 * 2. streaming: tokens/s of one streamed request through the gateway vs the embedded engine alone
 *    on the smoke model, same question and settings (target >= 95%);
 * 3. memory per 1,000 queued requests (heap of the server, after GC).
 * The clients run in a child process, so the server's CPU time, event loop and heap are its own:
 * rates are given per wall-clock second and per CPU second of the server process (on a shared
 * machine the wall clock mostly measures the other processes).
 *
 * Environment: BENCH_REQUESTS (per concurrency level, default 6000), BENCH_ROUNDS (streaming
 * rounds, default 9). Speed targets live here, never in tests.
 */
import http from "node:http";
import { cpus, loadavg } from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLlamaCppBackend } from "../src/backends/llama-cpp/index.js";
import type { Backend } from "../src/backends/types.js";
import { generateWithBudget } from "../src/engine/budget-forcing.js";
import { M1_THINKING_FORMAT } from "../src/engine/thinking-formats.js";
import { requestDefaultsOf, serveConfigSchema, startServe } from "../src/serve/index.js";
import { ensureSmokeModel } from "../src/smoke/index.js";
import type { ModelScript } from "../test/support/scripted-backend.js";
import { createInstantBackend } from "./support/instant-backend.js";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CONCURRENCY = [1, 16, 128];
const QUEUED = 1000;

// ---- the client side (a child process) -----------------------------------------------------------

type ClientTask =
  | { kind: "load"; url: string; body: string; concurrency: number; requests: number }
  | { kind: "stream"; url: string; body: string }
  | { kind: "flood"; url: string; body: string; count: number };

function post(
  agent: http.Agent,
  url: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function runClientTask(task: ClientTask): Promise<unknown> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    if (task.kind === "load") {
      const latencies: number[] = [];
      let left = task.requests;
      const started = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: task.concurrency }, async () => {
          while (left-- > 0) {
            const sent = performance.now();
            const { status } = await post(agent, task.url, task.body);
            if (status !== 200) throw new Error(`status ${status}`);
            latencies.push(performance.now() - sent);
          }
        }),
      );
      const used = process.cpuUsage(cpu);
      return {
        latencies,
        seconds: (performance.now() - started) / 1000,
        clientCpuMs: (used.user + used.system) / 1000 / task.requests,
      };
    }
    if (task.kind === "stream") {
      const started = performance.now();
      const { status, text } = await post(agent, task.url, task.body);
      const seconds = (performance.now() - started) / 1000;
      const events = text.split("\n\n").filter((block) => block.startsWith("data: {"));
      const usage = JSON.parse(events.at(-1)!.slice(6)).usage as { completion_tokens: number };
      if (status !== 200 || !text.endsWith("data: [DONE]\n\n")) throw new Error("stream failed");
      return { seconds, tokens: usage.completion_tokens, chunks: events.length };
    }
    const replies = Array.from({ length: task.count }, () => post(agent, task.url, task.body));
    process.send!({ sent: true });
    const statuses = (await Promise.all(replies)).map((reply) => reply.status);
    return { ok: statuses.filter((status) => status === 200).length };
  } finally {
    agent.destroy();
  }
}

const IS_CLIENT = process.env.M1_BENCH_SERVE_CLIENT === "1";

if (IS_CLIENT) {
  // One task at a time, for as long as the benchmark runs.
  process.on("message", (task: ClientTask) => {
    void runClientTask(task).then((result) => process.send!({ result }));
  });
}

/**
 * The client process: started once (forking a process that holds a model costs the parent
 * CPU time that would otherwise land in a measurement), given one task at a time.
 */
let client: ChildProcess | undefined;

/** Run a client task in the client process; `onSent` hears when a flood has been sent. */
function inClient<T>(task: ClientTask, onSent?: () => void): Promise<T> {
  client ??= fork(fileURLToPath(import.meta.url), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, M1_BENCH_SERVE_CLIENT: "1" },
  });
  const child = client;
  return new Promise((resolve, reject) => {
    const onMessage = (message: { result?: T; sent?: boolean }) => {
      if (message.sent) {
        onSent?.();
        return;
      }
      child.off("message", onMessage).off("exit", onExit);
      resolve(message.result as T);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the client process exited with ${code}`));
    child.on("message", onMessage).on("exit", onExit);
    child.send(task);
  });
}

// ---- the server side ---------------------------------------------------------------------------

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join("  ");
}

const THOUGHT =
  "The patient has bleeding gums, poor wound healing and corkscrew hairs after months without " +
  "fresh fruit. These are the classic findings of scurvy, which is a deficiency of ascorbic " +
  "acid, needed to hydroxylate proline and lysine in collagen. Wait, could it be vitamin K? " +
  "No: vitamin K deficiency prolongs the prothrombin time but does not cause follicular " +
  "hyperkeratosis or corkscrew hairs. So the answer is vitamin C.";
const SCRIPT: ModelScript = (text) =>
  text.endsWith("answer") || text.endsWith("Final Answer:")
    ? "\nThe answer is B: vitamin C.<|im_end|>"
    : `${THOUGHT}<|im_start|>answer`;
const QUESTION = "Which vitamin deficiency causes scurvy?";

async function serveOver(backend: Backend, config: Record<string, unknown>, slots?: number) {
  const parsed = serveConfigSchema.parse(config);
  return startServe({
    backend,
    modelName: "bench",
    thinkingFormat: M1_THINKING_FORMAT,
    defaults: requestDefaultsOf(parsed),
    maxQueue: parsed.max_queue,
    requestTimeoutSeconds: parsed.request_timeout,
    maxBodyBytes: parsed.max_body_bytes,
    slots,
    host: "127.0.0.1",
    port: 0,
  });
}

/** CPU milliseconds this process used since `start` (all its threads: JS, llama.cpp, GC). */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const ENGINE_SETTINGS = {
  thinkingFormat: M1_THINKING_FORMAT,
  waitRounds: 0,
  waitText: "Wait",
  minThinkingTokens: 0,
  sampling: { temperature: 0 },
};

interface OverheadResult {
  rateAt16: number;
  addedP99At16: number;
}

async function gatewayOverhead(): Promise<OverheadResult> {
  const backend = createInstantBackend(SCRIPT);
  const served = await serveOver(backend, { thinking_budget: 512, max_completion_tokens: 64 });
  const body = JSON.stringify({ model: "bench", messages: [{ role: "user", content: QUESTION }] });
  const url = `${served.url}/v1/chat/completions`;

  // The engine alone on the same backend: what a request costs without the service.
  const settings = { ...ENGINE_SETTINGS, thinkingBudget: 512, answerBudget: 64 };
  const alone: number[] = [];
  const aloneCpu = process.cpuUsage();
  for (let index = 0; index < REQUESTS; index++) {
    const started = performance.now();
    const prompt = await backend.renderChat([{ role: "user", content: QUESTION }]);
    await generateWithBudget(backend, prompt, settings);
    alone.push(performance.now() - started);
  }
  const aloneCpuMs = cpuMsSince(aloneCpu) / REQUESTS;
  const aloneP50 = median(alone);

  await inClient({ kind: "load", url, body, concurrency: 16, requests: 2000 }); // warm-up
  const widths = [8, 12, 14, 10, 12, 8, 8, 16];
  console.log(
    "1. gateway over a zero-latency backend (non-streamed chat completions, m1 format, ~90 thinking tokens)",
  );
  console.log(
    row(
      [
        "clients",
        "requests/s",
        "per CPU s",
        "CPU ms",
        "client CPU",
        "p50 ms",
        "p99 ms",
        "added p50 / p99 ms",
      ],
      widths,
    ),
  );
  console.log(
    row(
      [
        "engine",
        (1000 / aloneP50).toFixed(0),
        (1000 / aloneCpuMs).toFixed(0),
        aloneCpuMs.toFixed(3),
        "",
        aloneP50.toFixed(3),
        percentile(alone, 0.99).toFixed(3),
        "(alone, in process)",
      ],
      widths,
    ),
  );
  const result: OverheadResult = { rateAt16: Number.NaN, addedP99At16: Number.NaN };
  for (const concurrency of CONCURRENCY) {
    const cpu = process.cpuUsage();
    const { latencies, seconds, clientCpuMs } = await inClient<{
      latencies: number[];
      seconds: number;
      clientCpuMs: number;
    }>({
      kind: "load",
      url,
      body,
      concurrency,
      requests: REQUESTS,
    });
    const cpuMs = cpuMsSince(cpu) / latencies.length;
    const rate = latencies.length / seconds;
    const p50 = median(latencies);
    const p99 = percentile(latencies, 0.99);
    const added = `${(p50 - aloneP50).toFixed(2)} / ${(p99 - aloneP50).toFixed(2)}`;
    console.log(
      row(
        [
          concurrency,
          rate.toFixed(0),
          (1000 / cpuMs).toFixed(0),
          cpuMs.toFixed(3),
          clientCpuMs.toFixed(3),
          p50.toFixed(2),
          p99.toFixed(2),
          added,
        ],
        widths,
      ),
    );
    if (concurrency === 16) Object.assign(result, { rateAt16: rate, addedP99At16: p99 - aloneP50 });
  }
  console.log(
    "   requests/s: wall clock at the client; per CPU s: requests per CPU second of the server process;\n" +
      "   CPU ms: the server's CPU per request; client CPU: the load generator's CPU ms per request (node:http\n" +
      "   with keep-alive, sharing the cores with the server); added: latency at the client minus the engine alone's p50",
  );
  await served.shutdown();
  return result;
}

async function streaming(): Promise<{ wall: number; cpu: number }> {
  const backend = await createLlamaCppBackend({
    model: await ensureSmokeModel(),
    gpu: false,
    contextSize: 4096,
    parallelSequences: 1,
  });
  const served = await serveOver(backend, { thinking_budget: 1500, max_completion_tokens: 200 });
  const prompt = await backend.renderChat([{ role: "user", content: QUESTION }]);
  const settings = { ...ENGINE_SETTINGS, thinkingBudget: 1500, answerBudget: 200 };
  const body = JSON.stringify({
    messages: [{ role: "user", content: QUESTION }],
    stream: true,
    stream_options: { include_usage: true },
    temperature: 0,
  });
  type Speed = { wall: number; cpu: number; tokens: number; events?: number };
  const alone = async (): Promise<Speed> => {
    let shown = "";
    const started = performance.now();
    const cpu = process.cpuUsage();
    const record = await generateWithBudget(backend, prompt, settings, {
      onEvent: (event) => (shown += event.text),
    });
    const tokens = record.num_gen_tokens;
    return {
      wall: tokens / ((performance.now() - started) / 1000),
      cpu: tokens / (cpuMsSince(cpu) / 1000),
      tokens,
    };
  };
  const gateway = async (): Promise<Speed> => {
    const cpu = process.cpuUsage();
    const streamed = await inClient<{ seconds: number; tokens: number; chunks: number }>({
      kind: "stream",
      url: `${served.url}/v1/chat/completions`,
      body,
    });
    const tokens = streamed.tokens;
    return {
      wall: tokens / streamed.seconds,
      cpu: tokens / (cpuMsSince(cpu) / 1000),
      tokens,
      events: streamed.chunks,
    };
  };
  // One round of each to warm up (JIT, first allocation of the context), not counted.
  await alone();
  await gateway();
  const wallRatios: number[] = [];
  const cpuRatios: number[] = [];
  const engineSpeeds: Speed[] = [];
  const gatewaySpeeds: Speed[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate who goes first: a busy machine's swings then hit both alike.
    const first = round % 2 === 0 ? await alone() : await gateway();
    const second = round % 2 === 0 ? await gateway() : await alone();
    const [engine, through] = round % 2 === 0 ? [first, second] : [second, first];
    if (engine.tokens !== through.tokens) {
      throw new Error(`the stream had ${through.tokens} tokens, the engine ${engine.tokens}`);
    }
    engineSpeeds.push(engine);
    gatewaySpeeds.push(through);
    wallRatios.push(through.wall / engine.wall);
    cpuRatios.push(through.cpu / engine.cpu);
  }
  const speeds = (list: Speed[], key: "wall" | "cpu") =>
    median(list.map((speed) => speed[key])).toFixed(0);
  console.log(
    `\n2. streaming one request on the smoke model (${engineSpeeds[0]!.tokens} tokens, ${gatewaySpeeds[0]!.events} events, ${ROUNDS} rounds, medians)` +
      `\n   tokens/s         engine alone   through the gateway   gateway / engine` +
      `\n   wall clock       ${speeds(engineSpeeds, "wall").padEnd(14)} ${speeds(gatewaySpeeds, "wall").padEnd(21)} ${(median(wallRatios) * 100).toFixed(1)}%` +
      `\n   per CPU second   ${speeds(engineSpeeds, "cpu").padEnd(14)} ${speeds(gatewaySpeeds, "cpu").padEnd(21)} ${(median(cpuRatios) * 100).toFixed(1)}%`,
  );
  await served.shutdown();
  await backend.close();
  return { wall: median(wallRatios), cpu: median(cpuRatios) };
}

async function queuedMemory(): Promise<number> {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const instant = createInstantBackend(SCRIPT);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // Every sequence waits at the gate: one runs, the rest queue.
  const backend: Backend = {
    ...instant,
    capabilities: instant.capabilities,
    openSequence: async (prompt, options) => {
      await gate;
      return instant.openSequence(prompt, options);
    },
  };
  const served = await serveOver(backend, { max_queue: QUEUED + 24 }, 1);
  const url = `${served.url}/v1/chat/completions`;
  const body = JSON.stringify({ messages: [{ role: "user", content: QUESTION }] });
  gc();
  const before = process.memoryUsage();
  let sent = false;
  const flood = inClient<{ ok: number }>(
    { kind: "flood", url, body, count: QUEUED + 1 },
    () => (sent = true),
  );
  while (!sent || served.queue.waiting < QUEUED)
    await new Promise((resolve) => setTimeout(resolve, 20));
  gc();
  const after = process.memoryUsage();
  release();
  const { ok } = await flood;
  await served.shutdown();
  const mib = (bytes: number) => bytes / 1024 / 1024;
  const heap = mib(after.heapUsed - before.heapUsed);
  const buffers = mib(after.external - before.external);
  console.log(
    `\n3. memory with ${QUEUED} requests queued behind one running (after GC): heap +${heap.toFixed(1)} MiB` +
      ` = ${((heap * 1024) / QUEUED).toFixed(1)} KiB per queued request (buffers outside the heap +${buffers.toFixed(1)} MiB);` +
      ` all ${ok} answered once released`,
  );
  return heap;
}

if (!IS_CLIENT) {
  console.log(
    `m1 serve benchmark · ${cpus().length} cores (load ${loadavg()[0]!.toFixed(1)}) · node ${process.version}\n`,
  );
  const overhead = await gatewayOverhead();
  const ratio = await streaming();
  await queuedMemory();
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(
    `\ntargets: >= 1,000 requests/s at 16 clients: ${overhead.rateAt16.toFixed(0)} (${verdict(overhead.rateAt16 >= 1000)})` +
      ` · p99 added < 5 ms at 16 clients: ${overhead.addedP99At16.toFixed(2)} ms (${verdict(overhead.addedP99At16 < 5)})` +
      ` · streaming >= 95% of the engine: ${(ratio.wall * 100).toFixed(1)}% wall, ${(ratio.cpu * 100).toFixed(1)}% per CPU s` +
      ` (${verdict(ratio.wall >= 0.95)})` +
      `\nload average now ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
  );
  client?.kill();
}
