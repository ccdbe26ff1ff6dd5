import type { LlamaModel, Token } from "node-llama-cpp";
import { open } from "node:fs/promises";
import { BackendSetupError } from "../errors.js";
import type { TokenCounter } from "./types.js";

/**
 * Count tokens with the vocabulary of a GGUF file. Only the vocabulary is loaded (no weights), on
 * the CPU build of llama.cpp, so this is cheap even for a 32B model file. node-llama-cpp is
 * imported on demand: the HTTP backend should not pay for the native addon unless asked.
 */
export async function loadGgufVocabulary(path: string): Promise<TokenCounter> {
  await checkGgufHeader(path);
  let model: LlamaModel;
  try {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    // Logs off: a failed load surfaces as the exception below, and node-llama-cpp's resource
    // estimate logs alarming but harmless errors for a vocabulary-only load. The Llama instance is
    // left alive on purpose: disposing it tears down native bindings that an embedded backend in
    // the same process may share; node-llama-cpp disposes it before exit.
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  } catch (error) {
    throw new BackendSetupError(
      `cannot load the vocabulary of the GGUF file ${path}: ${(error as Error).message}`,
      GGUF_FIX,
      { cause: error },
    );
  }
  let closed = false;
  return {
    description: `GGUF vocabulary: ${path}`,
    async countTokens(text) {
      if (text.length === 0) return 0;
      // specialTokens=true parses `<|im_start|>` as the special token; no BOS is added.
      return model.tokenize(text, true).length;
    },
    async tokenize(text) {
      return text.length === 0 ? [] : model.tokenize(text, true).map(Number);
    },
    async detokenize(ids) {
      return model.detokenize(ids as readonly Token[], true);
    },
    async close() {
      if (closed) return;
      closed = true;
      await model.dispose();
    },
  };
}

const GGUF_FIX =
  "pass a readable .gguf model file, or the model's tokenizer.json (--tokenizer; tokenizer_path in m1 eval)";

/**
 * Check the magic and version before node-llama-cpp parses the file: its reader takes a garbage
 * header at its word and can spin for minutes on counts read from random bytes.
 */
async function checkGgufHeader(path: string): Promise<void> {
  let header: Buffer;
  try {
    const file = await open(path, "r");
    try {
      header = Buffer.alloc(8);
      const { bytesRead } = await file.read(header, 0, 8, 0);
      header = header.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new BackendSetupError(
      `cannot read the GGUF file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      GGUF_FIX,
    );
  }
  const version = header.length === 8 ? header.readUInt32LE(4) : 0;
  if (header.subarray(0, 4).toString("latin1") !== "GGUF" || version < 2 || version > 3) {
    throw new BackendSetupError(
      `${path} is not a GGUF file of version 2 or 3 (its header is ${JSON.stringify(header.toString("latin1"))})`,
      GGUF_FIX,
    );
  }
}
