/**
 * llama.cpp's server runs every completion's text through a chat-message parser, even on the plain
 * completion endpoints, and that parser rejects text that is not valid UTF-8 with a 500 ("The model
 * produced output that does not match the expected Content-only format", ggml-org/llama.cpp#27543):
 * a model that emits one stray byte token fails the sample after every retry. A parser that accepts
 * anything (`epsilon`) leaves the completion's text untouched, and the text is all m1 reads.
 */
export const LLAMA_CPP_COMPLETION_FIELDS: Readonly<Record<string, unknown>> = {
  chat_parser: JSON.stringify({ parsers: [{ type: "epsilon" }], rules: {}, root: 0 }),
};
