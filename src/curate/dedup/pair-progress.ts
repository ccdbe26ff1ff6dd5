import { silentProgress, type ProgressBar, type ProgressReporter } from "../../progress.js";
import type { JoinStats } from "./similarity-join.js";

/** A bar over the pairs examined, in millions (the counts run into billions). */
export function pairProgress(label: string, progress: ProgressReporter = silentProgress) {
  let bar: ProgressBar | undefined;
  return {
    onProgress: (examined: number, total: number) => {
      bar ??= progress.bar({
        label,
        total: Math.max(1, Math.ceil(total / 1e6)),
        unit: "M pairs",
      });
      bar.update(Math.floor(examined / 1e6));
    },
    stop: () => bar?.stop(),
  };
}

/** "2.8e9 pairs in length windows, 830516 passed ..." for --verbose style notes. */
export function describeFilters(stats: JoinStats): string {
  return (
    `${stats.examined} distinct pairs within length bounds; ` +
    `${stats.passedGroupHistogram} passed the 64-group count bound, ` +
    `${stats.passedFullHistogram} the full count bound; ` +
    `${stats.similarDistinctPairs} reached the threshold ` +
    `(${stats.workers === 0 ? "1 thread" : `${stats.workers} worker threads`})`
  );
}
