/**
 * The progress port. Long work (eval runs, dedup, model calls, token counting) reports through a
 * `ProgressReporter` it is given; the CLI passes one that draws bars on a terminal
 * (`cli/progress.ts`), library callers pass their own or nothing (`silentProgress`).
 */
export interface ProgressBar {
  /** Advance by `delta` and refresh the extra fields shown after the bar (e.g. `acc 61.2%`). */
  increment(delta?: number, detail?: string): void;
  /** Set the absolute position (e.g. when resuming with samples already done). */
  update(done: number, detail?: string): void;
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressBarOptions {
  label: string;
  total: number;
  /** Unit shown after the counts, e.g. "samples", "rows". */
  unit?: string;
}

/** Several bars drawn together (e.g. one per experiment of a sweep). */
export interface ProgressGroup {
  add(options: ProgressBarOptions): ProgressBar;
  stop(): void;
}

export interface ProgressReporter {
  bar(options: ProgressBarOptions): ProgressBar;
  group(options?: { unit?: string }): ProgressGroup;
}

export const silentBar: ProgressBar = {
  increment: () => {},
  update: () => {},
  setTotal: () => {},
  stop: () => {},
};

export const silentProgress: ProgressReporter = {
  bar: () => silentBar,
  group: () => ({ add: () => silentBar, stop: () => {} }),
};
