import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { SequenceQueue } from "./sequence-queue.js";

/** The endpoints metrics are labelled with (a fixed set: unknown paths are "other"). */
export type Endpoint = "chat" | "completions" | "models" | "health" | "metrics" | "other";

/**
 * Prometheus metrics for `GET /metrics`, on a registry of this server's own (several servers in
 * one process, as in tests, do not share counters). Queue gauges are read when scraped.
 */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"endpoint" | "status">;
  readonly promptTokens: Counter<"endpoint">;
  readonly completionTokens: Counter<"endpoint">;
  readonly reasoningTokens: Counter<"endpoint">;
  readonly requestSeconds: Histogram<"endpoint" | "stream">;
  readonly queueWaitSeconds: Histogram;
  readonly firstTokenSeconds: Histogram<"endpoint">;

  constructor(queue: SequenceQueue) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "m1_serve_" });
    this.requests = new Counter({
      name: "m1_serve_requests_total",
      help: "Requests answered, by endpoint and HTTP status.",
      labelNames: ["endpoint", "status"],
      registers,
    });
    this.promptTokens = new Counter({
      name: "m1_serve_prompt_tokens_total",
      help: "Prompt tokens of answered requests (thinking delimiter included).",
      labelNames: ["endpoint"],
      registers,
    });
    this.completionTokens = new Counter({
      name: "m1_serve_completion_tokens_total",
      help: "Tokens generated or inserted (thinking, Wait, answer prefix, answer).",
      labelNames: ["endpoint"],
      registers,
    });
    this.reasoningTokens = new Counter({
      name: "m1_serve_reasoning_tokens_total",
      help: "Thinking tokens (within each request's thinking budget).",
      labelNames: ["endpoint"],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: "m1_serve_request_duration_seconds",
      help: "Time from a request's arrival to its last byte.",
      labelNames: ["endpoint", "stream"],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.queueWaitSeconds = new Histogram({
      name: "m1_serve_queue_wait_seconds",
      help: "Time a sequence waited for a free slot.",
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    });
    this.firstTokenSeconds = new Histogram({
      name: "m1_serve_time_to_first_token_seconds",
      help: "Time from a streamed request's arrival to its first generated text.",
      labelNames: ["endpoint"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: "m1_serve_queue_depth",
      help: "Sequences waiting for a free slot.",
      registers,
      collect() {
        this.set(queue.waiting);
      },
    });
    new Gauge({
      name: "m1_serve_running_sequences",
      help: "Sequences generating now.",
      registers,
      collect() {
        this.set(queue.running);
      },
    });
    new Gauge({
      name: "m1_serve_slots",
      help: "Sequences that may generate at once.",
      registers,
      collect() {
        this.set(queue.slots);
      },
    });
  }
}
