import type { Backend } from "../../backends/types.js";
import { generateWithBudget } from "../../engine/budget-forcing.js";
import { M1_GENERATION_DEFAULTS } from "../../engine/generation-settings.js";
import { resolveThinkingFormat } from "../../engine/thinking-formats.js";
import type { AskEngine } from "./ask-settings.js";
import type { ChatSender } from "./chat-jobs.js";

type LocalEngine = Extract<AskEngine, { kind: "local" }>;

/** Tokens when the request sets no max_tokens: room for an instruct answer or a short thought. */
const LOCAL_MAX_TOKENS = 4096;

/** Sequences a local model generates at once: more rarely pays on a CPU or one GPU. */
const MAX_LOCAL_PARALLEL = 4;

/**
 * Answers from a GGUF model in this process, through the lead's backend factory and the
 * budget-forcing engine (the one engine every m1 command uses). `max_tokens` is the thinking
 * budget with a thinking format, or the whole answer with `none` (an instruct model, as m1's
 * Qwen2.5 difficulty filter). The model is loaded on the first request, so a rerun that the
 * cache answers entirely never loads it. Local answers cost nothing.
 */
export function localChatSender(engine: LocalEngine, concurrency: number): ChatSender {
  const parallel = Math.max(1, Math.min(concurrency, MAX_LOCAL_PARALLEL));
  const thinkingFormat = resolveThinkingFormat(engine.thinkingFormat);
  let opening: Promise<Backend> | undefined;
  const backend = () =>
    (opening ??= import("../../backends/factory.js").then(async ({ openBackend }) => {
      const opened = await openBackend({
        kind: "embedded",
        model: engine.ggufPath,
        parallelSequences: parallel,
      });
      return opened.backend;
    }));
  return {
    concurrency: parallel,
    priced: true,
    async send(body, signal) {
      const model = await backend();
      const prompt = await model.renderChat(body.messages);
      const record = await generateWithBudget(
        model,
        prompt,
        {
          thinkingFormat,
          thinkingBudget: body.max_tokens ?? LOCAL_MAX_TOKENS,
          answerBudget: engine.answerTokens,
          waitRounds: engine.waitRounds,
          waitText: M1_GENERATION_DEFAULTS.keep_think_below_budget_str,
          minThinkingTokens: M1_GENERATION_DEFAULTS.min_thinking_tokens,
          sampling: {
            temperature: body.temperature ?? M1_GENERATION_DEFAULTS.temperature,
            seed: body.seed ?? M1_GENERATION_DEFAULTS.seed,
            topP: body.top_p,
          },
        },
        { signal },
      );
      return {
        content: record.response_text,
        reasoning: record.thinking_text,
        finishReason: record.finish_reason,
        promptTokens: record.prompt_tokens,
        completionTokens: record.num_gen_tokens,
        costUsd: 0,
      };
    },
    async close() {
      if (opening) await (await opening).close();
    },
  };
}
