import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEvalConfig } from "../../src/eval/config/load.js";
import { M1_EVAL_FILE_MD5 } from "../../src/eval/config/schema.js";
import { planStudy } from "../../src/eval/study/plan.js";
import { ConfigError, InputError } from "../../src/errors.js";

function writeTemp(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "m1-config-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("eval config", () => {
  it("has m1's defaults", () => {
    const config = loadEvalConfig({});
    expect(config).toMatchObject({
      max_new_tokens: 2048,
      max_new_answer_tokens: 1024,
      keep_think_below_budget_times: 0,
      keep_think_below_budget_str: "Wait",
      temperature: 0,
      frequency_penalty: 0,
      seed: 42,
      force_think: false,
      output_dir: "outputs",
      exp_name: "debug",
      overwrite: false,
      timeout: 600,
      eval_data_path: "misc/m1_eval_data.json",
      eval_data_md5sum: M1_EVAL_FILE_MD5,
    });
  });

  it("checks the md5 by default only for m1's own eval file", () => {
    expect(loadEvalConfig({ dotlist: "eval_data_path=my.json" }).eval_data_md5sum).toBeNull();
    expect(
      loadEvalConfig({ dotlist: "eval_data_path=my.json,eval_data_md5sum=abc" }).eval_data_md5sum,
    ).toBe("abc");
  });

  it("applies -u over the YAML file", () => {
    const path = writeTemp(
      "c.yaml",
      "max_new_tokens: 512\nexp_name: from-file\nforce_think: true\n",
    );
    const config = loadEvalConfig({ configPath: path, dotlist: "max_new_tokens=1024" });
    expect(config).toMatchObject({
      max_new_tokens: 1024,
      exp_name: "from-file",
      force_think: true,
    });
  });

  it("names an unknown key and suggests the nearest one", () => {
    expect(() => loadEvalConfig({ dotlist: "keep_think_below_budget_time=2" })).toThrowError(
      "-u keep_think_below_budget_time: unknown key 'keep_think_below_budget_time' (fix: did you mean 'keep_think_below_budget_times'? e.g. -u keep_think_below_budget_times=2)",
    );
  });

  it("names the file and the key of a bad value", () => {
    const path = writeTemp("bad.yaml", "max_new_tokens: -3\n");
    const attempt = () => loadEvalConfig({ configPath: path });
    expect(attempt).toThrowError(ConfigError);
    expect(attempt).toThrowError(
      `${path}:1: max_new_tokens: -3 is not a whole number above 0 (fix: use e.g. max_new_tokens: 2048)`,
    );
  });

  it("reports YAML syntax errors with the file and line", () => {
    const path = writeTemp("broken.yaml", "max_new_tokens: 5\nexp_name: [unclosed\n");
    expect(() => loadEvalConfig({ configPath: path })).toThrowError(InputError);
    expect(() => loadEvalConfig({ configPath: path })).toThrowError(
      `${path}:2: exp_name: not valid YAML: a [ list is not closed (fix: end it with ], e.g. exp_name: [unclosed])`,
    );
  });

  it("rejects a config file that is not a mapping", () => {
    const path = writeTemp("list.yaml", "- a\n- b\n");
    expect(() => loadEvalConfig({ configPath: path })).toThrowError(
      `${path}:1: the config file holds a list, not key: value lines (fix: write one key: value per line, e.g. max_new_tokens: 2048)`,
    );
  });
});

describe("study plans", () => {
  it("puts a single experiment where m1 puts it", () => {
    const plan = planStudy(loadEvalConfig({ dotlist: "exp_name=baseline" }));
    expect(plan.isSweep).toBe(false);
    expect(plan.models).toHaveLength(1);
    expect(plan.models[0]!.points.map((point) => point.expDir)).toEqual(["baseline"]);
    expect(plan.models[0]!.model).toMatchObject({ backend: "embedded", label: "smoke-model" });
  });

  it("expands budgets x Wait rounds x seeds into clearly named experiments", () => {
    const plan = planStudy(
      loadEvalConfig({ dotlist: "exp_name=sweep,budgets=[128,256],wait_rounds=[0,2],seeds=[1]" }),
    );
    expect(plan.models[0]!.points.map((point) => point.expDir)).toEqual([
      "sweep/budget_128-wait_0-seed_1",
      "sweep/budget_128-wait_2-seed_1",
      "sweep/budget_256-wait_0-seed_1",
      "sweep/budget_256-wait_2-seed_1",
    ]);
  });

  it("groups the points of several models so each server is launched once", () => {
    const path = writeTemp(
      "study.yaml",
      [
        "exp_name: paper",
        "budgets: [1024, 2048]",
        "models:",
        "  - name: m1-7b",
        "    model_path: UCSC-VLAA/m1-7B-23K",
        "    launch: sglang",
        "  - model_path: /models/qwen.gguf",
        "",
      ].join("\n"),
    );
    const plan = planStudy(loadEvalConfig({ configPath: path }));
    expect(plan.models.map(({ model }) => [model.label, model.backend, model.launch])).toEqual([
      ["m1-7b", "openai", "sglang"],
      ["qwen", "embedded", null],
    ]);
    expect(plan.models[0]!.points.map((point) => point.expDir)).toEqual([
      "paper/m1-7b/budget_1024-wait_0-seed_42",
      "paper/m1-7b/budget_2048-wait_0-seed_42",
    ]);
  });

  it("refuses an openai backend without a server, and launch without model_path", () => {
    expect(() => planStudy(loadEvalConfig({ dotlist: "backend=openai" }))).toThrowError(
      /base_url: the openai backend needs a server/,
    );
    expect(() => planStudy(loadEvalConfig({ dotlist: "launch=vllm" }))).toThrowError(
      /model_path: launch=vllm needs model_path/,
    );
  });
});
