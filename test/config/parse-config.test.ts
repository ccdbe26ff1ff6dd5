import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  dotlistLayer,
  flagLayers,
  parseConfig,
  readConfigFile,
  type ConfigLayer,
} from "../../src/config/index.js";
import { ConfigError, InputError } from "../../src/errors.js";

/** A schema with one key of each kind the product's configs use. */
const schema = z
  .object({
    max_new_tokens: z.number().int().positive().default(2048),
    temperature: z.number().min(0).default(0),
    top_p: z.number().gt(0).max(1).nullable().default(null),
    frequency_penalty: z.number().min(-2).max(2).default(0),
    budgets: z
      .array(z.number().int().positive())
      .min(1)
      .nullable()
      .default(null)
      .meta({ examples: [[512, 1024]] }),
    keep: z.enum(["correct", "incorrect"]).optional(),
    use_chat_template: z.literal(true).meta({ note: "only True is supported" }).default(true),
    base_url: z.url().optional(),
    name: z
      .string()
      .min(1)
      .optional()
      .meta({ examples: ["qwen-7b"] }),
    force_think: z.boolean().default(false),
    models: z
      .array(
        z
          .object({
            name: z.string().meta({ examples: ["m1-7b"] }),
            port: z.number().int().min(1).max(65535),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .refine((config) => !(config.keep === "incorrect" && config.force_think), {
    message: "keep: incorrect needs force_think off",
    path: ["force_think"],
  });

const folders: string[] = [];
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function yamlFile(text: string, name = "c.yaml"): string {
  const folder = mkdtempSync(join(tmpdir(), "m1-config-"));
  folders.push(folder);
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

function fromFile(text: string): { path: string; layer: ConfigLayer } {
  const path = yamlFile(text);
  return { path, layer: readConfigFile(path, { flag: "-c", exampleLine: "max_new_tokens: 2048" }) };
}

function messageOf(attempt: () => unknown): string {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig: values from -u", () => {
  it.each([
    [
      "max_new_tokens=-3",
      "-u max_new_tokens: -3 is not a whole number above 0 (fix: use e.g. -u max_new_tokens=2048)",
    ],
    [
      "temperature=hot",
      '-u temperature: "hot" is not a number of at least 0 (fix: use e.g. -u temperature=0)',
    ],
    ["top_p=0", "-u top_p: 0 is not a number above 0 and at most 1 (fix: use e.g. -u top_p=0.5)"],
    [
      "frequency_penalty=3",
      "-u frequency_penalty: 3 is not a number from -2 to 2 (fix: use e.g. -u frequency_penalty=0)",
    ],
    [
      "budgets=[128,-1]",
      "-u budgets.1: -1 is not a whole number above 0 (fix: use e.g. -u budgets=[512, 1024])",
    ],
    ["budgets=[]", "-u budgets: [] is not a non-empty list (fix: use e.g. -u budgets=[512, 1024])"],
    [
      "keep=some",
      '-u keep: "some" is not one of correct, incorrect (fix: use e.g. -u keep=correct)',
    ],
    [
      "use_chat_template=False",
      "-u use_chat_template: false is not allowed: only True is supported (fix: use e.g. -u use_chat_template=true)",
    ],
    [
      "base_url=nope",
      '-u base_url: "nope" is not a URL (fix: use e.g. -u base_url=http://127.0.0.1:8000/v1)',
    ],
    ["name=''", '-u name: "" is not non-empty text (fix: use e.g. -u name=qwen-7b)'],
    [
      "force_think=maybe",
      '-u force_think: "maybe" is not true or false (fix: use e.g. -u force_think=false)',
    ],
    [
      "max_new_token=512",
      "-u max_new_token: unknown key 'max_new_token' (fix: did you mean 'max_new_tokens'? e.g. -u max_new_tokens=512)",
    ],
    [
      "zzz=1",
      "-u zzz: unknown key 'zzz' (fix: use one of max_new_tokens, temperature, top_p, frequency_penalty, budgets, keep, use_chat_template, base_url, name, force_think, models)",
    ],
    [
      "keep=incorrect,force_think=True",
      "-u force_think: keep: incorrect needs force_think off (fix: use e.g. -u force_think=false)",
    ],
  ])("%s", (dotlist, message) => {
    expect(messageOf(() => parseConfig(schema, dotlistLayer(dotlist)))).toBe(message);
  });

  it("reports an unknown key before the problems it causes", () => {
    const strict = z.object({ max_new_tokens: z.number() }).strict();
    expect(messageOf(() => parseConfig(strict, dotlistLayer("max_new_token=5")))).toMatch(
      /unknown key 'max_new_token'/,
    );
  });

  it("suggests an alias people bring from other tools", () => {
    expect(
      messageOf(() =>
        parseConfig(schema, dotlistLayer("max_tokens=100"), {
          aliases: { max_tokens: "max_new_tokens" },
        }),
      ),
    ).toBe(
      "-u max_tokens: unknown key 'max_tokens' (fix: did you mean 'max_new_tokens'? e.g. -u max_new_tokens=100)",
    );
  });

  it("takes examples from a defaults layer only when they are valid", () => {
    const defaults = (values: Record<string, unknown>): ConfigLayer => ({
      origin: { kind: "defaults" },
      values,
    });
    expect(
      messageOf(() =>
        parseConfig(schema, [defaults({ temperature: 0.7 }), dotlistLayer("temperature=-1")]),
      ),
    ).toBe("-u temperature: -1 is not a number of at least 0 (fix: use e.g. -u temperature=0.7)");
    // Values built in code arrive as a defaults layer: the bad value is not its own example.
    expect(messageOf(() => parseConfig(schema, defaults({ temperature: -1 })))).toBe(
      "temperature: -1 is not a number of at least 0 (fix: use e.g. temperature: 0)",
    );
  });

  it("layers later over earlier and keeps defaults of keys not given", () => {
    const { layer } = fromFile("max_new_tokens: 512\nbudgets: [1, 2]\n");
    expect(parseConfig(schema, [layer, dotlistLayer("max_new_tokens=1024")])).toMatchObject({
      max_new_tokens: 1024,
      budgets: [1, 2],
      temperature: 0,
    });
  });
});

describe("parseConfig: values from a file name the file and line", () => {
  it.each([
    [
      "temperature: 0\nmax_new_tokens: -3\n",
      ":2: max_new_tokens: -3 is not a whole number above 0 (fix: use e.g. max_new_tokens: 2048)",
    ],
    [
      "budgets:\n  - 128\n  - -2\n",
      ":3: budgets.1: -2 is not a whole number above 0 (fix: use e.g. budgets: [512, 1024])",
    ],
    [
      "models:\n  - name: a\n    port: 0\n",
      ":3: models.0.port: 0 is not a whole number from 1 to 65535 (fix: use e.g. port: 1)",
    ],
    [
      "models:\n  - name: a\n    prot: 8000\n",
      ":3: models.0.prot: unknown key 'prot' (fix: did you mean 'port'? e.g. port: 8000)",
    ],
    ["models:\n  - port: 8000\n", ":2: models.0.name: name is missing (fix: add e.g. name: m1-7b)"],
  ])("%j", (text, message) => {
    const { path, layer } = fromFile(text);
    expect(messageOf(() => parseConfig(schema, layer))).toBe(`${path}${message}`);
  });

  it("puts a value on the layer that gave it", () => {
    const { path, layer } = fromFile("max_new_tokens: 512\n\ntemperature: -1\n");
    expect(messageOf(() => parseConfig(schema, [layer, dotlistLayer("max_new_tokens=64")]))).toBe(
      `${path}:3: temperature: -1 is not a number of at least 0 (fix: use e.g. temperature: 0)`,
    );
  });
});

describe("parseConfig: values from flags name the flag", () => {
  it.each([
    [
      ["--budget", "max_new_tokens", "-3"],
      "--budget: -3 is not a whole number above 0 (fix: use e.g. --budget 2048)",
    ],
    [
      ["--budget", "max_new_tokens", "lots"],
      '--budget: "lots" is not a whole number above 0 (fix: use e.g. --budget 2048)',
    ],
    [
      ["--top-p", "top_p", "2"],
      "--top-p: 2 is not a number above 0 and at most 1 (fix: use e.g. --top-p 0.5)",
    ],
    [["--name", "name", ""], '--name: "" is not non-empty text (fix: use e.g. --name qwen-7b)'],
  ])("%j", ([flag, key, value], message) => {
    const layers = flagLayers(schema, [{ flag: flag!, key: key!, value }]);
    expect(messageOf(() => parseConfig(schema, layers))).toBe(message);
  });

  it("turns numeric text into numbers only for number keys, and skips flags not given", () => {
    const layers = flagLayers(schema, [
      { flag: "--budget", key: "max_new_tokens", value: "64" },
      { flag: "--name", key: "name", value: "007" },
      { flag: "--keep", key: "keep", value: undefined },
    ]);
    expect(layers.filter((layer) => Object.keys(layer.values).length > 0)).toHaveLength(2);
    const parsed = parseConfig(schema, layers);
    expect(parsed).toMatchObject({ max_new_tokens: 64, name: "007" });
    expect(parsed.keep).toBeUndefined();
  });

  it("names the flag to add when the key it sets is missing, not the key", () => {
    const needsModel = z.object({ model_path: z.string().min(1) }).strict();
    const given = flagLayers(needsModel, [
      { flag: "--model", key: "model_path", value: undefined },
    ]);
    expect(messageOf(() => parseConfig(needsModel, given))).toMatch(/^--model: /);
    const none = flagLayers(needsModel, []);
    expect(messageOf(() => parseConfig(needsModel, none))).toMatch(/^model_path: /);
  });
});

describe("readConfigFile: YAML problems in our words", () => {
  it.each([
    [
      "budgets: [128, 256\nkeep: correct\n",
      ":1: budgets: not valid YAML: a [ list is not closed (fix: end it with ], e.g. budgets: [128, 256])",
    ],
    [
      "name: {a: 1\n",
      ":1: name: not valid YAML: a { mapping is not closed (fix: end it with }, e.g. name: {a: 1})",
    ],
    [
      "name: 'qwen\n",
      ":1: name: not valid YAML: a 'quoted' value is not closed (fix: end it with ', e.g. name: 'qwen')",
    ],
    [
      "name: a\nname: b\n",
      ":2: name: not valid YAML: the key 'name' appears twice in one mapping (fix: keep one)",
    ],
    [
      "keep: correct\n\tname: a\n",
      ":2: name: not valid YAML: a tab indents this line (fix: indent with spaces)",
    ],
    [
      "name: a: b\n",
      ":1: name: not valid YAML: a value holds ': ', which reads as a key inside the value (fix: quote the value, e.g. name: \"a: b\")",
    ],
    [
      "name: @x\n",
      ":1: name: not valid YAML: a value cannot start with '@' unless quoted (fix: quote it, e.g. name: '@x')",
    ],
    [
      'name: "a\\qb"\n',
      ':1: name: not valid YAML: \\q is not an escape sequence in "double quotes" (fix: write \\\\ for a backslash, or use \'single quotes\', e.g. name: "a\\\\qb")',
    ],
    [
      "name: *anchor\n",
      ":1: not valid YAML: *anchor names no anchor (&name) set before it (fix: set the anchor first, or quote a value that starts with *)",
    ],
    [
      "- a\n- b\n",
      ":1: the config file holds a list, not key: value lines (fix: write one key: value per line, e.g. max_new_tokens: 2048)",
    ],
    [
      "just text\n",
      ":1: the config file holds a single value, not key: value lines (fix: write one key: value per line, e.g. max_new_tokens: 2048)",
    ],
  ])("%j", (text, message) => {
    const path = yamlFile(text);
    const read = () => readConfigFile(path, { flag: "-c", exampleLine: "max_new_tokens: 2048" });
    expect(read).toThrowError(InputError);
    expect(read).toThrowError(`${path}${message}`);
  });

  it("reads an empty file as no settings, and a missing file as a one-line error", () => {
    expect(parseConfig(schema, fromFile("# nothing yet\n").layer)).toMatchObject({
      max_new_tokens: 2048,
    });
    expect(() =>
      readConfigFile("/nonexistent/c.yaml", { flag: "-c", exampleLine: "a: 1" }),
    ).toThrowError("/nonexistent/c.yaml: cannot read the config file (fix: check the -c path)");
  });

  it("keeps an apostrophe inside a plain value from reading as a quote", () => {
    const path = yamlFile("name: don't\nbudgets: [1, 2\n");
    expect(() => readConfigFile(path, { flag: "-c", exampleLine: "a: 1" })).toThrowError(
      `${path}:2: budgets: not valid YAML: a [ list is not closed (fix: end it with ], e.g. budgets: [1, 2])`,
    );
  });
});

describe("-u values YAML cannot read", () => {
  it.each([
    [
      "budgets=[128,256",
      '-u budgets: "[128,256" is not a value YAML can read: a [ list is not closed (fix: end it with ], e.g. -u budgets=[128,256])',
    ],
    [
      "name='abc",
      "-u name: \"'abc\" is not a value YAML can read: a 'quoted' value is not closed (fix: end it with ', e.g. -u name='abc')",
    ],
    [
      "name=@x",
      "-u name: \"@x\" is not a value YAML can read: a value cannot start with '@' unless quoted (fix: quote it, e.g. -u name='@x')",
    ],
  ])("%s", (dotlist, message) => {
    expect(messageOf(() => dotlistLayer(dotlist))).toBe(message);
  });
});
