import { describe, expect, it } from "vitest";
import {
  BACKEND_CONFIG_KEYS,
  BACKEND_FLAG_NAMES,
  chooseBackend,
} from "../../src/backends/choice.js";
import { backendSettingsFromFlags, type BackendFlags } from "../../src/cli/backend-flags.js";
import { loadEvalConfig } from "../../src/eval/config/load.js";
import { planStudy } from "../../src/eval/study/plan.js";
import { ConfigError } from "../../src/errors.js";

const FLAG_DEFAULTS: BackendFlags = { dp: 1, tp: 1, gpu: "auto", timeout: 600 };

function flagError(flags: Partial<BackendFlags>): ConfigError {
  try {
    backendSettingsFromFlags({ ...FLAG_DEFAULTS, ...flags }, 42);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

function configError(dotlist: string): ConfigError {
  try {
    planStudy(loadEvalConfig({ dotlist }));
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("one set of backend-choice rules for flags and config keys", () => {
  it("infers the backend the same way from either spelling", () => {
    const none = { baseUrl: null, launch: null, modelPath: null };
    for (const names of [BACKEND_FLAG_NAMES, BACKEND_CONFIG_KEYS]) {
      expect(chooseBackend(none, names)).toBe("embedded");
      expect(chooseBackend({ ...none, baseUrl: ["http://127.0.0.1:9/v1"] }, names)).toBe("openai");
      expect(chooseBackend({ ...none, launch: "vllm", modelPath: "org/m" }, names)).toBe("openai");
    }
    expect(
      backendSettingsFromFlags({ ...FLAG_DEFAULTS, baseUrl: ["http://127.0.0.1:9/v1"] }, 1).kind,
    ).toBe("openai");
    expect(
      planStudy(loadEvalConfig({ dotlist: "base_url=http://127.0.0.1:9/v1" })).models[0]!.model
        .backend,
    ).toBe("openai");
  });

  it("refuses two settings that both choose the model, naming them as written", () => {
    expect(flagError({ model: "a.gguf", baseUrl: ["http://127.0.0.1:9/v1"] }).message).toBe(
      "--base-url: --model and --base-url are both set (fix: use one: --model (embedded), --base-url (a running server) or --launch (start one))",
    );
    expect(
      configError("base_url=http://127.0.0.1:9/v1,launch=sglang,model_path=org/model").message,
    ).toBe(
      "launch: base_url and launch are both set (fix: use one: base_url (a running server) or launch (start one))",
    );
  });

  it("refuses launch without a model path", () => {
    expect(flagError({ launch: "vllm" }).message).toBe(
      "--model-path: --launch vllm needs --model-path (fix: set --model-path to the model directory or hub id the server should load)",
    );
    expect(configError("launch=vllm").message).toBe(
      "model_path: launch=vllm needs model_path (fix: set model_path to the model directory or hub id the server should load)",
    );
  });

  it("points at the model entry of a study", () => {
    expect(configError("models=[{backend: openai}]").key).toBe("models.0.base_url");
  });
});
