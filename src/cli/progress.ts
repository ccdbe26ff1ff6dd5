import cliProgress from "cli-progress";
import {
  silentProgress,
  type ProgressBar,
  type ProgressBarOptions,
  type ProgressReporter,
} from "../progress.js";

/**
 * The terminal implementation of the progress port: bars on stderr, only when it is a terminal,
 * not in CI and the user did not ask for `--quiet`; otherwise silent.
 */
export function terminalProgress(options: { quiet?: boolean } = {}): ProgressReporter {
  if (!shouldShowProgress(options.quiet)) return silentProgress;
  return {
    bar: (bar) => createProgressBar(bar),
    group: (group = {}) => {
      const multi = new cliProgress.MultiBar(
        barOptions(group.unit),
        cliProgress.Presets.shades_classic,
      );
      return {
        add: (bar) => wrap(multi.create(bar.total, 0, { label: bar.label, detail: "" })),
        stop: () => multi.stop(),
      };
    },
  };
}

export function shouldShowProgress(quiet?: boolean): boolean {
  return !quiet && Boolean(process.stderr.isTTY) && process.env.CI !== "true";
}

/** cli-progress prints "NFs" for an unknown ETA (before the first item is done): show "--". */
function formatTime(seconds: number, options: cliProgress.Options, roundTo: number): string {
  if (!Number.isFinite(seconds) || Number.isNaN(seconds)) return "--";
  return cliProgress.Format.TimeFormat(seconds, options, roundTo);
}

function barOptions(unit = ""): cliProgress.Options {
  return {
    format: `{label} [{bar}] {value}/{total} ${unit} | {percentage}% | ETA {eta_formatted} {detail}`,
    formatTime,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
  };
}

function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const bar = new cliProgress.SingleBar(
    barOptions(options.unit),
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0, { label: options.label, detail: "" });
  return wrap(bar);
}

function wrap(bar: cliProgress.SingleBar): ProgressBar {
  return {
    increment: (delta = 1, detail) => bar.increment(delta, detail === undefined ? {} : { detail }),
    update: (done, detail) => bar.update(done, detail === undefined ? {} : { detail }),
    setTotal: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}
