import type { ServerResponse } from "node:http";
import type { Backend } from "../backends/types.js";
import { generateWithBudget, type EngineEvent } from "../engine/budget-forcing.js";
import { fitContext } from "../engine/context-fit.js";
import { ConfigError } from "../errors.js";
import {
  ApiError,
  invalidRequest,
  modelNotFound,
  queueFull,
  timedOut,
  toApiError,
} from "./api-error.js";
import { DeltaSplitter, choiceTexts, type TextDelta } from "./choice-text.js";
import { EventStream } from "./event-stream.js";
import type { ServeMetrics } from "./metrics.js";
import { resolveRequest, type RequestContext, type ResolvedRequest } from "./parameters.js";
import type { GenerationRequest } from "./request-schema.js";
import {
  chunkBody,
  completionBody,
  responseHead,
  usageOf,
  type ChoiceResult,
  type Dialect,
  type ResponseHead,
} from "./responses.js";
import type { SequenceQueue, Slot } from "./sequence-queue.js";

/** Everything a generation request needs from the server. */
export interface Gateway {
  backend: Backend;
  queue: SequenceQueue;
  metrics: ServeMetrics;
  modelName: string;
  requests: RequestContext;
  requestTimeoutMs: number;
}

/** How a generation request ended, for metrics (499: the client went away). */
export type Outcome = { status: number };

/**
 * Run one chat or text completion request: check it, queue its choices (n per prompt), run each
 * through the budget-forcing engine on its own sequence, and answer as JSON or as a stream of
 * server-sent events. A client that goes away, or a request past its time, aborts the engine,
 * which frees the backend's sequence at once.
 */
export async function runGeneration(
  gateway: Gateway,
  dialect: Dialect,
  request: GenerationRequest,
  prompts: readonly string[],
  response: ServerResponse,
): Promise<Outcome> {
  const started = performance.now();
  if (request.model !== undefined && request.model !== gateway.modelName) {
    throw modelNotFound(request.model, gateway.modelName);
  }
  const resolved = resolveRequest(request, gateway.requests);
  const { queue } = gateway;
  const total = prompts.length * request.n;
  if (total > queue.slots + queue.maxQueue) {
    throw invalidRequest(
      `n: ${total} choices are more than this server holds at once (${queue.slots} running + ${queue.maxQueue} queued) (fix: use e.g. "n": ${Math.max(1, Math.min(queue.slots, 4))})`,
      "n",
    );
  }
  await checkContext(gateway, resolved, prompts);

  const controller = new AbortController();
  // The reason tells a timeout (answered 504) from a client that went away (nobody to answer).
  const timer = setTimeout(
    () => controller.abort(timedOut(gateway.requestTimeoutMs / 1000)),
    gateway.requestTimeoutMs,
  );
  const onClose = () => {
    if (!response.writableFinished) controller.abort();
  };
  response.on("close", onClose);
  // A client that left while the request was being checked is not waited for either.
  if (response.destroyed) controller.abort();
  try {
    const slots = queue.admit(total, controller.signal);
    if (!slots) {
      throw queueFull(
        `the queue is full (${queue.running} sequences running, ${queue.waiting} waiting, --max-queue ${queue.maxQueue}) (fix: retry after the Retry-After seconds)`,
        queue.retryAfterSeconds(),
      );
    }
    const run = new RequestRun(gateway, resolved, prompts, slots, controller);
    const head = responseHead(dialect, gateway.modelName);
    if (!request.stream) {
      const results = await run.all();
      const body = completionBody(dialect, head, results, request.n, resolved.applied);
      recordUsage(gateway, dialect, results, request.n, started, false);
      writeJson(response, 200, body);
      return { status: 200 };
    }
    return await stream(gateway, dialect, head, run, request, response, started);
  } catch (error) {
    if (controller.signal.reason instanceof ApiError) throw controller.signal.reason;
    if (controller.signal.aborted && response.destroyed) return { status: 499 };
    throw error;
  } finally {
    clearTimeout(timer);
    response.off("close", onClose);
  }
}

/**
 * A whole JSON response in one write: with its length known, Node sends the head and the body
 * together instead of chunked framing (a writev of head, chunk size, body and terminator).
 */
export function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/**
 * A request whose worst case cannot fit one sequence (prompt + thinking budget + inserted text +
 * answer budget) is refused before it queues, where the backend knows its limit: the engine's
 * own rule (fitContext), as a 400 naming the budget.
 */
async function checkContext(
  gateway: Gateway,
  resolved: ResolvedRequest,
  prompts: readonly string[],
): Promise<void> {
  // No known limit, nothing to count (over HTTP each count is a /tokenize call).
  if (!gateway.backend.contextLimit) return;
  try {
    await fitRequest(gateway.backend, gateway.modelName, resolved, prompts);
  } catch (error) {
    if (error instanceof ConfigError) throw invalidRequest(error.message, error.key ?? null);
    throw error;
  }
}

/**
 * Check (never reserve) that `prompts` run with `resolved` fit the backend's sequences; a
 * ConfigError names the request key to lower. At start-up for the defaults, then per request.
 */
export async function fitRequest(
  backend: Backend,
  label: string,
  resolved: ResolvedRequest,
  prompts: readonly string[],
): Promise<void> {
  await fitContext({
    backend,
    prompts,
    settings: [resolved.settings],
    label,
    budgetKey: resolved.applied.thinking ? "thinking_budget" : "max_completion_tokens",
    answerKey: "max_completion_tokens",
    reserve: false,
  });
}

/** The choices of one request, each on its own sequence once its slot is granted. */
class RequestRun {
  constructor(
    private readonly gateway: Gateway,
    private readonly resolved: ResolvedRequest,
    private readonly prompts: readonly string[],
    private readonly slots: Promise<Slot>[],
    private readonly controller: AbortController,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  get applied() {
    return this.resolved.applied;
  }

  /** Why the run was aborted, when it was for a reason the client should hear (a timeout). */
  get abortError(): ApiError | undefined {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof ApiError ? reason : undefined;
  }

  /** Every choice, in index order; the first failure cancels the others. */
  async all(
    onDelta?: (index: number, delta: TextDelta) => void,
    onDone?: (result: ChoiceResult) => void,
  ) {
    const perPrompt = this.slots.length / this.prompts.length;
    const runs = this.slots.map(async (slot, index) => {
      const result = await this.choice(
        index,
        this.prompts[Math.floor(index / perPrompt)]!,
        slot,
        onDelta,
      );
      onDone?.(result);
      return result;
    });
    try {
      return await Promise.all(runs);
    } catch (error) {
      this.controller.abort();
      await Promise.allSettled(runs);
      throw error;
    }
  }

  private async choice(
    index: number,
    prompt: string,
    granted: Promise<Slot>,
    onDelta?: (index: number, delta: TextDelta) => void,
  ): Promise<ChoiceResult> {
    const { gateway, resolved } = this;
    const waitStarted = performance.now();
    const slot = await granted;
    gateway.metrics.queueWaitSeconds.observe((performance.now() - waitStarted) / 1000);
    try {
      const seed = resolved.seeds[index % resolved.seeds.length]!;
      const settings = resolved.settings;
      const splitter = onDelta ? new DeltaSplitter(resolved.applied.thinking) : undefined;
      let insertedTokens = 0;
      const onEvent = (event: EngineEvent) => {
        if (event.type === "inserted") insertedTokens += event.tokens;
        const delta = splitter?.next(event);
        if (delta) onDelta!(index, delta);
      };
      const record = await generateWithBudget(
        gateway.backend,
        prompt,
        { ...settings, sampling: { ...settings.sampling, seed } },
        {
          signal: this.controller.signal,
          onEvent,
          answerStop: resolved.answerStop.length > 0 ? resolved.answerStop : undefined,
        },
      );
      return {
        index,
        record,
        texts: choiceTexts(record, settings.thinkingFormat),
        insertedTokens,
        seed,
      };
    } finally {
      slot.release();
    }
  }
}

async function stream(
  gateway: Gateway,
  dialect: Dialect,
  head: ResponseHead,
  run: RequestRun,
  request: GenerationRequest,
  response: ServerResponse,
  started: number,
): Promise<Outcome> {
  const events = new EventStream(response, (index, delta) =>
    chunkBody(dialect, head, [dialect.deltaChoice(index, delta)]),
  );
  const send = (data: unknown) => events.send(data);
  const total = run.size;
  for (let index = 0; index < total; index++) {
    const opening = dialect.openingChoice(index);
    const extra = index === 0 ? { m1: run.applied } : {};
    if (opening) send(chunkBody(dialect, head, [opening], extra));
    else if (index === 0) send(chunkBody(dialect, head, [], extra));
  }
  let firstToken = true;
  try {
    const results = await run.all(
      (index, delta) => {
        if (firstToken) {
          firstToken = false;
          gateway.metrics.firstTokenSeconds.observe(
            { endpoint: dialect.endpoint },
            (performance.now() - started) / 1000,
          );
        }
        events.delta(index, delta);
      },
      (result) => send(chunkBody(dialect, head, [dialect.finalChoice(result)])),
    );
    if (request.includeUsage)
      send(chunkBody(dialect, head, [], { usage: usageOf(results, request.n) }));
    events.end(true);
    recordUsage(gateway, dialect, results, request.n, started, true);
    return { status: 200 };
  } catch (error) {
    if (response.destroyed) return { status: 499 };
    const apiError = run.abortError ?? toApiError(error);
    send(apiError.toBody());
    events.end(false);
    return { status: apiError.status };
  }
}

function recordUsage(
  gateway: Gateway,
  dialect: Dialect,
  results: readonly ChoiceResult[],
  choicesPerPrompt: number,
  started: number,
  streamed: boolean,
): void {
  const usage = usageOf(results, choicesPerPrompt);
  const labels = { endpoint: dialect.endpoint };
  const { metrics } = gateway;
  metrics.promptTokens.inc(labels, usage.prompt_tokens);
  metrics.completionTokens.inc(labels, usage.completion_tokens);
  metrics.reasoningTokens.inc(labels, usage.completion_tokens_details.reasoning_tokens);
  metrics.requestSeconds.observe(
    { endpoint: dialect.endpoint, stream: String(streamed) },
    (performance.now() - started) / 1000,
  );
}
