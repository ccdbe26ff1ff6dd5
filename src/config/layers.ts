/**
 * Where a config value came from. Every message about a value names its origin the way the user
 * wrote it: `file.yaml:12: key`, `-u key`, or `--flag`.
 */
export type ConfigOrigin =
  | {
      kind: "file";
      path: string;
      /** 1-based line of the node at `keyPath`, or of its nearest parent that exists. */
      lineOf: (keyPath: readonly PropertyKey[]) => number | undefined;
    }
  /** `-u key=value,...` (OmegaConf dotlists): `flag` is the option, e.g. `-u`. */
  | { kind: "dotlist"; flag: string }
  /** One command-line option that sets one key, e.g. `--budget` for max_new_tokens. */
  | { kind: "flag"; flag: string }
  /** The tool's own defaults (examples come from here too). */
  | { kind: "defaults" };

export type FileOrigin = Extract<ConfigOrigin, { kind: "file" }>;

/** One source of settings; later layers win. */
export interface ConfigLayer {
  origin: ConfigOrigin;
  values: Record<string, unknown>;
  /**
   * With a flag's origin and no values: the top-level key that flag would have set, so a message
   * about that key, unset, names the flag the user can add (`--probe-every`, not `probe_every`).
   */
  offers?: string;
}

export type KeyPath = readonly (string | number)[];

/** OmegaConf.merge: nested mappings merge key by key; anything else replaces. */
export function mergeConfig(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isMapping(current) && isMapping(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

export function mergeLayers(layers: readonly ConfigLayer[]): Record<string, unknown> {
  return layers.reduce<Record<string, unknown>>(
    (merged, layer) => mergeConfig(merged, layer.values),
    {},
  );
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` (undefined when any step is missing). */
export function valueAt(value: unknown, path: KeyPath): unknown {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === "number") node = node[key];
    else if (isMapping(node)) node = node[String(key)];
    else return undefined;
  }
  return node;
}

function hasPath(value: unknown, path: KeyPath): boolean {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === "number" && key < node.length) node = node[key];
    else if (isMapping(node) && Object.hasOwn(node, String(key))) node = node[String(key)];
    else return false;
  }
  return true;
}

/**
 * The layer that gave the value at `path`: the last one holding the longest prefix of it that
 * any layer holds. A missing key is thus put on the layer that wrote its parent (the file of a
 * pipeline step), not on the defaults.
 */
export function originOf(layers: readonly ConfigLayer[], path: KeyPath): ConfigOrigin | undefined {
  for (let length = path.length; length >= 1; length--) {
    const prefix = path.slice(0, length);
    for (let index = layers.length - 1; index >= 0; index--) {
      const layer = layers[index]!;
      if (layer.origin.kind !== "defaults" && hasPath(layer.values, prefix)) return layer.origin;
    }
  }
  const offered = layers.find((layer) => layer.offers !== undefined && layer.offers === path[0]);
  if (offered && path.length === 1) return offered.origin;
  return layers.findLast((layer) => layer.origin.kind === "file")?.origin;
}

/** The tool's default for `path`, when a defaults layer holds one. */
export function defaultAt(layers: readonly ConfigLayer[], path: KeyPath): unknown {
  for (const layer of layers) {
    if (layer.origin.kind !== "defaults") continue;
    const value = valueAt(layer.values, path);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
