import { CancelledError, InputError, M1Error } from "../../errors.js";
import type { GenerateRequest, GenerateResult, GenerationSequence, ProbeResult } from "../types.js";
import type { ServerPin } from "./completion-client.js";
import type { SlotPool } from "./slot-pool.js";
import type { IdCompletionOutcome, TokenIdProtocol } from "./token-ids.js";

/** What every token-id sequence of one backend shares. */
export interface TokenSequenceContext {
  protocol: TokenIdProtocol;
  modelName: string;
  extraBody: Readonly<Record<string, unknown>>;
  /** Ids of a string the engine inserts (no BOS), remembered for short strings. */
  insertedIds(pin: ServerPin, text: string, signal?: AbortSignal): Promise<number[]>;
  /** The text of one token (end-of-generation tokens), remembered. */
  tokenText(pin: ServerPin, id: number, signal?: AbortSignal): Promise<string>;
}

/** The ids of a call that enter the sequence, its text, and text to tokenize after those ids. */
interface Settled {
  kept: number[];
  text: string;
  leftover: string;
  stopString?: string;
}

/** U+FFFD: what a detokenized prefix ends with when it stops inside a UTF-8 character. */
const INCOMPLETE_CHARACTER = "\uFFFD";

/**
 * One question's growing sequence kept as token ids (`exact_tokens`): the prompt is tokenized once,
 * generated ids are taken as the server sampled them, inserted strings (Wait, newline, answer
 * prefix) are tokenized on their own and appended, and every request sends the id array. Nothing is
 * re-tokenized at the seams, so the model continues from exactly the tokens it produced, as on
 * the embedded engine. Where a stop string ends a call, the ids are settled the way the embedded
 * engine settles its context: the generated tokens whose text lies wholly before the stop string
 * are kept, and text between the last of them and the stop string (a stop string starting inside
 * a token) is tokenized and appended; an end-of-generation token never enters the sequence.
 */
export class TokenSequence implements GenerationSequence {
  /** Tokens of the rendered prompt. */
  readonly promptTokens: number;
  private currentText: string;
  private disposed = false;

  private constructor(
    prompt: string,
    private readonly ids: number[],
    private readonly pin: ServerPin,
    private readonly context: TokenSequenceContext,
    /** The llama.cpp slot this sequence holds until it is disposed. */
    private readonly slot: { pool: SlotPool; id: number } | undefined,
  ) {
    this.currentText = prompt;
    this.promptTokens = ids.length;
  }

  /** Tokenize the rendered prompt as the server would a text prompt (BOS added when the model wants one). */
  static async open(
    prompt: string,
    pin: ServerPin,
    context: TokenSequenceContext,
    signal?: AbortSignal,
  ): Promise<TokenSequence> {
    const ids = await context.protocol.tokenize(pin, prompt, { addSpecial: true, signal });
    if (ids.length === 0) {
      throw new InputError("the prompt is empty", {}, "give the model some text to continue");
    }
    const slots = context.protocol.slotsOf?.(pin.server);
    const slot = slots && { pool: slots, id: await slots.acquire(signal) };
    return new TokenSequence(prompt, ids, pin, context, slot);
  }

  get text(): string {
    return this.currentText;
  }

  /** Every id so far (prompt, kept generated ids, inserted ids), for tests. */
  get tokenIds(): readonly number[] {
    return this.ids;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertUsable();
    const { settled, result } = await this.complete(this.ids, request);
    this.ids.push(...settled.kept);
    if (settled.leftover.length > 0) {
      this.ids.push(
        ...(await this.context.insertedIds(this.pin, settled.leftover, request.signal)),
      );
    }
    this.currentText += settled.text;
    return result;
  }

  /**
   * A side request on the ids so far plus those of `text`, in this sequence's slot: the sequence
   * is not touched, and the request shares its prefix with the sequence's own, so the slot's
   * cache hits.
   */
  async probe(text: string, request: GenerateRequest): Promise<ProbeResult> {
    this.assertUsable();
    const probeIds = await this.context.insertedIds(this.pin, text, request.signal);
    const { result } = await this.complete([...this.ids, ...probeIds], request);
    return { ...result, textTokens: probeIds.length, reReadTokens: 0 };
  }

  async append(text: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertUsable();
    if (options.signal?.aborted) throw new CancelledError();
    const ids = await this.context.insertedIds(this.pin, text, options.signal);
    // A shared count does not watch the caller's signal: look again before changing anything.
    if (options.signal?.aborted) throw new CancelledError();
    this.ids.push(...ids);
    this.currentText += text;
    return ids.length;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.slot?.pool.release(this.slot.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** One completion on `prompt`, settled; its ids and text are reported, the sequence not changed. */
  private async complete(
    prompt: readonly number[],
    request: GenerateRequest,
  ): Promise<{ settled: Settled; result: GenerateResult }> {
    if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
      throw new M1Error(`maxTokens must be a whole number above 0, got ${request.maxTokens}`);
    }
    const { context } = this;
    const outcome = await context.protocol.complete(
      this.pin,
      {
        model: context.modelName,
        prompt: [...prompt],
        maxTokens: request.maxTokens,
        stop: request.stop,
        sampling: request.sampling,
        extraBody: context.extraBody,
        slot: this.slot?.id,
      },
      request.signal,
    );
    const settled = await this.settle(outcome, request);
    for (const id of outcome.tokens) request.onToken?.(id);
    // Token ids come only with the whole completion (llama.cpp's streamed chunks skip the ids of
    // tokens that end inside a character), so the text is shown per call.
    if (settled.text.length > 0) request.onText?.(settled.text);
    const result: GenerateResult = {
      text: settled.text,
      tokens: outcome.tokens.length,
      finishReason: outcome.finishReason,
      ...(settled.stopString === undefined ? {} : { stopString: settled.stopString }),
    };
    return { settled, result };
  }

  /** Which generated ids enter the sequence, the call's text, and text to tokenize after them. */
  private async settle(outcome: IdCompletionOutcome, request: GenerateRequest): Promise<Settled> {
    const { tokens } = outcome;
    if (outcome.endOfGeneration && tokens.length > 0) {
      const last = tokens[tokens.length - 1]!;
      const endText = await this.context.tokenText(this.pin, last, request.signal);
      let text = outcome.text;
      // With special tokens shown, the server's text ends with it unless a stop string cut it.
      if (outcome.stopString === undefined && endText.length > 0 && text.endsWith(endText)) {
        text = text.slice(0, -endText.length);
      }
      const stopString =
        outcome.stopString ?? (request.stop.includes(endText) ? endText : undefined);
      return { kept: tokens.slice(0, -1), text, leftover: "", stopString };
    }
    if (outcome.finishReason === "length") {
      return { kept: tokens, text: outcome.text, leftover: "" };
    }
    // A stop string: the last id completed it, so at most the ids before it lie wholly before it.
    const { text, stopString } = outcome;
    for (let count = tokens.length - 1; count > 0; count--) {
      const ids = tokens.slice(0, count);
      const prefix = await this.context.protocol.detokenize(this.pin, ids, request.signal);
      if (text.startsWith(prefix) && !prefix.endsWith(INCOMPLETE_CHARACTER)) {
        return { kept: ids, text, leftover: text.slice(prefix.length), stopString };
      }
    }
    return { kept: [], text, leftover: text, stopString };
  }

  private assertUsable(): void {
    if (this.disposed) throw new M1Error("this sequence was disposed");
  }
}
