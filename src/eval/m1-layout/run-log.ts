import { existsSync, readFileSync } from "node:fs";
import { InputError } from "../../errors.js";

/**
 * Reads `log.txt` as m1's inference script writes it (and write.ts after it):
 *
 *   Start time: 2025-03-22 16:34:46.117305
 *   End time: 2025-03-22 16:39:09.261788
 *   Script runtime: 00:04:23
 *
 * plus our `Resume time:` lines (one per resumed process) and notes. m1's gather_time reads the
 * `Script runtime:` line; that line drops whole days (Python's `timedelta.seconds`), so where the
 * start and end of one process are both known, their difference is the runtime instead.
 */
export interface RunLog {
  /** `Start time:` as written (Python's `str(datetime.now())`, local time). */
  startedAt: string | null;
  /** `Resume time:` lines: processes that resumed the experiment after the first. */
  resumedAt: string[];
  endedAt: string | null;
  /** `Script runtime:` in seconds; null when the line is missing (the run never ended). */
  scriptRuntimeSeconds: number | null;
}

const PYTHON_DATETIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const RUNTIME = /^(\d+):(\d\d):(\d\d)$/;

/** `HH:MM:SS` as m1 prints runtimes (hours past 24 kept: m1's own line drops whole days). */
export function formatRuntime(seconds: number): string {
  const whole = Math.floor(seconds);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${pad(Math.floor(whole / 3600))}:${pad(Math.floor((whole % 3600) / 60))}:${pad(whole % 60)}`;
}

/** Milliseconds of a Python `str(datetime)` on a clock without time zone; null if malformed. */
function pythonDatetimeMs(text: string): number | null {
  const match = PYTHON_DATETIME.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction] = match;
  return (
    Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second!) +
    Number(`0.${fraction ?? "0"}`) * 1000
  );
}

/** The log of a version directory; null when it has none. */
export function readRunLog(path: string): RunLog | null {
  if (!existsSync(path)) return null;
  const log: RunLog = {
    startedAt: null,
    resumedAt: [],
    endedAt: null,
    scriptRuntimeSeconds: null,
  };
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  lines.forEach((line, index) => {
    const [key, ...rest] = line.split(": ");
    const value = rest.join(": ").trim();
    switch (key) {
      case "Start time":
        log.startedAt = value;
        break;
      case "Resume time":
        log.resumedAt.push(value);
        break;
      case "End time":
        log.endedAt = value;
        break;
      case "Script runtime": {
        // m1's gather_time takes the first one.
        if (log.scriptRuntimeSeconds !== null) break;
        const match = RUNTIME.exec(value);
        if (!match) {
          throw new InputError(
            `'Script runtime: ${value}' is not HH:MM:SS`,
            { file: path, line: index + 1 },
            "fix or delete the line",
          );
        }
        log.scriptRuntimeSeconds = +match[1]! * 3600 + +match[2]! * 60 + +match[3]!;
        break;
      }
    }
  });
  return log;
}

/**
 * The runtime a log tells, in seconds: end minus start for a single process (exact, whole days
 * kept), else `Script runtime:`. For a resumed experiment that is what our writer put there.
 */
export function runLogSeconds(log: RunLog): number | null {
  if (log.startedAt && log.endedAt && log.resumedAt.length === 0) {
    const start = pythonDatetimeMs(log.startedAt);
    const end = pythonDatetimeMs(log.endedAt);
    if (start !== null && end !== null && end >= start) return (end - start) / 1000;
  }
  return log.scriptRuntimeSeconds;
}
