import type { RetryEvent } from "../../net/index.js";
import type { ProgressReporter } from "../../progress.js";

/** What every pipeline step receives from the runner. */
export interface StepContext {
  pipelineFile: string;
  signal?: AbortSignal;
  /** Where progress goes (the CLI draws bars); silent by default. */
  progress?: ProgressReporter;
  /** Progress notes (stderr in the CLI). */
  log: (line: string) => void;
  /** Told before a model request is retried (the CLI says so once per kind of failure). */
  onRetry?: (event: RetryEvent) => void;
}

/** What a step reports when done; stored in its completion marker. */
export type StepSummary = Record<string, unknown>;
