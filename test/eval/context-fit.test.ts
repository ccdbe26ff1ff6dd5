import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { validateEvalConfig } from "../../src/eval/config/load.js";
import { openStudyBackend, probeStudyBackend } from "../../src/eval/study/model-backend.js";
import { runStudy } from "../../src/eval/study/study.js";
import { ConfigError } from "../../src/errors.js";
import { SMOKE_MODEL_SHAPE } from "../../src/smoke/tiny-model.js";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { toyTokenCount } from "../fixtures/openai/toy-tokenizer.js";
import { PUBMEDQA_DEMO } from "../fixtures/eval/cli.js";
import { CLI_TEST_TIMEOUT_MS, REPO_ROOT, runM1 } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import {
  makeItems,
  scriptedMedicalModel,
  writeEvalFile,
  type ScriptedAnswer,
} from "../fixtures/eval/medical-model.js";
import { tinyModelPath } from "../support/tiny-model.js";

/**
 * Budgets fit or are refused before anything runs: the longest prompt + thinking budget + inserted
 * text + answer budget must fit the model (embedded: its trained context or `context_size`, the
 * context then sized to the need) or the server (vLLM `max_model_len` in /v1/models, llama.cpp
 * `/props` n_ctx per slot). Too much is one line naming the key, the need and the limit, exit 2,
 * nothing written.
 */

const tempDir = useTempDirs("m1-context-fit-");
const items = makeItems("alpha", 3);
const answers = new Map<string, ScriptedAnswer>(
  items.map((item) => [item.question, { reply: item.answer_idx }]),
);
let evalPath: string;
let modelPath: string;
const servers: FakeOpenAIServer[] = [];

beforeAll(async () => {
  evalPath = writeEvalFile(join(tempDir(), "alpha.json"), { alpha: items });
  modelPath = await tinyModelPath();
});
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function fakeServer(limits: { maxModelLen?: number; slotContext?: number }) {
  const server = await startFakeOpenAIServer({
    model: scriptedMedicalModel(answers),
    tokenize: limits.slotContext === undefined ? "vllm" : "llama.cpp",
    ...limits,
  });
  servers.push(server);
  return server;
}

function httpStudy(server: FakeOpenAIServer, overrides: Record<string, unknown>) {
  const config = validateEvalConfig({
    eval_data_path: evalPath,
    base_url: server.baseUrl,
    force_think: true,
    max_new_answer_tokens: 24,
    keep_think_below_budget_times: 1,
    retries: 0,
    exp_name: "fit",
    ...overrides,
  });
  return runStudy({ config, openBackend: (model) => openStudyBackend(config, model) });
}

/** What the m1 format inserts after 1 Wait round, in the fake server's toy tokens. */
const INSERTED_ONE_WAIT =
  Math.max(toyTokenCount("Wait"), toyTokenCount(" Wait")) +
  toyTokenCount("\n") +
  toyTokenCount("<|im_start|>answer\nFinal Answer:");

describe("over HTTP, a server's context limit", () => {
  it("vLLM max_model_len: a study that fits runs, one that does not is refused before anything is sent or written", async () => {
    const server = await fakeServer({ maxModelLen: 300 });
    const fits = await httpStudy(server, { output_dir: tempDir(), max_new_tokens: 40 });
    expect(fits.experiments.map((experiment) => experiment.outcome)).toEqual(["finished"]);

    const outputDir = join(tempDir(), "refused");
    const before = server.completionRequests().length;
    const error = await httpStudy(server, { output_dir: outputDir, max_new_tokens: 290 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    const match = message.match(
      /^max_new_tokens: 290 needs up to (\d+) tokens per sequence \(prompt up to (\d+) \+ thinking 290 \+ inserted (\d+) \+ answer 24\), but model-0 holds 300 \(max_model_len of http:\/\/127\.0\.0\.1:\d+\/v1\) \(fix: lower max_new_tokens to (\d+) or less \(or lower max_new_answer_tokens\), or restart the server with a larger --max-model-len/,
    );
    expect(match, message).not.toBeNull();
    const [need, prompt, inserted, largest] = match!.slice(1).map(Number);
    expect(inserted).toBe(INSERTED_ONE_WAIT);
    expect(need).toBe(prompt! + 290 + inserted! + 24);
    expect(largest).toBe(300 - prompt! - inserted! - 24);
    expect(message).not.toContain("\n");
    expect((error as ConfigError).exitCode).toBe(2);
    expect(server.completionRequests().length).toBe(before);
    expect(existsSync(outputDir)).toBe(false);

    // The largest budget the message offers does fit.
    const atLimit = await httpStudy(server, { output_dir: tempDir(), max_new_tokens: largest });
    expect(atLimit.experiments.map((experiment) => experiment.outcome)).toEqual(["finished"]);
  });

  it("llama.cpp /props n_ctx per slot: a sweep whose largest budget cannot fit is refused naming budgets", async () => {
    const server = await fakeServer({ slotContext: 256 });
    const outputDir = join(tempDir(), "refused");
    const error = await httpStudy(server, {
      output_dir: outputDir,
      budgets: [64, 512, 1024],
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("budgets");
    expect((error as ConfigError).message).toMatch(
      /^budgets: 1024 needs up to \d+ tokens per sequence .*, but model-0 holds 256 \(n_ctx per slot of http:\/\/127\.0\.0\.1:\d+\/v1 \(\/props\)\) \(fix: keep budgets at \d+ or less .*restart llama-server with a larger --ctx-size/,
    );
    expect(server.completionRequests()).toHaveLength(0);
    expect(existsSync(outputDir)).toBe(false);
  });
});

describe("a study of several models", () => {
  it("checks every model before the first one runs: nothing sent, nothing written", async () => {
    const roomy = await fakeServer({ maxModelLen: 100_000 });
    const small = await fakeServer({ maxModelLen: 200 });
    for (const [second, key, holds] of [
      [{ name: "small", base_url: small.baseUrl }, "max_new_tokens", "small holds 200"],
      [{ name: "smoke", model_path: modelPath }, "max_new_tokens", "smoke holds 32768"],
    ] as const) {
      const outputDir = join(tempDir(), "refused");
      const config = validateEvalConfig({
        eval_data_path: evalPath,
        models: [{ name: "roomy", base_url: roomy.baseUrl }, second],
        force_think: true,
        max_new_tokens: 40_000,
        retries: 0,
        output_dir: outputDir,
      });
      const before = roomy.completionRequests().length;
      const error = await runStudy({
        config,
        openBackend: (model) => openStudyBackend(config, model),
        probeBackend: (model) => probeStudyBackend(config, model),
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe(key);
      expect((error as ConfigError).message).toContain(holds);
      expect(roomy.completionRequests().length).toBe(before);
      expect(existsSync(outputDir)).toBe(false);
    }
  });
});

describe("on the embedded engine (real CLI, smoke model)", () => {
  const trained = SMOKE_MODEL_SHAPE.contextLength;

  it(
    "refuses a budget beyond the model's trained context: one line, exit 2, nothing written",
    async () => {
      const outputDir = join(tempDir(), "out");
      const run = await runM1([
        "eval",
        "-u",
        `eval_data_path=${PUBMEDQA_DEMO},model_path=${modelPath},force_think=True,max_new_tokens=${trained},output_dir=${outputDir}`,
      ]);
      expect(run.code, run.stderr).toBe(2);
      const errors = run.stderr.split("\n").filter((line) => line.startsWith("m1: error:"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(
          `^m1: error: max_new_tokens: ${trained} needs up to \\d+ tokens per sequence \\(prompt up to \\d+ \\+ thinking ${trained} \\+ inserted \\d+ \\+ answer 1024\\), but m1-tiny-smoke-\\w+ holds ${trained} \\(the model's trained context\\) \\(fix: lower max_new_tokens to \\d+ or less`,
        ),
      );
      expect(existsSync(outputDir)).toBe(false);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "refuses a budget beyond context_size, naming it and the trained context",
    async () => {
      const outputDir = join(tempDir(), "out");
      const run = await runM1([
        "eval",
        "-u",
        `eval_data_path=${PUBMEDQA_DEMO},model_path=${modelPath},max_new_tokens=4096,context_size=2048,output_dir=${outputDir}`,
      ]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `max_new_tokens: 4096 needs up to \\d+ tokens per sequence \\(prompt up to \\d+ \\+ thinking 4096\\), but m1-tiny-smoke-\\w+ holds 2048 \\(context_size\\) \\(fix: lower max_new_tokens to \\d+ or less, or raise context_size \\(--context-size; the model was trained on ${trained}\\)\\)`,
        ),
      );
      expect(existsSync(outputDir)).toBe(false);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "counts prompts as m1's max_tokens cuts them",
    async () => {
      const outputDir = join(tempDir(), "out");
      const run = await runM1([
        "eval",
        "-u",
        `eval_data_path=${PUBMEDQA_DEMO},model_path=${modelPath},max_tokens=100,max_new_tokens=2000,context_size=1024,output_dir=${outputDir}`,
      ]);
      expect(run.code, run.stderr).toBe(2);
      // Uncut, the demo's prompts run to about 1,500 tokens; cut, to 100 plus what m1's
      // prompt[-100:] keeps of a short prompt (at most 100 characters, so at most 100 tokens).
      const prompt = Number(/prompt up to (\d+) \+ thinking 2000\)/.exec(run.stderr)?.[1]);
      expect(prompt, run.stderr).toBeGreaterThan(0);
      expect(prompt).toBeLessThanOrEqual(100);
      expect(existsSync(outputDir)).toBe(false);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "runs the paper's sweeps at their largest budgets (8192 with 8 Wait rounds) and beyond (16384)",
    async () => {
      for (const [file, points] of [
        ["paper-budget-sweep.yaml", "budgets=[8192,16384]"],
        ["paper-wait-sweep.yaml", "budgets=[8192],wait_rounds=[8]"],
      ] as const) {
        const outputDir = tempDir();
        const run = await runM1([
          "eval",
          "-c",
          join(REPO_ROOT, "configs", file),
          "-u",
          `launch=null,model_path=${modelPath},eval_data_path=${PUBMEDQA_DEMO},limit=2,${points},output_dir=${outputDir}`,
        ]);
        expect(run.code, run.stderr).toBe(0);
        // The context is sized from the study: more than the largest need, within the model.
        const size = Number(/x 1 sequence x (\d+) tokens, deterministic/.exec(run.stderr)?.[1]);
        expect(size, run.stderr).toBeGreaterThan(8192 + 1024);
        expect(size).toBeLessThanOrEqual(trained);
        const experiments = run.stdout.match(/^\S+\/version_0\s+finished/gm) ?? [];
        expect(experiments, run.stdout).toHaveLength(points.includes("16384") ? 2 : 1);
        const config = YAML.parse(
          readFileSync(join(outputDir, experiments[0]!.split(/\s/)[0]!, "config.yaml"), "utf8"),
        ) as Record<string, unknown>;
        expect(config).toMatchObject({ backend: "embedded", deterministic: true });
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "m1 ask refuses a budget its context cannot hold before generating anything",
    async () => {
      const run = await runM1([
        "ask",
        "--model",
        modelPath,
        "--gpu",
        "cpu",
        "--context-size",
        "256",
        "--budget",
        "500",
        "hi",
      ]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        /m1: error: --budget: 500 needs up to \d+ tokens per sequence \(prompt up to \d+ \+ thinking 500 \+ inserted \d+ \+ answer 1024\), but the model holds 256 \(context_size\)/,
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
