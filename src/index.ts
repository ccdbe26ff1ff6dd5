/**
 * m1 as a library: `import { ... } from "m1"`. What this file exports is the public API, each
 * entry point with an example in docs/api.md (type-checked and run by test/package); the rest
 * of src/ is internal and may change. Importing m1 stays light: the embedded engine
 * (node-llama-cpp) loads on the first createLlamaCppBackend or openBackend call.
 */
import type { LlamaCppBackend, LlamaCppBackendOptions } from "./backends/llama-cpp/backend.js";

// ---- backends: one small spec, two implementations, one factory from settings ---------------

export type {
  Backend,
  BackendCapabilities,
  ChatMessage,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  GenerationSequence,
  SamplingOptions,
} from "./backends/types.js";
export type { LlamaCppBackend, LlamaCppBackendOptions } from "./backends/llama-cpp/backend.js";
export type { LlamaCppSequence } from "./backends/llama-cpp/sequence.js";

/**
 * The embedded backend: a GGUF model (a path, or an `hf:` URI downloaded once) run in this
 * process by llama.cpp, on a GPU when one is found. Close it (or `await using`) when done.
 */
export async function createLlamaCppBackend(
  options: LlamaCppBackendOptions,
): Promise<LlamaCppBackend> {
  const embedded = await import("./backends/llama-cpp/index.js");
  return embedded.createLlamaCppBackend(options);
}

export {
  createOpenAICompatibleBackend,
  DEFAULT_RETRY_SETTINGS,
  type OpenAICompatibleBackendOptions,
  type RetryEvent,
  type RetrySettings,
} from "./backends/openai/index.js";
export {
  openBackend,
  type BackendSettings,
  type EmbeddedBackendSettings,
  type OpenAIBackendSettings,
  type OpenedBackend,
  type ServerLaunchSettings,
} from "./backends/factory.js";
export {
  CHATML_TEMPLATE,
  compileChatTemplate,
  loadChatTemplateFile,
  type ChatTemplate,
} from "./backends/chat-template.js";
export { QWEN25_CHAT_TEMPLATE } from "./backends/openai/qwen-chat-template.js";
export {
  connectServerTokenCounter,
  type ServerTokenizerSource,
} from "./backends/openai/server-tokenizer.js";
export { loadLocalTokenCounter, type TokenCounter } from "./tokenizers/index.js";
export { ensureSmokeModel } from "./smoke/smoke-model-file.js";

// ---- budget forcing and thinking formats ----------------------------------------------------

export {
  generateWithBudget,
  validateBudgetForcingSettings,
  type BudgetForcingSettings,
  type EngineEvent,
  type GenerateWithBudgetOptions,
  type InsertReason,
} from "./engine/budget-forcing.js";
export {
  budgetForcingSettings,
  DEFAULT_BUDGET_FORCING,
  M1_GENERATION_DEFAULTS,
  type GenerationSettings,
} from "./engine/generation-settings.js";
export type { GenerationRecord } from "./engine/record.js";
export {
  M1_THINKING_FORMAT,
  NO_THINKING_FORMAT,
  QWEN3_FORCED_CLOSE_MESSAGE,
  resolveThinkingFormat,
  THINKING_FORMAT_NAMES,
  thinkTagsThinkingFormat,
  type ThinkingFormat,
  type ThinkingFormatName,
  type ThinkingFormatOverrides,
} from "./engine/thinking-formats.js";

// ---- eval data and prompts ------------------------------------------------------------------

export { flattenEvalFile, loadEvalDataset, parseEvalFile } from "./eval/datasets/load.js";
export type { LoadEvalOptions } from "./eval/datasets/load.js";
export type {
  DroppedItem,
  EvalFileContent,
  EvalItem,
  EvalSample,
  LoadedEvalDataset,
} from "./eval/datasets/types.js";
export {
  buildOptionStr,
  buildQueryPrompt,
  buildSamplePrompt,
  QUERY_TEMPLATE,
  type QueryPromptSettings,
} from "./eval/prompt.js";
export { bundledDataPath, m1CacheDir } from "./paths.js";

// ---- scoring, exactly as m1 --------------------------------------------------------------------

export {
  averageAccuracy,
  computeMetrics,
  extractAnswer,
  formatMetricsJson,
  matchChoice,
  scoreResults,
  scoreResultsFile,
  scoreSample,
  sourcesInOrder,
  type Metrics,
  type SampleScore,
  type ScoredResults,
  type ScoreFileOptions,
  type ScoreFileResult,
  type ScoringInput,
  type SourceMetrics,
} from "./eval/scoring/index.js";

// ---- reading results: the store, m1-layout trees --------------------------------------------

export {
  EvalStore,
  sessionTotals,
  STORE_FILE_NAME,
  STORE_SCHEMA_VERSION,
  type Experiment,
  type ExperimentSession,
  type ExperimentStatus,
  type ScoredOutcome,
  type SessionTotals,
  type SourceCounts,
  type StoredQuestion,
  type StoredSample,
} from "./eval/store/index.js";
export type { StoreQueries } from "./eval/store/queries.js";
export { discoverExperiments } from "./report/discover.js";
export type { ReportExperiment, SampleOutcome, SweepParameter } from "./report/experiments.js";
export { SampleLoader } from "./report/samples.js";

// ---- report statistics -----------------------------------------------------------------------

export {
  AVERAGE_SOURCE,
  averageAccuracy as averageAccuracyWithInterval,
  experimentRows,
  sourceAccuracy,
  type AccuracyRow,
  type SourceAccuracy,
} from "./report/accuracy.js";
export {
  meanOfProportionsInterval,
  wilsonInterval,
  Z_95,
  type Interval,
} from "./report/stats/wilson.js";
export { mcnemarExact, type McNemarResult } from "./report/stats/binomial.js";
export {
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  pairedBootstrap,
  type BootstrapOptions,
  type BootstrapResult,
  type PairedStratum,
} from "./report/stats/bootstrap.js";
export {
  compareExperiments,
  type CompareOptions,
  type Comparison,
  type ComparisonRow,
} from "./report/compare.js";
export { experimentRuntime, type RuntimeRow } from "./report/runtime.js";

// ---- errors and version ----------------------------------------------------------------------

export {
  BackendCallError,
  BackendSetupError,
  CancelledError,
  ConfigError,
  InputError,
  M1Error,
} from "./errors.js";
export { M1_VERSION } from "./version.js";
