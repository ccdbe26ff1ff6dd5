import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { BackendSetupError } from "../errors.js";
import type { TokenCounter } from "./types.js";
import { readTextFile } from "../io/text-file.js";

const TOKENIZER_FIX =
  "pass the model's tokenizer.json, the model folder holding it, or its .gguf file (--tokenizer; tokenizer_path in m1 eval)";

/**
 * Count tokens with a Hugging Face `tokenizer.json` (a file, or a model folder holding one). The
 * `tokenizer_config.json` beside it is read when present, as transformers does.
 */
export function loadTokenizerJson(path: string): TokenCounter {
  const file = isDirectory(path) ? join(path, "tokenizer.json") : path;
  const tokenizerJson = readJsonObject(file, "tokenizer file");
  const configFile = join(dirname(file), "tokenizer_config.json");
  const tokenizerConfig = exists(configFile) ? readJsonObject(configFile, "tokenizer config") : {};

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    // Fail at load time, not in the middle of a run, when the vocabulary cannot encode.
    tokenizer.encode("Wait", { add_special_tokens: false });
  } catch (error) {
    throw new BackendSetupError(
      `cannot use the tokenizer file ${file}: ${(error as Error).message}`,
      TOKENIZER_FIX,
      { cause: error },
    );
  }
  return {
    description: `tokenizer.json: ${file}`,
    async countTokens(text) {
      if (text.length === 0) return 0;
      // add_special_tokens=false: no BOS/EOS around the text, special-token text still parsed.
      return tokenizer.encode(text, { add_special_tokens: false }).ids.length;
    },
    async tokenize(text) {
      return text.length === 0 ? [] : tokenizer.encode(text, { add_special_tokens: false }).ids;
    },
    async detokenize(ids) {
      // transformers' decode(ids): special tokens kept, the config's clean-up setting applied.
      return tokenizer.decode([...ids], { skip_special_tokens: false });
    },
    async close() {},
  };
}

function readJsonObject(file: string, what: string): object {
  const text = readTextFile(
    file,
    (error) =>
      new BackendSetupError(
        `cannot read the ${what} ${file}: ${error.code ?? error.message}`,
        TOKENIZER_FIX,
      ),
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BackendSetupError(
      `the ${what} ${file} is not valid JSON: ${(error as Error).message}`,
      TOKENIZER_FIX,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BackendSetupError(`the ${what} ${file} is not a JSON object`, TOKENIZER_FIX);
  }
  return parsed;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
