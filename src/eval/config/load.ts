import { basename } from "node:path";
import { dotlistLayer, parseConfig, readConfigFile, type ConfigLayer } from "../../config/index.js";
import {
  M1_EVAL_FILE_MD5,
  M1_EVAL_FILE_NAME,
  evalConfigSchema,
  type EvalConfig,
} from "./schema.js";

export interface EvalConfigSources {
  /** `-c config.yaml` (m1's --config_path). */
  configPath?: string;
  /** `-u key=value,...` (m1's --update_config_by_dotlist). */
  dotlist?: string;
}

/** Defaults <- YAML file <- dotlist, validated once; errors name the file:line or `-u` key. */
export function loadEvalConfig(sources: EvalConfigSources): EvalConfig {
  const layers: ConfigLayer[] = [];
  if (sources.configPath) {
    layers.push(
      readConfigFile(sources.configPath, { flag: "-c", exampleLine: "max_new_tokens: 2048" }),
    );
  }
  if (sources.dotlist) layers.push(dotlistLayer(sources.dotlist, "-u"));
  return withDefaultMd5(parseConfig(evalConfigSchema, layers, EVAL_KEYS_HELP));
}

/** Validate config values built in code (tests, benchmarks) the same way. */
export function validateEvalConfig(raw: Record<string, unknown>): EvalConfig {
  return withDefaultMd5(
    parseConfig(evalConfigSchema, { origin: { kind: "defaults" }, values: raw }, EVAL_KEYS_HELP),
  );
}

const EVAL_KEYS_HELP = { keysHelp: "see docs/eval.md for the keys" };

function withDefaultMd5(config: EvalConfig): EvalConfig {
  if (config.eval_data_md5sum === undefined) {
    config.eval_data_md5sum =
      basename(config.eval_data_path) === M1_EVAL_FILE_NAME ? M1_EVAL_FILE_MD5 : null;
  }
  return config;
}
