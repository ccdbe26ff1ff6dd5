import { ConfigError } from "../errors.js";

/**
 * Which backend a set of settings chooses, and the combinations that are refused: one set of
 * rules for `m1 eval`'s config keys (per model of a study) and the flags of `m1 ask`. Errors
 * name the settings as the user wrote them.
 */
export type BackendKind = "embedded" | "openai";

export interface BackendChoice {
  /** An explicit choice (config `backend`); inferred from the rest when absent. */
  backend?: BackendKind | null;
  /** The embedded model, where it has its own setting (`--model`). */
  model?: string | null;
  baseUrl: string | readonly string[] | null;
  launch: "vllm" | "sglang" | null;
  modelPath: string | null;
}

/** How the user wrote the settings, for messages. */
export interface BackendChoiceNames {
  model?: string;
  baseUrl: string;
  launch: string;
  modelPath: string;
  /** Joins a setting and its value: `--launch vllm`, `launch=vllm`. */
  assign: " " | "=";
  /** Where an error points (e.g. `models.0.base_url`); default: the name itself. */
  locate?: (name: string) => string;
}

export const BACKEND_FLAG_NAMES: BackendChoiceNames = {
  model: "--model",
  baseUrl: "--base-url",
  launch: "--launch",
  modelPath: "--model-path",
  assign: " ",
};

export const BACKEND_CONFIG_KEYS: BackendChoiceNames = {
  baseUrl: "base_url",
  launch: "launch",
  modelPath: "model_path",
  assign: "=",
};

/**
 * The backend the settings choose: a server (base_url) or one to launch means openai, otherwise
 * the embedded engine. Refused: two settings that each choose the model, launch without a model
 * path, an explicit openai backend with no server.
 */
export function chooseBackend(choice: BackendChoice, names: BackendChoiceNames): BackendKind {
  const key = (name: string) => names.locate?.(name) ?? name;
  const choosers = [
    names.model !== undefined && choice.model ? names.model : null,
    choice.baseUrl !== null ? names.baseUrl : null,
    choice.launch !== null ? names.launch : null,
  ].filter((name): name is string => name !== null);
  if (choosers.length > 1) {
    throw new ConfigError(`${choosers.join(" and ")} are both set`, {
      key: key(choosers[1]!),
      fix:
        `use one: ${names.model ? `${names.model} (embedded), ` : ""}` +
        `${names.baseUrl} (a running server) or ${names.launch} (start one)`,
    });
  }
  if (choice.launch !== null && !choice.modelPath) {
    throw new ConfigError(
      `${names.launch}${names.assign}${choice.launch} needs ${names.modelPath}`,
      {
        key: key(names.modelPath),
        fix: `set ${names.modelPath} to the model directory or hub id the server should load`,
      },
    );
  }
  const backend =
    choice.backend ?? (choice.baseUrl !== null || choice.launch !== null ? "openai" : "embedded");
  if (backend === "openai" && choice.baseUrl === null && choice.launch === null) {
    throw new ConfigError("the openai backend needs a server", {
      key: key(names.baseUrl),
      fix:
        `set ${names.baseUrl} to a running server, or ` +
        `${names.launch}${names.assign}vllm|sglang with ${names.modelPath}`,
    });
  }
  return backend;
}
