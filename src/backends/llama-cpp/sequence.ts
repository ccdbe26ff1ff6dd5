import {
  TokenBias,
  type LlamaContextSequence,
  type LlamaModel,
  type SequenceEvaluateOptions,
  type Token,
} from "node-llama-cpp";
import {
  BackendCallError,
  CancelledError,
  ConfigError,
  InputError,
  M1Error,
} from "../../errors.js";
import type {
  FinishReason,
  GenerateRequest,
  GenerateResult,
  GenerationSequence,
  ProbeResult,
} from "../types.js";
import { IncrementalDetokenizer } from "./incremental-detokenizer.js";
import { StopStringMatcher, type StopMatch } from "./stop-matcher.js";

function checkMaxTokens(request: GenerateRequest): void {
  if (!Number.isInteger(request.maxTokens) || request.maxTokens <= 0) {
    throw new ConfigError(`maxTokens must be a whole number above 0, got ${request.maxTokens}`);
  }
}

/** What a sequence needs from the backend that opened it. */
export interface SequenceHost {
  readonly model: LlamaModel;
  /** `model.isEogToken`, cached: it is asked once per generated token. */
  isEndOfGeneration(token: Token): boolean;
  /** Bias banning end-of-generation tokens and the first token of each stop string; undefined when unsupported. */
  stopBanBias(stops: readonly string[]): TokenBias | undefined;
  /** Runs one decode step (the backend may hold it back so side-by-side contexts share the cores). */
  decode<T>(step: () => Promise<T>): Promise<T>;
  /** Called once when the sequence is disposed, to free its slot. */
  release(): void;
}

/** A token that belongs to the sequence but has not been fed through the model yet. */
interface PendingToken {
  token: Token;
  /** Already counted in `evaluatedTokens` (a sampled token is counted when sampled). */
  counted: boolean;
}

/** How one generate call ended, before the sequence is tidied up. */
interface CallOutcome {
  finishReason: FinishReason;
  stop?: StopMatch;
  /** Which end-of-generation token ended the call, as text. */
  endOfGeneration?: string;
}

/**
 * One question's growing text on one llama.cpp context sequence. Its KV cache always holds the
 * prompt plus the returned and appended text (stop strings and end-of-generation tokens are
 * removed), except for tokens not fed yet (`pending`): appended text and the last sampled token
 * are fed together at the start of the next call, in one batch, so nothing is read twice.
 */
export class LlamaCppSequence implements GenerationSequence {
  private readonly host: SequenceHost;
  private readonly sequence: LlamaContextSequence;
  private readonly model: LlamaModel;
  private textSoFar: string;
  private pending: PendingToken[];
  private evaluated = 0;
  private busy = false;
  private disposed = false;
  readonly promptTokens: number;

  constructor(host: SequenceHost, sequence: LlamaContextSequence, prompt: string) {
    this.host = host;
    this.sequence = sequence;
    this.model = host.model;
    const tokens = this.model.tokenize(prompt, true);
    if (tokens.length === 0) {
      throw new InputError("the prompt is empty", {}, "give the model some text to continue");
    }
    this.textSoFar = prompt;
    this.promptTokens = tokens.length;
    this.pending = tokens.map((token) => ({ token, counted: false }));
  }

  get text(): string {
    return this.textSoFar;
  }

  /**
   * Tokens the model has read or produced on this sequence: prefill, appended tokens and every
   * sampled token, each once (a sampled token fed back in is not read again), plus any real
   * re-read (text re-tokenized after a stop string cut a token, a token re-fed to get fresh
   * logits). It equals prompt + generated + appended tokens exactly when nothing was re-read.
   */
  get evaluatedTokens(): number {
    return this.evaluated;
  }

  /** Tokens llama.cpp actually decoded on this sequence (its token meter; logits rows count as output). */
  get decodedTokens(): number {
    const meter = this.sequence.tokenMeter;
    return meter.usedInputTokens + meter.usedOutputTokens;
  }

  /** The text the model's state holds (fed and pending tokens); equals `text` by design. */
  contextText(): string {
    const tokens = [...this.sequence.contextTokens, ...this.pending.map(({ token }) => token)];
    return this.model.detokenize(tokens, true);
  }

  async append(text: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertUsable();
    if (options.signal?.aborted) throw new CancelledError();
    const tokens = this.model.tokenize(text, true);
    for (const token of tokens) this.pending.push({ token, counted: false });
    this.textSoFar += text;
    return tokens.length;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.assertUsable();
    checkMaxTokens(request);
    if (request.signal?.aborted) return { text: "", tokens: 0, finishReason: "abort" };
    this.busy = true;
    try {
      return await this.runGeneration(request);
    } finally {
      this.busy = false;
    }
  }

  /**
   * Generate after `text` on a branch of this sequence, then erase the branch from the KV cache.
   * The branch starts after exactly one token of the sequence (anything else pending is fed into
   * the sequence first, as the next call would); that token is fed with the probe and, since the
   * probe overwrote its next-token logits, fed once more by the next call: `reReadTokens` = 1.
   */
  async probe(text: string, request: GenerateRequest): Promise<ProbeResult> {
    this.assertUsable();
    checkMaxTokens(request);
    const aborted = { text: "", tokens: 0, finishReason: "abort" as const };
    if (request.signal?.aborted) return { ...aborted, textTokens: 0, reReadTokens: 0 };
    this.busy = true;
    try {
      const probeTokens = this.model.tokenize(text, true);
      this.checkRoom(this.pending.length + probeTokens.length, request.maxTokens);
      const branch = await this.settleToOnePendingToken();
      const branchStart = this.sequence.nextTokenIndex;
      const textBefore = this.textSoFar;
      this.pending = [branch, ...probeTokens.map((token) => ({ token, counted: false }))];
      let result: GenerateResult;
      let fed = false;
      try {
        result = await this.runGeneration(request);
      } finally {
        fed = this.sequence.nextTokenIndex > branchStart;
        if (fed) {
          await this.sequence.eraseContextTokenRanges([
            { start: branchStart, end: this.sequence.nextTokenIndex },
          ]);
        }
        // Fed with the probe, the branch token is read again (and counted again) by the next call.
        this.pending = [fed ? { token: branch.token, counted: false } : branch];
        this.textSoFar = textBefore;
      }
      return { ...result, textTokens: probeTokens.length, reReadTokens: fed ? 1 : 0 };
    } finally {
      this.busy = false;
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      if (!this.sequence.disposed) await this.sequence.dispose();
    } finally {
      this.host.release();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** A failure inside llama.cpp: cancelled when the model was closed under us, else a call error. */
  private callError(error: unknown): Error {
    if (this.sequence.disposed) return new CancelledError("the model was closed");
    const message = error instanceof Error ? error.message : String(error);
    return new BackendCallError(`llama.cpp failed while generating: ${message}`, {
      isRetryable: false,
      cause: error,
    });
  }

  private assertUsable(): void {
    if (this.disposed) throw new M1Error("this sequence was already disposed");
    if (this.busy) throw new M1Error("a sequence runs one call at a time; await the previous one");
    if (this.sequence.disposed) throw new CancelledError("the model was closed");
  }

  private async runGeneration(request: GenerateRequest): Promise<GenerateResult> {
    // Checked before touching the state, so a refused call leaves the sequence as it was.
    this.checkRoom(this.pending.length, request.maxTokens);
    const input = await this.takeInput();
    const firstGeneratedIndex = this.sequence.nextTokenIndex + input.length;

    const generated: Token[] = [];
    /** Per generated token: offset in the call's text where its character group ends (-1 inside a group). */
    const groupEnds: number[] = [];
    const detokenizer = new IncrementalDetokenizer(this.model);
    const matcher = new StopStringMatcher(request.stop);
    const emit = (text: string) => {
      if (text.length > 0) request.onText?.(text);
    };

    const iterator = this.sequence.evaluate(
      input.map(({ token }) => token),
      this.evaluateOptions(request, generated),
    );
    let inputFed = false;
    let outcome: CallOutcome = { finishReason: "length" };
    try {
      for (;;) {
        if (request.signal?.aborted) {
          outcome = { finishReason: "abort" };
          break;
        }
        let step: IteratorResult<Token, void>;
        try {
          step = await this.host.decode(() => iterator.next());
        } catch (error) {
          throw this.callError(error);
        }
        if (!inputFed) {
          inputFed = true;
          this.evaluated += input.filter(({ counted }) => !counted).length;
        }
        if (step.done) {
          outcome = { finishReason: "stop" };
          break;
        }
        const token = step.value;
        generated.push(token);
        this.evaluated++;
        request.onToken?.(token);
        if (this.host.isEndOfGeneration(token)) {
          outcome = {
            finishReason: "stop",
            endOfGeneration: this.model.detokenize([token], true),
          };
          break;
        }
        const piece = detokenizer.push(token);
        if (detokenizer.heldTokens > 0) {
          groupEnds.push(-1);
        } else {
          const { safe, stop } = matcher.push(piece);
          groupEnds.push(matcher.length);
          emit(safe);
          if (stop) {
            outcome = { finishReason: "stop", stop };
            break;
          }
        }
        if (generated.length >= request.maxTokens) break;
      }
    } finally {
      // Closing the generator never feeds the last sampled token.
      await iterator.return().catch(() => undefined);
    }

    if (!inputFed) {
      // Cancelled before anything was fed: the input is still owed to the model.
      this.pending = input;
      return { text: "", tokens: 0, finishReason: "abort" };
    }

    let text: string;
    if (outcome.stop) {
      text = matcher.fullText.slice(0, outcome.stop.index);
      await this.dropAfterStop(generated, groupEnds, firstGeneratedIndex, text);
    } else {
      // Length, abort or end-of-generation: the call is over, so held-back text is real text.
      const tail = detokenizer.flush();
      text = matcher.fullText + tail;
      emit(matcher.flush() + tail);
      if (outcome.endOfGeneration === undefined && generated.length > 0) {
        // The last sampled token is part of the text but not fed yet.
        this.pending.push({ token: generated[generated.length - 1], counted: true });
      }
      // An end-of-generation token is never fed, so it never enters the context.
    }

    this.textSoFar += text;
    const stopString =
      outcome.stop?.stopString ??
      (outcome.endOfGeneration !== undefined && request.stop.includes(outcome.endOfGeneration)
        ? outcome.endOfGeneration
        : undefined);
    return {
      text,
      tokens: generated.length,
      finishReason: outcome.finishReason,
      ...(stopString === undefined ? {} : { stopString }),
    };
  }

  /**
   * Make the context hold exactly the text before the stop string: keep the generated tokens whose
   * characters all lie before it, erase the fed ones after them, and queue the text between the
   * last kept token and the stop string (when the stop string starts inside a token) as new input.
   */
  private async dropAfterStop(
    generated: readonly Token[],
    groupEnds: readonly number[],
    firstGeneratedIndex: number,
    keptText: string,
  ): Promise<void> {
    let keptTokens = 0;
    let coveredText = 0;
    for (let index = 0; index < generated.length; index++) {
      const end = groupEnds[index];
      if (end === undefined || end > keptText.length) break;
      if (end >= 0) {
        keptTokens = index + 1;
        coveredText = end;
      }
    }
    // Every generated token but the last was fed; the last one never enters the context.
    const fedGenerated = generated.length - 1;
    if (keptTokens < fedGenerated) {
      await this.sequence.eraseContextTokenRanges([
        { start: firstGeneratedIndex + keptTokens, end: firstGeneratedIndex + fedGenerated },
      ]);
    } else if (keptTokens === generated.length) {
      this.pending.push({ token: generated[generated.length - 1], counted: true });
    }
    const leftover = keptText.slice(coveredText);
    for (const token of this.model.tokenize(leftover, true)) {
      this.pending.push({ token, counted: false });
    }
  }

  /**
   * Leave exactly one token pending (the token a branch starts after): extra pending tokens are
   * fed into the sequence now, and with none pending the last context token is taken back to be
   * read again, as `takeInput` would do for the next call. Returns that token, taken off `pending`.
   */
  private async settleToOnePendingToken(): Promise<PendingToken> {
    if (this.pending.length === 0) {
      const [last] = await this.takeInput();
      return last!;
    }
    if (this.pending.length > 1) {
      const ahead = this.pending.slice(0, -1);
      try {
        await this.sequence.evaluateWithoutGeneratingNewTokens(ahead.map(({ token }) => token));
      } catch (error) {
        throw this.callError(error);
      }
      this.evaluated += ahead.filter(({ counted }) => !counted).length;
      this.pending = this.pending.slice(-1);
    }
    const [only] = this.pending;
    this.pending = [];
    return only!;
  }

  /**
   * The tokens to feed before sampling: whatever is pending. When nothing is (the previous call
   * ended on a stop that was dropped), the last context token is read again to get fresh logits.
   */
  private async takeInput(): Promise<PendingToken[]> {
    if (this.pending.length > 0) {
      const input = this.pending;
      this.pending = [];
      return input;
    }
    const contextTokens = this.sequence.contextTokens;
    const last = contextTokens[contextTokens.length - 1];
    if (last === undefined) throw new M1Error("the sequence holds no tokens to continue from");
    const end = this.sequence.nextTokenIndex;
    await this.sequence.eraseContextTokenRanges([{ start: end - 1, end }]);
    return [{ token: last, counted: false }];
  }

  /** Refuse a call whose budget cannot fit, as servers do (m1 needs the whole budget available). */
  private checkRoom(inputTokens: number, maxTokens: number): void {
    // Generating N tokens feeds N - 1 of them. (With nothing pending, the last context token is
    // erased and fed again: the same count.)
    const needed = this.sequence.nextTokenIndex + inputTokens + maxTokens - 1;
    if (needed > this.sequence.contextSize) {
      throw new BackendCallError(
        `the context holds ${this.sequence.contextSize} tokens per sequence, but this call needs up to ${needed} ` +
          `(${this.sequence.nextTokenIndex + inputTokens} so far + ${maxTokens} to generate); raise --context-size or lower the budgets`,
        { isRetryable: false },
      );
    }
  }

  private evaluateOptions(
    request: GenerateRequest,
    generated: readonly Token[],
  ): SequenceEvaluateOptions {
    const { sampling } = request;
    const suppressFor = request.suppressStopForTokens ?? 0;
    const ban = suppressFor > 0 ? this.host.stopBanBias(request.stop) : undefined;
    const noBias = new TokenBias(this.model.tokenizer);
    const frequencyPenalty = sampling.frequencyPenalty ?? 0;
    return {
      temperature: sampling.temperature,
      // Like vLLM/SGLang defaults: no top-k cut, top-p 1, no min-p.
      topK: 0,
      topP: sampling.topP ?? 1,
      minP: 0,
      seed: sampling.seed,
      yieldEogToken: true,
      // Read at every sampling step, so the ban lifts exactly after `suppressFor` tokens.
      tokenBias: ban ? () => (generated.length < suppressFor ? ban : noBias) : undefined,
      repeatPenalty:
        frequencyPenalty === 0
          ? undefined
          : {
              // Like servers: the penalty counts this call's generated tokens.
              punishTokens: () => generated as Token[],
              maxPunishTokens: request.maxTokens,
              penalty: 1,
              frequencyPenalty,
              presencePenalty: 0,
            },
    };
  }
}
