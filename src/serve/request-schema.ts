import { z } from "zod";
import type { ChatMessage } from "../backends/types.js";
import { describeInvalid, exampleOf, knownKeys, schemaAt } from "../config/index.js";
import { generationSettingsShape } from "../engine/generation-settings.js";
import { closestName } from "../text/closest-name.js";
import { invalidRequest, type ApiError } from "./api-error.js";

/**
 * The request bodies of `/v1/chat/completions` and `/v1/completions`: OpenAI's fields plus m1's
 * thinking keys, which clients may also nest under `extra_body`. Every problem is one 400 that
 * names the parameter (`param`) and says the fix, as `m1`'s config errors do. Fields no client
 * needs us to honour (`user`, `metadata`, ...) are ignored like OpenAI-compatible servers do, but
 * a near-miss of a key we know (`thinking_budgt`) is refused, since ignoring it would silently
 * run with the default; fields we cannot honour (tools, logprobs) are refused by name.
 */

export const REASONING_EFFORTS = ["low", "medium", "high"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** A key of the generation settings, as a request gives it: optional, null meaning "not given". */
function given<T extends z.ZodType>(node: z.ZodDefault<T>) {
  return node.unwrap().nullish();
}

/** m1's thinking keys: the same names in a body, under `extra_body`, and as server defaults. */
export const thinkingKeysShape = {
  /** m1's `max_new_tokens`. */
  thinking_budget: given(generationSettingsShape.max_new_tokens).meta({ examples: [1024] }),
  reasoning_effort: z.enum(REASONING_EFFORTS).nullish(),
  /** m1's `keep_think_below_budget_times`. */
  wait_rounds: given(generationSettingsShape.keep_think_below_budget_times).meta({
    examples: [1],
  }),
  /** m1's `keep_think_below_budget_str`. */
  wait_text: given(generationSettingsShape.keep_think_below_budget_str).meta({
    examples: ["Wait"],
  }),
  min_thinking_tokens: given(generationSettingsShape.min_thinking_tokens).meta({
    examples: [256],
  }),
  /** false: m1's baseline (no thinking segment, one plain call). */
  thinking: z.boolean().nullish(),
};

export const THINKING_KEYS = Object.keys(thinkingKeysShape) as (keyof typeof thinkingKeysShape)[];

const textPart = z.object({ type: z.literal("text"), text: z.string() });

const messageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart)]).meta({
    examples: ["Which vitamin deficiency causes scurvy?"],
    note: 'content is text, or a list of {"type": "text", "text": ...} parts (images and audio are not supported)',
  }),
});

const MAX_CHOICES = 128;

/** Fields both endpoints share. */
const commonShape = {
  model: z.string().nullish(),
  /** The answer budget (m1's `max_new_answer_tokens`); `max_tokens` is its older name. */
  max_completion_tokens: given(generationSettingsShape.max_new_answer_tokens).meta({
    examples: [1024],
  }),
  max_tokens: given(generationSettingsShape.max_new_answer_tokens).meta({ examples: [1024] }),
  temperature: given(generationSettingsShape.temperature).meta({ examples: [0.6] }),
  top_p: generationSettingsShape.top_p.unwrap().unwrap().nullish(),
  seed: z
    .number()
    .int()
    .nullish()
    .meta({ examples: [42] }),
  frequency_penalty: given(generationSettingsShape.frequency_penalty),
  stop: z
    .union([z.string(), z.array(z.string()).max(16)])
    .nullish()
    .meta({ examples: [["\n\n"]] }),
  n: z.number().int().min(1).max(MAX_CHOICES).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  extra_body: z
    .object(thinkingKeysShape)
    .strict()
    .nullish()
    .meta({
      examples: [{ thinking_budget: 1024 }],
    }),
  ...thinkingKeysShape,
};

const chatSchema = z.object({
  ...commonShape,
  messages: z
    .array(messageSchema)
    .min(1)
    .meta({ examples: [[{ role: "user", content: "Which vitamin deficiency causes scurvy?" }]] }),
});

const completionSchema = z.object({
  ...commonShape,
  prompt: z
    .union([z.string(), z.array(z.string()).min(1)])
    .meta({ examples: ["Question: Which vitamin deficiency causes scurvy?\nAnswer:"] }),
});

/** A field we know but cannot honour, and the values under which it is harmless. */
interface Unsupported {
  key: string;
  harmless: (value: unknown) => boolean;
  fix: string;
}

const isOff = (value: unknown) => value === undefined || value === null || value === false;
const isZero = (value: unknown) => value === undefined || value === null || value === 0;
const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && Object.keys(value as object).length === 0);

const UNSUPPORTED: readonly Unsupported[] = [
  { key: "tools", harmless: isEmpty, fix: "leave tools out: m1 serve does not call tools" },
  { key: "functions", harmless: isEmpty, fix: "leave functions out: m1 serve does not call tools" },
  { key: "logprobs", harmless: isOff, fix: "leave logprobs out" },
  { key: "top_logprobs", harmless: isZero, fix: "leave top_logprobs out" },
  { key: "presence_penalty", harmless: isZero, fix: "use frequency_penalty" },
  { key: "logit_bias", harmless: isEmpty, fix: "leave logit_bias out" },
  {
    key: "response_format",
    harmless: (value) => isEmpty(value) || (value as { type?: unknown } | null)?.type === "text",
    fix: 'leave response_format out (or use {"type": "text"})',
  },
  { key: "echo", harmless: isOff, fix: "leave echo out" },
  {
    key: "suffix",
    harmless: (value) => value === undefined || value === null,
    fix: "leave suffix out",
  },
  {
    key: "best_of",
    harmless: (value) => value === undefined || value === null || value === 1,
    fix: "use n for several samples",
  },
];

/** What both endpoints ask for, with m1's thinking keys merged from the body and `extra_body`. */
export interface GenerationRequest {
  model?: string;
  n: number;
  stream: boolean;
  includeUsage: boolean;
  stop: string[];
  /** The answer budget, when given. */
  maxCompletionTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  frequencyPenalty?: number;
  thinking: ThinkingKeys;
}

export interface ThinkingKeys {
  thinking_budget?: number;
  reasoning_effort?: ReasoningEffort;
  wait_rounds?: number;
  wait_text?: string;
  min_thinking_tokens?: number;
  thinking?: boolean;
}

export interface ChatRequest extends GenerationRequest {
  messages: ChatMessage[];
}

export interface TextRequest extends GenerationRequest {
  prompts: string[];
}

export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = parseBody(chatSchema, body);
  return {
    ...generationRequest(parsed),
    messages: parsed.messages.map((message) => ({
      // Newer clients say "developer" for what chat templates call the system prompt.
      role: message.role === "developer" ? "system" : message.role,
      content:
        typeof message.content === "string"
          ? message.content
          : message.content.map((part) => part.text).join(""),
    })),
  };
}

export function parseTextRequest(body: unknown): TextRequest {
  const parsed = parseBody(completionSchema, body);
  return {
    ...generationRequest(parsed),
    prompts: typeof parsed.prompt === "string" ? [parsed.prompt] : parsed.prompt,
  };
}

type CommonFields = z.output<z.ZodObject<typeof commonShape>>;

function parseBody<S extends z.ZodObject>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest(
      'the body must be a JSON object (fix: send e.g. {"messages": [{"role": "user", "content": "..."}]})',
      null,
      "invalid_body",
    );
  }
  const raw = body as Record<string, unknown>;
  checkUnknownKeys(raw, keysOf(schema));
  for (const { key, harmless, fix } of UNSUPPORTED) {
    if (!harmless(raw[key])) {
      throw invalidRequest(
        `${key} is not supported by m1 serve (fix: ${fix})`,
        key,
        "unsupported_parameter",
      );
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw schemaProblem(schema, raw, parsed.error);
  return parsed.data;
}

interface BodyKeys {
  known: readonly string[];
  /** The known keys and the unsupported ones, which are checked apart. */
  accepted: ReadonlySet<string>;
}

/** Per schema, built once: every request checks its keys against them. */
const bodyKeys = new WeakMap<z.ZodObject, BodyKeys>();

function keysOf(schema: z.ZodObject): BodyKeys {
  let keys = bodyKeys.get(schema);
  if (!keys) {
    const known = Object.keys(schema.shape);
    keys = { known, accepted: new Set([...known, ...UNSUPPORTED.map(({ key }) => key)]) };
    bodyKeys.set(schema, keys);
  }
  return keys;
}

/** Ignore what other clients send, but not a typo of one of our keys. */
function checkUnknownKeys(raw: Record<string, unknown>, { known, accepted }: BodyKeys): void {
  for (const key of Object.keys(raw)) {
    if (accepted.has(key)) continue;
    const near = closestName(key, known);
    if (near !== undefined && near !== key) {
      throw invalidRequest(
        `unknown parameter '${key}' (fix: did you mean '${near}'?)`,
        key,
        "unknown_parameter",
      );
    }
  }
}

/** The first problem as one line: `param: <value> is not <expected> (fix: use e.g. "key": v)`. */
function schemaProblem(schema: z.ZodType, raw: unknown, error: z.ZodError): ApiError {
  const { key, problem } = describeInvalid(schema, raw, error);
  const path = key.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const param = path
    .map((part, index) => (typeof part === "number" ? `[${part}]` : index > 0 ? `.${part}` : part))
    .join("");
  if (error.issues[0]?.code === "unrecognized_keys") {
    const parent = schemaAt(schema, path.slice(0, -1), raw);
    const name = String(path.at(-1));
    const known = knownKeys(parent, undefined);
    const near = closestName(name, known);
    const fix = near ? `did you mean '${near}'?` : `use one of ${known.join(", ")}`;
    return invalidRequest(
      `${problem} in ${param.replace(/\.[^.]*$/, "")} (fix: ${fix})`,
      param,
      "unknown_parameter",
    );
  }
  const lastNameAt = path.findLastIndex((part) => typeof part === "string");
  const lastName = lastNameAt >= 0 ? String(path[lastNameAt]) : undefined;
  const exampleNode = lastName ? schemaAt(schema, path.slice(0, lastNameAt + 1), raw) : undefined;
  const example = exampleNode ? exampleOf(exampleNode) : undefined;
  const value = path.reduce<unknown>(
    (node, part) => (node as Record<string | number, unknown> | undefined)?.[part],
    raw,
  );
  const verb = value === undefined ? "add" : "use";
  const fix =
    example !== undefined && lastName
      ? ` (fix: ${verb} e.g. "${lastName}": ${JSON.stringify(example)})`
      : "";
  const issue = error.issues[0];
  const code = value === undefined ? "missing_required_parameter" : "invalid_value";
  const said =
    value === undefined && issue?.code !== "custom"
      ? `${param} is missing`
      : `${param}: ${problem}`;
  return invalidRequest(`${said}${fix}`, param, code);
}

function generationRequest(parsed: CommonFields): GenerationRequest {
  const thinking: ThinkingKeys = {};
  for (const key of THINKING_KEYS) {
    const top = parsed[key] ?? undefined;
    const nested = parsed.extra_body?.[key] ?? undefined;
    if (top !== undefined && nested !== undefined && top !== nested) {
      throw invalidRequest(
        `${key} is given twice with different values (${JSON.stringify(top)} and extra_body.${key} ${JSON.stringify(nested)}) (fix: give it once)`,
        key,
      );
    }
    const value = top ?? nested;
    if (value !== undefined) Object.assign(thinking, { [key]: value });
  }
  if (thinking.thinking_budget !== undefined && thinking.reasoning_effort !== undefined) {
    throw invalidRequest(
      "thinking_budget and reasoning_effort both set the thinking budget (fix: give one of them)",
      "reasoning_effort",
    );
  }
  const answerBudget = parsed.max_completion_tokens ?? undefined;
  const legacyBudget = parsed.max_tokens ?? undefined;
  if (answerBudget !== undefined && legacyBudget !== undefined && answerBudget !== legacyBudget) {
    throw invalidRequest(
      `max_tokens (${legacyBudget}) and max_completion_tokens (${answerBudget}) differ (fix: give max_completion_tokens only)`,
      "max_tokens",
    );
  }
  const stop = parsed.stop ?? [];
  return {
    model: parsed.model ?? undefined,
    n: parsed.n ?? 1,
    stream: parsed.stream ?? false,
    includeUsage: parsed.stream_options?.include_usage ?? false,
    stop: typeof stop === "string" ? [stop] : stop.filter((text) => text !== ""),
    maxCompletionTokens: answerBudget ?? legacyBudget,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    seed: parsed.seed ?? undefined,
    frequencyPenalty: parsed.frequency_penalty ?? undefined,
    thinking,
  };
}
