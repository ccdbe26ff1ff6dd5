import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "train");
export const QWEN_DIR = join(FIXTURES, "qwen2.5-instruct");
export const QWEN_TOKENIZER_CONFIG = join(QWEN_DIR, "tokenizer_config.json");
export const QWEN_TOKENIZER = join(QWEN_DIR, "tokenizer.json");
export const FAKE_BIN = join(FIXTURES, "bin");
export const DEMO_DATA = join(
  import.meta.dirname,
  "..",
  "..",
  "data",
  "huatuo-demo",
  "demo_data.json",
);

/** A fresh temporary folder, removed by the returned cleanup. */
export function temporaryFolder(prefix = "m1-train-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

interface DemoItem {
  question: string;
  options: Record<string, string>;
  Complex_CoT: string;
  Response: string;
}

/**
 * The HuatuoGPT-o1 demo rows as m1's distill step would leave them: question + options as the
 * prompt (m1's `{question}\n{A. ...}`), Complex_CoT as reasoning, Response as the answer.
 */
export function huatuoRows(limit?: number): Record<string, unknown>[] {
  const items = JSON.parse(readFileSync(DEMO_DATA, "utf8")) as DemoItem[];
  return items.slice(0, limit).map((item, index) => ({
    id: `huatuo-${index}`,
    source: "huatuo-demo",
    prompt: `${item.question}\n${Object.entries(item.options)
      .map(([letter, text]) => `${letter}. ${text}`)
      .join("\n")}`,
    reasoning: item.Complex_CoT,
    distilled_answer_string: item.Response,
  }));
}

export function writeJsonl(path: string, rows: readonly unknown[]): string {
  writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  return path;
}

export function readJsonl<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}

/** True when a `python3` (3.10 or newer, as the training stack needs) runs here. */
export const HAS_PYTHON3 =
  spawnSync("python3", ["-c", "import sys; sys.exit(sys.version_info < (3, 10))"], {
    stdio: "ignore",
  }).status === 0;

/** True when `python3` with PyYAML can run here (the Python-side tests need it). */
export const HAS_PYTHON_YAML =
  spawnSync("python3", ["-c", "import yaml"], { stdio: "ignore" }).status === 0;

/** Load YAML texts with the real PyYAML, as TRL and accelerate will (one Python start for all). */
export function loadWithPyYaml(texts: readonly string[]): unknown[] {
  const result = spawnSync(
    "python3",
    [
      "-c",
      "import json, sys, yaml; print(json.dumps([yaml.safe_load(t) for t in json.load(sys.stdin)]))",
    ],
    { input: JSON.stringify(texts), encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as unknown[];
}
