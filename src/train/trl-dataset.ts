import { InputError, type InputLocation } from "../errors.js";
import type { RowLocator } from "../io/row-location.js";
import type { Row } from "../io/rows.js";
import { hasAnyM1Column, m1Columns } from "../curate/training-text/m1-columns.js";
import { m1AssistantContent, type M1TrainingColumns } from "../curate/training-text/render.js";

/**
 * One example in TRL's prompt-completion form. SFTTrainer computes the loss on the completion
 * only (`completion_only_loss`, on by default for this form): the think and answer segments.
 * Conversational examples are rendered with the model's own chat template at training time, the
 * prompt with the generation prompt, so the completion starts right after `<|im_start|>assistant\n`.
 */
export type TrlExample =
  | {
      prompt: [{ role: "user"; content: string }];
      completion: [{ role: "assistant"; content: string }];
    }
  | { prompt: string; completion: string };

export type DatasetForm = "conversational" | "text";

export interface TrlDataset {
  form: DatasetForm;
  examples: TrlExample[];
  /** The m1 columns of each row (conversational form only), for token counting. */
  columns?: M1TrainingColumns[];
  /** Each row's already formatted `text`, where it has one. */
  texts: (string | undefined)[];
}

export interface TrlDatasetOptions {
  /** Where the assistant turn starts in `text` rows (`<|im_start|>assistant\n` for ChatML). */
  responseTemplate: string | null;
  locate: RowLocator;
}

/** The end-of-turn token after which a text row's trailing newline is dropped (see below). */
const CHATML_END = "<|im_end|>";

/**
 * Rows with m1's columns (`prompt`, `reasoning`, `distilled_answer_string`) become conversational
 * examples; rows with only a formatted `text` are split at the assistant start into text prompt
 * and completion. One file holds one form (the datasets library needs one schema).
 */
export function toTrlDataset(rows: readonly Row[], options: TrlDatasetOptions): TrlDataset {
  const texts = rows.map((row) => (typeof row.text === "string" ? row.text : undefined));
  if (rows.length === 0) return { form: "conversational", examples: [], columns: [], texts };
  const firstForm = rowForm(rows[0]!, options.locate(0));
  rows.forEach((row, index) => {
    const form = rowForm(row, options.locate(index));
    if (form !== firstForm) {
      throw new InputError(
        `this row is in ${form} form but the first row is in ${firstForm} form`,
        options.locate(index),
        "give every row m1's columns (prompt, reasoning, distilled_answer_string), or every row a formatted text",
      );
    }
  });
  if (firstForm === "conversational") {
    const columns = rows.map((row, index) => m1Columns(row, options.locate(index)));
    return {
      form: "conversational",
      examples: columns.map((row) => ({
        prompt: [{ role: "user", content: row.prompt }],
        completion: [{ role: "assistant", content: m1AssistantContent(row) }],
      })),
      columns,
      texts,
    };
  }
  return {
    form: "text",
    examples: texts.map((text, index) =>
      splitTrainingText(text!, options.responseTemplate, options.locate(index)),
    ),
    texts,
  };
}

function rowForm(row: Row, location: InputLocation): DatasetForm {
  if (hasAnyM1Column(row)) return "conversational";
  if (typeof row.text === "string") return "text";
  throw new InputError(
    "the row has neither m1's columns nor a formatted `text`",
    { ...location, field: "prompt" },
    "give rows prompt, reasoning and distilled_answer_string (or run `m1 curate format` first)",
  );
}

/**
 * Split a rendered conversation at the first assistant start: the prompt keeps the start marker,
 * the completion is the rest. TRL appends the tokenizer's EOS to a text completion that does not
 * end with it; Qwen-Instruct's EOS is `<|im_end|>`, so the newline the template writes after it is
 * dropped here, or the example would end `<|im_end|>\n<|im_end|>`.
 */
export function splitTrainingText(
  text: string,
  responseTemplate: string | null,
  location: InputLocation,
): { prompt: string; completion: string } {
  if (!responseTemplate) {
    throw new InputError(
      "text rows need to know where the assistant turn starts, and the model name does not say",
      { ...location, field: "text" },
      `set it (a YAML string), e.g. -u 'response_template="<|im_start|>assistant\\n"', or give rows m1's columns`,
    );
  }
  const start = text.indexOf(responseTemplate);
  if (start < 0) {
    throw new InputError(
      `text has no assistant turn start ${JSON.stringify(responseTemplate)}`,
      { ...location, field: "text" },
      "format the rows with the model's chat template (`m1 curate format`) or set -u response_template=...",
    );
  }
  const cut = start + responseTemplate.length;
  let completion = text.slice(cut);
  if (completion.endsWith(`${CHATML_END}\n`)) completion = completion.slice(0, -1);
  if (completion.trim().length === 0) {
    throw new InputError("the assistant turn is empty", { ...location, field: "text" });
  }
  return { prompt: text.slice(0, cut), completion };
}
