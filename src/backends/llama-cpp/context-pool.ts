import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { BackendSetupError, CancelledError, M1Error } from "../../errors.js";
import { firstLine } from "./model-source.js";
import { takeLlamaError } from "./runtime.js";
import { SequenceSlots } from "./sequence-slots.js";

export interface ContextPoolSettings {
  /** One context per sequence (true) or one context holding every sequence (false). */
  deterministic: boolean;
  /** Sequences that may be open at once. */
  sequences: number;
  threads: number;
  /** The model file's name, for messages. */
  modelName: string;
  signal?: AbortSignal;
}

/** A sequence lent by the pool; `release` gives its slot (and context) back after it is disposed. */
export interface PooledSequence {
  sequence: LlamaContextSequence;
  release(): void;
}

/**
 * Where the embedded backend's sequences live.
 *
 * Deterministic (the default): one llama.cpp context per sequence. llama.cpp picks its kernels by
 * the number of tokens in a decode (flash attention has one path for a single token, another for
 * a few, a tiled one for many), and node-llama-cpp puts every sequence of a context into the same
 * decode, so in a shared context a question's numbers depend on which other questions were being
 * decoded beside it at that moment. In a context of its own a question's decodes hold only its own
 * tokens: its output depends on nothing but its own text (docs/embedded-engine.md has the
 * measurements). A context, once its sequence is disposed, is empty and reused as if new.
 *
 * Shared (`deterministic: false`): one context holding every sequence, batched together.
 *
 * Contexts are created on first need, with the size asked for (`create`) or as large as memory
 * allows up to the model's trained context.
 */
export class ContextPool {
  private readonly model: LlamaModel;
  private readonly settings: ContextPoolSettings;
  private readonly slots: SequenceSlots;
  private contexts: LlamaContext[] = [];
  private free: LlamaContext[] = [];
  private creating?: Promise<void>;
  private inUse = 0;

  constructor(model: LlamaModel, settings: ContextPoolSettings) {
    this.model = model;
    this.settings = settings;
    this.slots = new SequenceSlots(settings.sequences);
  }

  /** Tokens per sequence of the contexts; 0 until they exist. */
  get contextSize(): number {
    return this.contexts[0]?.contextSize ?? 0;
  }

  /**
   * Make sure the contexts exist and hold `size` tokens per sequence ("auto": whatever they hold
   * or, when none exist yet, as much as memory allows up to the trained context).
   */
  async ensure(size: number | "auto"): Promise<void> {
    while (this.creating) await this.creating;
    if (this.contexts.length > 0 && (size === "auto" || this.contextSize >= size)) return;
    if (this.inUse > 0) {
      throw new M1Error(
        `cannot resize the llama.cpp context to ${size} tokens while sequences are open`,
      );
    }
    this.creating = this.create(size);
    try {
      await this.creating;
    } finally {
      this.creating = undefined;
    }
  }

  async acquire(signal?: AbortSignal): Promise<PooledSequence> {
    await this.ensure("auto");
    await this.slots.acquire(signal);
    this.inUse++;
    const context = this.settings.deterministic ? this.free.pop()! : this.contexts[0]!;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inUse--;
      if (this.settings.deterministic) this.free.push(context);
      this.slots.release();
    };
    try {
      return { sequence: context.getSequence(), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Rejects waiting callers and frees every context. */
  async dispose(error: Error): Promise<void> {
    this.slots.close(error);
    while (this.creating) await this.creating.catch(() => undefined);
    await this.disposeContexts();
  }

  private async create(size: number | "auto"): Promise<void> {
    await this.disposeContexts();
    const { deterministic, sequences } = this.settings;
    const count = deterministic ? sequences : 1;
    const created: LlamaContext[] = [];
    try {
      const contextSize = count > 1 && size === "auto" ? await this.autoSize(count) : size;
      for (let index = 0; index < count; index++) {
        created.push(await this.createContext(contextSize, deterministic ? 1 : sequences));
      }
    } catch (error) {
      await Promise.all(created.map((context) => context.dispose()));
      throw error;
    }
    this.contexts = created;
    this.free = deterministic ? [...created].reverse() : [];
  }

  /** As large as memory allows for `count` sequences, up to the trained context, like "auto". */
  private async autoSize(count: number): Promise<number> {
    try {
      return await this.model.fileInsights.configurationResolver.resolveContextContextSize("auto", {
        modelGpuLayers: this.model.gpuLayers,
        modelTrainContextSize: this.model.trainContextSize,
        sequences: count,
      });
    } catch (error) {
      throw new BackendSetupError(
        `not enough memory for ${count} llama.cpp contexts of ${this.settings.modelName}: ${firstLine(error)}`,
        "lower the concurrency or --context-size, or free memory",
        { cause: error },
      );
    }
  }

  private async createContext(
    contextSize: number | "auto",
    sequences: number,
  ): Promise<LlamaContext> {
    const { signal } = this.settings;
    if (signal?.aborted) throw new CancelledError();
    takeLlamaError();
    try {
      return await this.model.createContext({
        sequences,
        contextSize,
        threads: this.settings.threads,
        createSignal: signal,
      });
    } catch (error) {
      if (signal?.aborted) throw new CancelledError();
      const what =
        this.settings.deterministic && this.settings.sequences > 1
          ? `${this.settings.sequences} llama.cpp contexts (one per sequence)`
          : "a llama.cpp context";
      throw new BackendSetupError(
        `cannot create ${what} of ${contextSize} tokens for ${this.settings.modelName}: ${takeLlamaError() ?? firstLine(error)}`,
        "lower the budgets, context_size (--context-size) or concurrency, or free memory",
        { cause: error },
      );
    }
  }

  private async disposeContexts(): Promise<void> {
    const contexts = this.contexts;
    this.contexts = [];
    this.free = [];
    await Promise.all(contexts.map((context) => context.dispose()));
  }
}
