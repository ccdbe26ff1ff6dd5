import type { ServerResponse } from "node:http";

/**
 * Server-sent events for one response. Events are serialized and written on the next turn of the
 * event loop rather than in the engine's callback: the engine has by then asked llama.cpp for the
 * next token, so the gateway's work overlaps the model's instead of adding to every token's time.
 * Events queued in one turn go out in one write.
 */
export class EventStream {
  private pending: unknown[] = [];
  private scheduled = false;

  constructor(private readonly response: ServerResponse) {
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

  send(data: unknown): void {
    this.pending.push(data);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Write what is queued, then `[DONE]` when asked, and end the response. */
  end(done: boolean): void {
    this.flush();
    this.response.end(done ? "data: [DONE]\n\n" : undefined);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    if (this.closed) return;
    let text = "";
    for (const data of events) text += `data: ${JSON.stringify(data)}\n\n`;
    this.response.write(text);
  }
}
