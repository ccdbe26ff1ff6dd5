import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROGRESS_BAR_PATTERN } from "../fixtures/eval/cli.js";
import { M1_BIN, REPO_ROOT, CLI_TEST_TIMEOUT_MS } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { makeItems } from "../fixtures/eval/medical-model.js";
import { answersFor, useScriptedStudy } from "../fixtures/eval/scripted-study.js";

/**
 * The progress bar of `m1 eval` on a terminal: run under `script` (a pseudo-terminal), it shows
 * done/total, accuracy so far, tokens/s and an ETA on stderr; `--quiet` silences it. (Off a
 * terminal it is silent: the other CLI tests check their piped stderr for it.)
 */

const tempDir = useTempDirs("m1-progress-");
const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
const items = makeItems("alpha", 8);
const setup = useScriptedStudy({
  dir: tempDir,
  evalFile: "progress.json",
  sources: { alpha: items },
  answers: answersFor({ alpha: items }, (item, index) => (index < 6 ? item.answer_idx : "A")),
  latencyMs: 50,
});

/** Run `m1 eval` on a pseudo-terminal; resolves to everything the terminal showed. */
function runOnTerminal(extraFlags: string[]): Promise<{ code: number | null; screen: string }> {
  const dotlist = [
    `eval_data_path=${setup.evalPath}`,
    `base_url=${setup.server.baseUrl}`,
    "force_think=True",
    "max_new_tokens=48",
    "concurrency=2",
    `output_dir=${join(tempDir(), "out")}`,
    "exp_name=tty",
  ].join(",");
  const command = [process.execPath, M1_BIN, "eval", ...extraFlags, "-u", dotlist]
    .map((word) => `'${word.replace(/'/g, "'\\''")}'`)
    .join(" ");
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", COLUMNS: "160" };
  delete env.CI;
  const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (screen += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe.skipIf(!hasScript)("m1 eval progress on a terminal", () => {
  it(
    "shows done/total, accuracy so far, tokens/s and ETA while it runs",
    async () => {
      const { code, screen } = await runOnTerminal([]);
      expect(code, screen).toBe(0);
      expect(screen).toMatch(PROGRESS_BAR_PATTERN);
      // A frame drawn while the run was under way, e.g.
      // tty [████████░░░…] 4/8 samples | 50% | ETA 1s | acc 100.0% | 512 tok/s
      expect(screen).toMatch(
        /tty \[[█░]+\] [1-7]\/8 samples \| \d+% \| ETA \d+s \| acc \d+\.\d% \| \d+ tok\/s/,
      );
      expect(screen).toMatch(/tty\/version_0\s+finished\s+alpha\s+6\/8\s+75\.0%/);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "draws nothing with --quiet",
    async () => {
      const { code, screen } = await runOnTerminal(["--quiet"]);
      expect(code, screen).toBe(0);
      expect(screen).not.toMatch(PROGRESS_BAR_PATTERN);
      expect(screen).not.toMatch(/samples \|/);
      expect(screen).toMatch(/tty\/version_0\s+finished\s+alpha\s+6\/8\s+75\.0%/);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
