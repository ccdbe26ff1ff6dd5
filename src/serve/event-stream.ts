import type { ServerResponse } from "node:http";
import type { TextDelta } from "./choice-text.js";

/** Writes to one client at most this often; text generated in between goes out together. */
export const STREAM_FLUSH_MS = 10;

type Pending = { index: number; delta: TextDelta } | { data: unknown };

/**
 * Server-sent events for one response. A model can produce a token every millisecond; a write
 * (and on loopback the client's wake-up) per token would cost the gateway more than the token. So
 * the first text goes out on the next turn of the event loop, and what follows within
 * `STREAM_FLUSH_MS` is gathered: consecutive deltas of one choice and one kind (thinking or
 * answer) become one event, and all events of a flush one write. Writing on a later turn, not in
 * the engine's callback, also lets the engine ask the model for the next token first.
 */
export class EventStream {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private lastFlush = -Infinity;

  constructor(
    private readonly response: ServerResponse,
    /** The chunk that carries one choice's delta. */
    private readonly deltaChunk: (index: number, delta: TextDelta) => unknown,
  ) {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      // Proxies (nginx) would otherwise hold the events back.
      "x-accel-buffering": "no",
    });
  }

  get closed(): boolean {
    return this.response.destroyed;
  }

  /** Text for one choice, merged with the previous delta when it continues it. */
  delta(index: number, delta: TextDelta): void {
    const last = this.pending.at(-1);
    if (last && "delta" in last && last.index === index && sameKind(last.delta, delta)) {
      last.delta = {
        ...(delta.reasoning === undefined
          ? {}
          : { reasoning: last.delta.reasoning! + delta.reasoning }),
        ...(delta.content === undefined ? {} : { content: last.delta.content! + delta.content }),
      };
    } else {
      this.pending.push({ index, delta });
    }
    this.schedule();
  }

  /** Any other event, written as it is. */
  send(data: unknown): void {
    this.pending.push({ data });
    this.schedule();
  }

  /** Write what is queued, then `[DONE]` when asked, and end the response. */
  end(done: boolean): void {
    this.flush();
    this.response.end(done ? "data: [DONE]\n\n" : undefined);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = this.lastFlush + STREAM_FLUSH_MS - performance.now();
    this.timer = wait > 0 ? setTimeout(() => this.flush(), wait) : setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.lastFlush = performance.now();
    if (this.closed) return;
    let text = "";
    for (const item of items) {
      const data = "delta" in item ? this.deltaChunk(item.index, item.delta) : item.data;
      text += `data: ${JSON.stringify(data)}\n\n`;
    }
    this.response.write(text);
  }
}

function sameKind(a: TextDelta, b: TextDelta): boolean {
  return (
    (a.reasoning === undefined) === (b.reasoning === undefined) &&
    (a.content === undefined) === (b.content === undefined)
  );
}
