import { CancelledError, ConfigError, M1Error } from "../../errors.js";
import type { TokenCounter } from "../../tokenizers/types.js";
import type { GenerateRequest, GenerateResult, GenerationSequence, ProbeResult } from "../types.js";
import type { CompletionClient, ServerPin } from "./completion-client.js";

/** What every sequence of one backend shares. */
export interface SequenceContext {
  client: CompletionClient;
  tokenizer: TokenCounter;
  modelName: string;
  /** Stream when the engine asks for live text. */
  stream: boolean;
  extraBody: Readonly<Record<string, unknown>>;
  /** Record a backend warning once (e.g. a server that reports no usage). */
  warnOnce(message: string): void;
}

const NO_USAGE_WARNING =
  "the server reported no usage.completion_tokens; generated tokens are counted by re-tokenizing the text (as m1 did), which can differ from the model's own count";

/**
 * One question's growing text on an OpenAI-compatible server. The server keeps no state for it:
 * every `generate` sends the whole text so far as the prompt, so each request's prompt is the
 * previous one plus the new text, byte for byte (m1's protocol; server prefix caches hit).
 */
export class HttpSequence implements GenerationSequence {
  private currentText: string;
  private promptTokenCount: number | undefined;
  private disposed = false;

  constructor(
    private readonly initialPrompt: string,
    private readonly pin: ServerPin,
    private readonly context: SequenceContext,
  ) {
    this.currentText = initialPrompt;
  }

  get text(): string {
    return this.currentText;
  }

  /** From the first response's `usage.prompt_tokens` (0 before any call). */
  get promptTokens(): number {
    return this.promptTokenCount ?? 0;
  }

  /** The server this sequence is pinned to (it moves only when the server fails). */
  get serverLabel(): string {
    return this.pin.server.label;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertUsable();
    const result = await this.complete(this.currentText, request);
    if (this.promptTokenCount === undefined) {
      this.promptTokenCount =
        result.promptTokens ??
        (await this.context.tokenizer.countTokens(this.initialPrompt, { signal: request.signal }));
    }
    this.currentText += result.generated.text;
    return result.generated;
  }

  /**
   * A side request on the text so far plus `text`: the sequence is not touched, and the request
   * shares its prefix with the sequence's own, so the server's prefix cache hits.
   */
  async probe(text: string, request: GenerateRequest): Promise<ProbeResult> {
    this.assertUsable();
    const textTokens = await this.context.tokenizer.countTokens(text, { signal: request.signal });
    const { generated } = await this.complete(this.currentText + text, request);
    return { ...generated, textTokens, reReadTokens: 0 };
  }

  /** One completion on `prompt`, with its generated tokens counted. */
  private async complete(
    prompt: string,
    request: GenerateRequest,
  ): Promise<{ generated: GenerateResult; promptTokens?: number }> {
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      throw new ConfigError(`maxTokens must be a whole number above 0, got ${request.maxTokens}`);
    }
    const { context } = this;
    const stream = context.stream && request.onText !== undefined;
    const outcome = await context.client.complete(
      this.pin,
      {
        model: context.modelName,
        prompt,
        maxTokens: request.maxTokens,
        stop: request.stop,
        sampling: request.sampling,
        stream,
        extraBody: context.extraBody,
      },
      { signal: request.signal, onText: request.onText },
    );
    // A non-streamed call still owes the engine its text as one piece.
    if (!stream && outcome.text.length > 0) request.onText?.(outcome.text);

    let tokens = outcome.completionTokens;
    if (tokens === undefined) {
      context.warnOnce(NO_USAGE_WARNING);
      tokens = await context.tokenizer.countTokens(outcome.text, { signal: request.signal });
    }
    return {
      generated: {
        text: outcome.text,
        tokens,
        finishReason: outcome.finishReason,
        ...(outcome.stopString === undefined ? {} : { stopString: outcome.stopString }),
      },
      ...(outcome.promptTokens === undefined ? {} : { promptTokens: outcome.promptTokens }),
    };
  }

  async append(text: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertUsable();
    // Checked here too: a local tokenizer never looks at the signal.
    if (options.signal?.aborted) throw new CancelledError();
    const tokens = await this.context.tokenizer.countTokens(text, options);
    this.currentText += text;
    return tokens;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new M1Error("this sequence was disposed");
  }
}
