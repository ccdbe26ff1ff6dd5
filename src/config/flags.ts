import type { z } from "zod";
import type { ConfigLayer } from "./layers.js";
import { schemaAt, unwrap } from "./schema-walk.js";

/** One command-line option that sets one config key. */
export interface FlagSetting {
  /** As the user typed it, for messages: `--budget`. */
  flag: string;
  /** The config key it sets: `max_new_tokens`. */
  key: string;
  /** As commander gives it (a string, or a boolean for switches); undefined when not given. */
  value: unknown;
}

/**
 * The options the user gave, as layers (one per option, so a message names the option). Text
 * becomes a number where the key holds numbers; anything else is left for the schema to judge,
 * so `--budget lots` is reported as the key's problem, in the same words as a config file's.
 * Options not given become empty layers that offer their key, so a message that a key is
 * missing names the option to add.
 */
export function flagLayers(schema: z.ZodType, settings: readonly FlagSetting[]): ConfigLayer[] {
  return settings.map(({ flag, key, value }) =>
    value === undefined
      ? { origin: { kind: "flag", flag }, values: {}, offers: key }
      : { origin: { kind: "flag", flag }, values: { [key]: coerce(schema, key, value) } },
  );
}

function coerce(schema: z.ZodType, key: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const node = schemaAt(schema, [key], {});
  const type = node && unwrap(node).node._zod.def.type;
  if (type !== "number" && type !== "int") return value;
  const number = Number(value);
  return value.trim() !== "" && Number.isFinite(number) ? number : value;
}
