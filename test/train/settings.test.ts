import { describe, expect, it } from "vitest";
import { dotlistLayer } from "../../src/config/index.js";
import { modelFamily, parameterBillions } from "../../src/train/model-family.js";
import { resolveTrainSettings } from "../../src/train/settings.js";

const QWEN_7B = "Qwen/Qwen2.5-7B-Instruct";

function withU(dotlist: string, model = QWEN_7B) {
  return resolveTrainSettings(model, [dotlistLayer(dotlist)]);
}

describe("training settings", () => {
  it("defaults to m1's hyperparameters", () => {
    const { settings, gradientAccumulationSteps, worldSize } = resolveTrainSettings(QWEN_7B, []);
    expect(settings).toMatchObject({
      learning_rate: 1e-5,
      num_train_epochs: 5,
      global_batch_size: 16,
      per_device_train_batch_size: 1,
      weight_decay: 1e-4,
      warmup_ratio: 0.05,
      lr_scheduler_type: "cosine",
      adam_beta1: 0.9,
      adam_beta2: 0.95,
      block_size: 32768,
      save_strategy: "epoch",
      bf16: true,
      gradient_checkpointing: false,
      decoder_layer_class: "Qwen2DecoderLayer",
      pad_token: "<|fim_pad|>",
      gpus: 8,
      nodes: 1,
    });
    expect(worldSize).toBe(8);
    expect(gradientAccumulationSteps).toBe(2);
  });

  it.each([
    [8, 1, 2],
    [8, 2, 1],
    [1, 1, 16],
    [4, 1, 4],
  ])("derives gradient accumulation 16 / (%i GPUs x %i nodes) = %i", (gpus, nodes, steps) => {
    const resolved = resolveTrainSettings(QWEN_7B, [
      { origin: { kind: "flag", flag: "--gpus" }, values: { gpus, nodes } },
    ]);
    expect(resolved.gradientAccumulationSteps).toBe(steps);
    expect(resolved.worldSize).toBe(gpus * nodes);
  });

  it("refuses a GPU count that does not divide the global batch of 16", () => {
    expect(() =>
      resolveTrainSettings(QWEN_7B, [
        { origin: { kind: "flag", flag: "--gpus" }, values: { gpus: 3 } },
      ]),
    ).toThrow(
      /^global_batch_size: global_batch_size 16 is not a multiple of per_device_train_batch_size 1 x 3 GPUs x 1 nodes = 3 \(fix: use a GPU count that divides 16/,
    );
    expect(() => withU("gpus=8,nodes=4")).toThrow(/not a multiple of .* = 32/);
  });

  it("takes OmegaConf-style -u values: True/false, numbers with exponents, null", () => {
    const { settings } = withU(
      "learning_rate=2e-5,bf16=False,gradient_checkpointing=True,num_train_epochs=3,pad_token=null,report_to=wandb",
    );
    expect(settings.learning_rate).toBe(2e-5);
    expect(settings.bf16).toBe(false);
    expect(settings.gradient_checkpointing).toBe(true);
    expect(settings.num_train_epochs).toBe(3);
    expect(settings.pad_token).toBeNull();
    expect(settings.report_to).toBe("wandb");
  });

  it("lets later sources win: -c file, then flags, then -u", () => {
    const { settings } = resolveTrainSettings(QWEN_7B, [
      {
        origin: { kind: "file", path: "run.yaml", lineOf: () => undefined },
        values: { learning_rate: 3e-5, num_train_epochs: 2 },
      },
      { origin: { kind: "flag", flag: "--learning-rate" }, values: { learning_rate: 4e-5 } },
      { origin: { kind: "dotlist", flag: "-u" }, values: { num_train_epochs: 7 } },
    ]);
    expect(settings.learning_rate).toBe(4e-5);
    expect(settings.num_train_epochs).toBe(7);
  });

  it("rejects an unknown -u key and suggests the right name", () => {
    expect(() => withU("max_length=4096")).toThrow(
      "-u max_length: unknown key 'max_length' (fix: did you mean 'block_size'? e.g. -u block_size=4096)",
    );
    expect(() => withU("learning_rat=1e-5")).toThrow(/did you mean 'learning_rate'\?/);
    expect(() => withU("no_such_thing=1")).toThrow(/known settings: gpus, nodes, learning_rate/);
  });

  it("rejects a value of the wrong type, naming the key and where it came from", () => {
    expect(() => withU("learning_rate=fast")).toThrow(
      '-u learning_rate: "fast" is not a number above 0 (fix: use e.g. -u learning_rate=0.00001)',
    );
    expect(() =>
      resolveTrainSettings(QWEN_7B, [
        {
          origin: { kind: "file", path: "run.yaml", lineOf: () => 3 },
          values: { gpus: 0 },
        },
      ]),
    ).toThrow("run.yaml:3: gpus: 0 is not a whole number above 0 (fix: use e.g. gpus: 8)");
  });

  it("turns on gradient checkpointing for 32B (as m1) and derives the layer class per family", () => {
    expect(
      resolveTrainSettings("Qwen/Qwen2.5-32B-Instruct", []).settings.gradient_checkpointing,
    ).toBe(true);
    expect(modelFamily("Qwen/Qwen3-8B")?.decoderLayerClass).toBe("Qwen3DecoderLayer");
    expect(modelFamily("Qwen/Qwen3-30B-A3B")?.decoderLayerClass).toBe("Qwen3MoeDecoderLayer");
    expect(modelFamily("meta-llama/Llama-3.1-8B-Instruct")).toMatchObject({
      decoderLayerClass: "LlamaDecoderLayer",
      padToken: "<|reserved_special_token_5|>",
    });
    expect(modelFamily("UCSC-VLAA/m1-7B-23K")?.decoderLayerClass).toBe("Qwen2DecoderLayer");
    expect(parameterBillions("Qwen/Qwen2.5-0.5B-Instruct")).toBe(0.5);
    expect(parameterBillions("Qwen/Qwen3-30B-A3B")).toBe(30);
  });

  it("asks for the decoder layer class when the model name does not tell, and accepts an override", () => {
    expect(() => resolveTrainSettings("acme/medical-model", [])).toThrow(
      /decoder_layer_class: cannot tell the decoder layer class .* \(fix: name it, e\.g\. -u decoder_layer_class=Qwen2DecoderLayer/,
    );
    expect(
      withU("decoder_layer_class=GemmaDecoderLayer", "acme/medical-model").settings
        .decoder_layer_class,
    ).toBe("GemmaDecoderLayer");
  });
});
