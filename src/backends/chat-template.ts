import { Template } from "@huggingface/jinja";
import { ConfigError, InputError } from "../errors.js";
import type { ChatMessage } from "./types.js";
import { readTextFile } from "../io/text-file.js";

/**
 * A model's chat template (Jinja, as in tokenizer_config.json or GGUF `tokenizer.chat_template`),
 * compiled once and rendered with `add_generation_prompt` as m1 does.
 */
export interface ChatTemplate {
  /** Where the template came from, for messages ("GGUF metadata", a file path, ...). */
  readonly origin: string;
  /**
   * Render messages. `addGenerationPrompt` defaults to true (a prompt for the model to continue, as
   * m1 renders eval prompts); training text renders the full conversation with it false.
   */
  render(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
}

export interface ChatTemplateTokens {
  bosToken?: string;
  eosToken?: string;
}

/** Compile a Jinja chat template; a syntax error is a ConfigError naming where it came from. */
export function compileChatTemplate(
  source: string,
  origin: string,
  tokens: ChatTemplateTokens = {},
): ChatTemplate {
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    throw new ConfigError(
      `chat template from ${origin} does not parse: ${(error as Error).message}`,
      {
        key: "chat_template",
        fix: "pass a valid Jinja template with --chat-template FILE",
      },
    );
  }
  return {
    origin,
    render(messages, options = {}) {
      try {
        return template.render({
          messages: messages.map((message) => ({ ...message })),
          add_generation_prompt: options.addGenerationPrompt ?? true,
          bos_token: tokens.bosToken ?? "",
          eos_token: tokens.eosToken ?? "",
        });
      } catch (error) {
        throw new ConfigError(
          `chat template from ${origin} failed to render: ${(error as Error).message}`,
          {
            key: "chat_template",
            fix: "check the template, or pass another with --chat-template FILE",
          },
        );
      }
    },
  };
}

/**
 * Load a chat template from a file: a raw Jinja file, or a Hugging Face `tokenizer_config.json`
 * (its `chat_template` string, or the entry named "default" when it is a list).
 */
export function loadChatTemplateFile(path: string): ChatTemplate {
  const text = readTextFile(
    path,
    () => new InputError("cannot read the chat template file", { file: path }, "check the path"),
  );
  if (!path.endsWith(".json")) return compileChatTemplate(text, path);

  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not valid JSON: ${(error as Error).message}`, { file: path });
  }
  const record = (config ?? {}) as Record<string, unknown>;
  const tokens = {
    bosToken: specialTokenText(record.bos_token),
    eosToken: specialTokenText(record.eos_token),
  };
  const chatTemplate = record.chat_template;
  if (typeof chatTemplate === "string") return compileChatTemplate(chatTemplate, path, tokens);
  if (Array.isArray(chatTemplate)) {
    const named = chatTemplate.find(
      (entry): entry is { name: string; template: string } =>
        typeof entry === "object" &&
        entry !== null &&
        (entry as { name?: unknown }).name === "default",
    );
    if (named && typeof named.template === "string")
      return compileChatTemplate(named.template, path, tokens);
  }
  throw new InputError(
    "has no chat_template string",
    { file: path, field: "chat_template" },
    "pass a tokenizer_config.json with a chat_template, or a .jinja file",
  );
}

/** tokenizer_config.json writes special tokens as strings or as {content: "..."} objects. */
function specialTokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { content?: unknown }).content === "string"
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** ChatML with no default system prompt; used when a model ships no template at all. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
