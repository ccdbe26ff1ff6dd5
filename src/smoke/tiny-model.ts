import { trainByteBpe } from "./byte-bpe.js";
import { SMOKE_CHAT_TEMPLATE } from "./chat-template.js";
import { SMOKE_CORPUS } from "./corpus.js";
import { encodeGguf, gguf, type GgufTensor } from "./gguf-writer.js";
import { Mulberry32, approximateNormals, type RandomGenerator } from "../random/index.js";

/**
 * The m1 smoke model: a tiny `llama`-architecture GGUF with seeded random weights. It is a test
 * fixture and a smoke model, NOT a real model: it writes gibberish, but it writes it through the
 * real tokenizer, chat template, special tokens and llama.cpp code paths, deterministically.
 *
 * Its weights are random except for three hand-built features that make its behaviour useful for
 * exercising budgets (both "stopped by itself" and "hit the budget" happen under greedy decoding):
 * - a constant "bias" dimension in every embedding, which the output layer reads as a per-token
 *   logit bias (byte tokens outside printable ASCII are pushed down, words up, stop tokens tuned);
 * - a "clock": one attention head attends uniformly to the whole past and counts the
 *   `<|im_start|>` tokens in it, so its output decays like 1/position; the stop token's logit reads
 *   it negatively, making stopping rare early in a reply and likelier as the reply grows;
 * - nothing else: whether a given prompt stops early or runs to the budget depends on where the
 *   greedy trajectory wanders, which differs per prompt.
 */

/** Bump whenever the bytes change (weights, vocabulary, metadata): the cache file name carries it. */
export const SMOKE_MODEL_VERSION = 2;

export const SMOKE_MODEL_NAME = "m1-tiny-smoke";

/** The shape of the network. Small enough to load in milliseconds and run fast on one core. */
export const SMOKE_MODEL_SHAPE = {
  embeddingLength: 64,
  feedForwardLength: 128,
  blockCount: 2,
  headCount: 4,
  headCountKv: 2,
  contextLength: 32768,
  mergeCount: 300,
} as const;

/** The hand-tuned knobs described above. */
export const SMOKE_MODEL_TUNING = {
  seed: 20250401,
  embeddingScale: 1,
  projectionScale: 0.25,
  outputScale: 0.35,
  /** Value of the constant bias dimension in every embedding. */
  biasFeature: 4,
  /** Value of the `<|im_start|>` indicator dimension in its embedding. */
  indicatorFeature: 8,
  /** How strongly the clock head writes the indicator average into the residual stream. */
  clockGain: 6,
  /** Logit bias (times the bias feature) per token class. */
  wordBias: 0.35,
  asciiBias: 0,
  nonAsciiBias: -2,
  stopBias: 1.7,
  imStartBias: -0.3,
  endOfTextBias: -3,
  /** How strongly the clock holds the stop token down early in a reply. */
  stopClockWeight: -3,
};

export type SmokeModelTuning = typeof SMOKE_MODEL_TUNING;

/** Dimensions of the residual stream reserved for the hand-built features. */
const BIAS_DIM = 0;
const CLOCK_DIM = 1;
const INDICATOR_DIM = 2;

export const SMOKE_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

const TOKEN_TYPE_NORMAL = 1;
const TOKEN_TYPE_CONTROL = 3;

interface Vocabulary {
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
  endOfText: number;
  imStart: number;
  imEnd: number;
}

function buildVocabulary(): Vocabulary {
  const bpe = trainByteBpe(SMOKE_CORPUS, SMOKE_MODEL_SHAPE.mergeCount);
  const tokens = [...bpe.tokens, ...SMOKE_SPECIAL_TOKENS];
  const tokenTypes = tokens.map((_, id) =>
    id >= bpe.tokens.length ? TOKEN_TYPE_CONTROL : TOKEN_TYPE_NORMAL,
  );
  return {
    tokens,
    tokenTypes,
    merges: bpe.merges,
    endOfText: bpe.tokens.length,
    imStart: bpe.tokens.length + 1,
    imEnd: bpe.tokens.length + 2,
  };
}

/** Per-token logit bias (in units of the bias feature), by what the token spells. */
function tokenBias(vocabulary: Vocabulary, id: number, tuning: SmokeModelTuning): number {
  if (id === vocabulary.imEnd) return tuning.stopBias;
  if (id === vocabulary.imStart) return tuning.imStartBias;
  if (id === vocabulary.endOfText) return tuning.endOfTextBias;
  if (id >= 256) return tuning.wordBias;
  // Byte tokens: ids 0..255 are the byte values.
  const printable = (id >= 0x20 && id < 0x7f) || id === 0x0a;
  return printable ? tuning.asciiBias : tuning.nonAsciiBias;
}

/** A matrix with `rows` outputs of `cols` inputs, stored row-major (GGUF dims [cols, rows]). */
function matrix(random: RandomGenerator, cols: number, rows: number, scale: number): Float32Array {
  return approximateNormals(random, cols * rows, scale / Math.sqrt(cols));
}

function ones(length: number): Float32Array {
  return new Float32Array(length).fill(1);
}

/** Zero the rows of a row-major matrix that write into the reserved feature dimensions. */
function protectFeatureRows(weights: Float32Array, cols: number): Float32Array {
  for (const dim of [BIAS_DIM, CLOCK_DIM, INDICATOR_DIM]) {
    weights.fill(0, dim * cols, (dim + 1) * cols);
  }
  return weights;
}

function buildTensors(vocabulary: Vocabulary, tuning: SmokeModelTuning): GgufTensor[] {
  const shape = SMOKE_MODEL_SHAPE;
  const random = new Mulberry32(tuning.seed);
  const nEmbd = shape.embeddingLength;
  const nVocab = vocabulary.tokens.length;
  const headDim = nEmbd / shape.headCount;
  const nEmbdKv = headDim * shape.headCountKv;

  const embeddings = approximateNormals(random, nEmbd * nVocab, tuning.embeddingScale);
  for (let id = 0; id < nVocab; id++) {
    const row = id * nEmbd;
    embeddings[row + BIAS_DIM] = tuning.biasFeature;
    embeddings[row + CLOCK_DIM] = 0;
    embeddings[row + INDICATOR_DIM] = id === vocabulary.imStart ? tuning.indicatorFeature : 0;
  }

  const output = matrix(random, nEmbd, nVocab, tuning.outputScale * Math.sqrt(nEmbd));
  for (let id = 0; id < nVocab; id++) {
    const row = id * nEmbd;
    output[row + BIAS_DIM] = tokenBias(vocabulary, id, tuning);
    output[row + CLOCK_DIM] = id === vocabulary.imEnd ? tuning.stopClockWeight : 0;
    output[row + INDICATOR_DIM] = 0;
  }

  const tensors: GgufTensor[] = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], data: embeddings },
    { name: "output_norm.weight", dims: [nEmbd], data: ones(nEmbd) },
    { name: "output.weight", dims: [nEmbd, nVocab], data: output },
  ];

  for (let block = 0; block < shape.blockCount; block++) {
    const query = matrix(random, nEmbd, nEmbd, tuning.projectionScale * 8);
    const key = matrix(random, nEmbd, nEmbdKv, tuning.projectionScale * 8);
    const value = matrix(random, nEmbd, nEmbdKv, tuning.projectionScale * 4);
    const attentionOutput = protectFeatureRows(
      matrix(random, nEmbd, nEmbd, tuning.projectionScale * 4),
      nEmbd,
    );
    const gate = matrix(random, nEmbd, shape.feedForwardLength, tuning.projectionScale * 4);
    const up = matrix(random, nEmbd, shape.feedForwardLength, tuning.projectionScale * 4);
    const down = protectFeatureRows(
      matrix(random, shape.feedForwardLength, nEmbd, tuning.projectionScale * 4),
      shape.feedForwardLength,
    );

    if (block === 0) {
      // The clock: query heads 0 and 1 (which share key/value head 0) get zero queries, so they
      // attend uniformly to the past; value dim 0 of head 0 copies the `<|im_start|>` indicator and
      // the output projection writes head 0's first output into the clock dimension.
      query.fill(0, 0, 2 * headDim * nEmbd);
      value.fill(0, 0, nEmbd);
      value[INDICATOR_DIM] = 1;
      for (let input = 0; input < headDim; input++) {
        attentionOutput[CLOCK_DIM * nEmbd + input] = 0;
      }
      attentionOutput[CLOCK_DIM * nEmbd + 0] = tuning.clockGain;
    }

    tensors.push(
      { name: `blk.${block}.attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${block}.attn_q.weight`, dims: [nEmbd, nEmbd], data: query },
      { name: `blk.${block}.attn_k.weight`, dims: [nEmbd, nEmbdKv], data: key },
      { name: `blk.${block}.attn_v.weight`, dims: [nEmbd, nEmbdKv], data: value },
      { name: `blk.${block}.attn_output.weight`, dims: [nEmbd, nEmbd], data: attentionOutput },
      { name: `blk.${block}.ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      {
        name: `blk.${block}.ffn_gate.weight`,
        dims: [nEmbd, shape.feedForwardLength],
        data: gate,
      },
      { name: `blk.${block}.ffn_up.weight`, dims: [nEmbd, shape.feedForwardLength], data: up },
      {
        name: `blk.${block}.ffn_down.weight`,
        dims: [shape.feedForwardLength, nEmbd],
        data: down,
      },
    );
  }
  return tensors;
}

/** The complete GGUF file of the smoke model; the same SMOKE_MODEL_VERSION gives the same bytes. */
export function buildSmokeModel(tuning: SmokeModelTuning = SMOKE_MODEL_TUNING): Buffer {
  const shape = SMOKE_MODEL_SHAPE;
  const vocabulary = buildVocabulary();
  const headDim = shape.embeddingLength / shape.headCount;
  return encodeGguf({
    metadata: [
      ["general.architecture", gguf.string("llama")],
      ["general.name", gguf.string(`${SMOKE_MODEL_NAME}-v${SMOKE_MODEL_VERSION}`)],
      [
        "general.description",
        gguf.string(
          "m1 smoke model: a tiny test fixture with random weights. Not a real model; it writes gibberish.",
        ),
      ],
      ["general.file_type", gguf.u32(0)],
      ["llama.context_length", gguf.u32(shape.contextLength)],
      ["llama.embedding_length", gguf.u32(shape.embeddingLength)],
      ["llama.block_count", gguf.u32(shape.blockCount)],
      ["llama.feed_forward_length", gguf.u32(shape.feedForwardLength)],
      ["llama.attention.head_count", gguf.u32(shape.headCount)],
      ["llama.attention.head_count_kv", gguf.u32(shape.headCountKv)],
      ["llama.rope.dimension_count", gguf.u32(headDim)],
      ["llama.rope.freq_base", gguf.f32(10000)],
      ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-6)],
      ["tokenizer.ggml.model", gguf.string("gpt2")],
      ["tokenizer.ggml.pre", gguf.string("qwen2")],
      ["tokenizer.ggml.tokens", gguf.strings(vocabulary.tokens)],
      ["tokenizer.ggml.token_type", gguf.i32s(vocabulary.tokenTypes)],
      ["tokenizer.ggml.merges", gguf.strings(vocabulary.merges)],
      ["tokenizer.ggml.bos_token_id", gguf.u32(vocabulary.endOfText)],
      ["tokenizer.ggml.eos_token_id", gguf.u32(vocabulary.imEnd)],
      ["tokenizer.ggml.padding_token_id", gguf.u32(vocabulary.endOfText)],
      ["tokenizer.ggml.add_bos_token", gguf.bool(false)],
      ["tokenizer.chat_template", gguf.string(SMOKE_CHAT_TEMPLATE)],
    ],
    tensors: buildTensors(vocabulary, tuning),
  });
}
