import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  buildSmokeModel,
  ensureSmokeModel,
  SMOKE_CHAT_TEMPLATE,
  SMOKE_MODEL_VERSION,
} from "../../src/smoke/index.js";
import { runCli } from "../support/cli.js";
import { tinyModelPath } from "../support/tiny-model.js";

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "m1-smoke-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

describe("smoke model builder", () => {
  it("builds byte-identical GGUF files for the same version", async () => {
    const first = buildSmokeModel();
    expect(buildSmokeModel().equals(first)).toBe(true);
    expect((await readFile(await tinyModelPath())).equals(first)).toBe(true);
    // GGUF v3 header: magic, version 3.
    expect(first.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(first.readUInt32LE(4)).toBe(3);
  });

  it("keeps version 2's bytes: the same sha256 on every machine (changing the weights means a new version)", () => {
    // Version 2 differs from version 1 (sha256 36375c6a…04fa) in exactly two bytes: the name's
    // version digit and llama.context_length (8192 -> 32768); weights and vocabulary are the same.
    expect(SMOKE_MODEL_VERSION).toBe(2);
    expect(createHash("sha256").update(buildSmokeModel()).digest("hex")).toBe(
      "f1bf24995302128f154399ed8599c77a53e8a12b827819799f7ef90ec818293f",
    );
  });

  it("declares a llama model with a byte-level BPE vocabulary, ChatML control tokens and eos <|im_end|>", async () => {
    const info = await readGgufFileInfo(await tinyModelPath());
    const metadata = info.metadata;
    expect(metadata.general.architecture).toBe("llama");
    // Room for the paper's budgets: 8192 thinking + 1024 answer tokens + prompt and 8 Wait rounds.
    expect(metadata.llama?.context_length).toBe(32768);
    const tokenizer = metadata.tokenizer.ggml;
    expect(tokenizer.model).toBe("gpt2");
    const tokens = tokenizer.tokens as readonly string[];
    const types = tokenizer.token_type as readonly number[];
    // 256 byte symbols, a few hundred merges, then the three special tokens as control tokens.
    expect(tokens.slice(0, 3)).toEqual(["Ā", "ā", "Ă"]);
    expect(tokens[32]).toBe("Ġ");
    expect((tokenizer.merges as readonly string[]).length).toBeGreaterThanOrEqual(200);
    expect(tokens.slice(-3)).toEqual(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    expect(types.slice(-3)).toEqual([3, 3, 3]);
    expect(tokenizer.eos_token_id).toBe(tokens.length - 1);
    expect(tokenizer.add_bos_token).toBe(false);
    expect(metadata.tokenizer.chat_template).toBe(SMOKE_CHAT_TEMPLATE);
    expect(metadata.general.name).toBe(`m1-tiny-smoke-v${SMOKE_MODEL_VERSION}`);
  });

  it("writes the model once into the m1 cache, atomically, and reuses it", async () => {
    vi.stubEnv("M1_CACHE_DIR", join(scratch, "cache"));
    const path = await ensureSmokeModel();
    expect(path).toBe(
      join(scratch, "cache", "models", `m1-tiny-smoke-v${SMOKE_MODEL_VERSION}.gguf`),
    );
    const written = await stat(path);
    expect(await ensureSmokeModel()).toBe(path);
    expect((await stat(path)).mtimeMs).toBe(written.mtimeMs);
    const concurrent = await Promise.all([1, 2, 3].map(() => ensureSmokeModel()));
    expect(new Set(concurrent)).toEqual(new Set([path]));
    expect((await readFile(path)).equals(buildSmokeModel())).toBe(true);
  });

  it("`m1 smoke-model --out FILE` writes the model and prints its path and size", async () => {
    const out = join(scratch, "cli", "smoke.gguf");
    const { code, stdout, stderr } = await runCli(["smoke-model", "--out", out]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${out}\n`);
    const size = (await stat(out)).size;
    expect(stderr).toContain(`${size} bytes`);
  });
});
