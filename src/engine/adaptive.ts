import type { GenerateResult, GenerationSequence, SamplingOptions } from "../backends/types.js";
import { CancelledError, M1Error } from "../errors.js";
import type { ThinkingFormat } from "./thinking-formats.js";

/**
 * Adaptive test-time compute inside the thinking phase: answer probes, early exit when the answer
 * has settled, and the loop cut-off. The engine generates thinking in chunks that end at every
 * probe point (a multiple of `probeEvery` thinking tokens) and every loop check; at each chunk
 * boundary below the budget this monitor probes and checks, and says when thinking should end.
 */
export interface LoopCutoff {
  /** The shortest span that counts: a loop is a span of at least this many tokens... */
  ngram: number;
  /** ...written this many times in a row at the end of the thinking. */
  repeats: number;
}

export interface AdaptiveSettings {
  /** Probe the answer every this many thinking tokens (m1 eval's `probe_every`); null: no probes. */
  probeEvery: number | null;
  /** Tokens each probe may generate (`probe_tokens`). */
  probeTokens: number;
  /** End thinking when this many probes in a row give the same non-empty answer (0: never). */
  earlyExitPatience: number;
  /** End thinking when it loops (`loop_cutoff`); null: off. */
  loopCutoff: LoopCutoff | null;
}

/** Why thinking ended: the model itself, the budget, a settled answer, or a loop. */
export type StopReason = "model" | "budget" | "converged" | "loop";

/** One probe: the answer the model gave when asked at this point of its thinking. */
export interface ProbeAnswer {
  /** Thinking tokens at the probe (generated plus inserted Wait tokens, as the budget counts). */
  thinking_tokens: number;
  /** Where the probe sat in `thinking_text` (characters). */
  thinking_chars: number;
  /** What the extractor read from the probe ("" when it found no answer). */
  answer: string;
  /** The forced answer prefix plus what the probe generated: the response a run capped here gives. */
  response_text: string;
}

/** The default extractor when the caller gives none: the probe's text, trimmed. */
export const textAsAnswer = (responseText: string): string => responseText.trim();

/** Thinking is checked for loops at least this often when loop_cutoff is on (tokens). */
export const LOOP_CHECK_TOKENS = 64;

/**
 * Whether `units` end with one span of at least `ngram` units written `repeats` times in a row.
 * Each span length is rejected at its first mismatch, so a check costs about one comparison per
 * candidate length on text that does not loop.
 */
export function endsInLoop(units: readonly unknown[], cutoff: LoopCutoff): boolean {
  const { ngram, repeats } = cutoff;
  const length = units.length;
  for (let span = ngram; span * repeats <= length; span++) {
    const compared = span * (repeats - 1);
    let index = 1;
    while (index <= compared && units[length - index] === units[length - index - span]) index++;
    if (index > compared) return true;
  }
  return false;
}

/** Text cut into words, numbers, whitespace runs and single symbols: loop units without token ids. */
export function textUnits(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

export interface ProbeEvent {
  type: "probe";
  phase: "thinking";
  thinkingTokens: number;
  answer: string;
  text: string;
}

export interface ThinkingMonitorInput {
  settings: AdaptiveSettings;
  format: ThinkingFormat;
  sequence: GenerationSequence;
  sampling: SamplingOptions;
  /** Reads the answer from a probe's response text ("" for none). */
  extractAnswer: (responseText: string) => string;
  /** No early exit nor loop cut-off below this many thinking tokens (min_thinking_tokens). */
  minimumTokens: number;
  signal?: AbortSignal;
  onProbe?: (event: ProbeEvent) => void;
}

export class ThinkingMonitor {
  readonly probes: ProbeAnswer[] = [];
  /** Every token the probes cost: their text, what they generated, what restoring re-read. */
  probeTokensTotal = 0;
  private readonly input: ThinkingMonitorInput;
  /** Generated token ids (or text units) and a distinct marker per insertion, for the loop check. */
  private readonly units: unknown[] = [];
  private chunkIds: number[] = [];
  private insertions = 0;
  private streak = 0;

  constructor(input: ThinkingMonitorInput) {
    this.input = input;
  }

  /** Token ids of the current chunk, when the backend reports them. */
  readonly onToken = (token: number): void => {
    this.chunkIds.push(token);
  };

  /** The most tokens the next thinking call may generate: up to the next probe point or check. */
  chunkLimit(thinkingTokens: number, left: number): number {
    const { probeEvery, loopCutoff } = this.input.settings;
    let limit = left;
    if (probeEvery !== null) {
      const nextProbe = (Math.floor(thinkingTokens / probeEvery) + 1) * probeEvery;
      limit = Math.min(limit, nextProbe - thinkingTokens);
    }
    if (loopCutoff !== null) limit = Math.min(limit, LOOP_CHECK_TOKENS);
    return limit;
  }

  /** Inserted text (Wait) separates what the model wrote: no loop is counted across it. */
  noteInserted(): void {
    this.units.push(-1 - this.insertions++);
  }

  /**
   * After a thinking call: record its tokens, and at a chunk boundary below the budget, probe when
   * at a probe point and check for a loop. Returns why thinking should end now, if it should.
   */
  async afterChunk(
    result: GenerateResult,
    thinking: { text: string; tokens: number; budget: number },
  ): Promise<"converged" | "loop" | undefined> {
    const ids = this.chunkIds;
    this.chunkIds = [];
    for (const unit of ids.length === result.tokens ? ids : textUnits(result.text)) {
      this.units.push(unit);
    }
    if (result.finishReason !== "length" || thinking.tokens >= thinking.budget) return undefined;
    const { settings, minimumTokens } = this.input;
    const mayStop = thinking.tokens >= minimumTokens;
    if (settings.probeEvery !== null && thinking.tokens % settings.probeEvery === 0) {
      const settled = await this.probe(thinking.text, thinking.tokens);
      if (settled && mayStop) return "converged";
    }
    if (settings.loopCutoff !== null && mayStop && endsInLoop(this.units, settings.loopCutoff)) {
      return "loop";
    }
    return undefined;
  }

  /** Ask for the answer as it stands; true when it has now settled (early exit's patience met). */
  private async probe(thinkingText: string, thinkingTokens: number): Promise<boolean> {
    const { format, sequence, settings } = this.input;
    // What the engine would append if the budget ended thinking here.
    const newline = thinkingText.endsWith("\n") ? "" : "\n";
    const result = await sequence.probe(newline + format.forcedAnswerPrefix, {
      maxTokens: settings.probeTokens,
      stop: format.stopStrings,
      sampling: this.input.sampling,
      signal: this.input.signal,
    });
    if (result.finishReason === "abort") throw new CancelledError();
    if (result.finishReason === "error") throw new M1Error("an answer probe ended with an error");
    this.probeTokensTotal += result.textTokens + result.tokens + result.reReadTokens;
    const responseText = format.forcedAnswerPrefix + result.text;
    const answer = this.input.extractAnswer(responseText);
    const previous = this.probes.at(-1)?.answer;
    this.streak = answer === "" ? 0 : answer === previous ? this.streak + 1 : 1;
    this.probes.push({
      thinking_tokens: thinkingTokens,
      thinking_chars: thinkingText.length,
      answer,
      response_text: responseText,
    });
    this.input.onProbe?.({
      type: "probe",
      phase: "thinking",
      thinkingTokens,
      answer,
      text: result.text,
    });
    return settings.earlyExitPatience > 0 && this.streak >= settings.earlyExitPatience;
  }
}
