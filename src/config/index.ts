/**
 * The one way m1 reads settings: YAML files (with line numbers), `-u` dotlists and command-line
 * flags become layers; `parseConfig` merges and validates them with a zod schema once, and every
 * problem is one line that names the file:line, `-u` key or flag, the value given and a fix with
 * an example. Used by eval, curate and train.
 */
export { dotlistLayer, parseDotlist } from "./dotlist.js";
export { flagLayers, type FlagSetting } from "./flags.js";
export { mergeConfig, type ConfigLayer, type ConfigOrigin, type FileOrigin } from "./layers.js";
export { describeInvalid, parseConfig, type ParseConfigOptions } from "./parse.js";
export { exampleOf, knownKeys, schemaAt } from "./schema-walk.js";
export { inlineYaml } from "./show.js";
export { readConfigFile, type ConfigFileLayer, type ConfigFileOptions } from "./yaml-file.js";
