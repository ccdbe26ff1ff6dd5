import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { STORE_FILE_NAME } from "../../src/eval/store/index.js";
import { CLI_TEST_TIMEOUT_MS, runM1, startM1 } from "../support/cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

/**
 * `m1 demo` runs through `m1 eval`'s path: the same summary, warnings and exit codes (0 done,
 * 2 bad input, 3 samples failed, 130 interrupted).
 */
const tempDir = useTempDirs("m1-demo-");

/** Samples the demo has committed so far (0 while its store does not exist yet). */
function committedSamples(storePath: string): number {
  if (!existsSync(storePath)) return 0;
  try {
    const db = new Database(storePath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT COUNT(*) FROM samples").pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // created but not yet holding its tables
  }
}

describe("m1 demo", () => {
  it(
    "interrupted, warns and exits 130 as m1 eval does, with the summary of what it finished",
    async () => {
      const outputDir = join(tempDir(), "out");
      const storePath = join(outputDir, STORE_FILE_NAME);
      const running = startM1(["demo", "-q", "-o", outputDir]);
      const deadline = Date.now() + CLI_TEST_TIMEOUT_MS / 2;
      while (committedSamples(storePath) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      running.child.kill("SIGINT");
      const result = await running.done;
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toContain(
        "interrupted: finished samples are saved; run the same command to resume",
      );
      expect(result.stdout).toMatch(/experiment +status +source +correct\/total/);
      expect(result.stdout).toContain("demo/budget_16-wait_0-seed_42/version_0");
      expect(result.stdout).not.toContain("next: m1 report");
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "refuses bad input with one line and exit code 2, as m1 eval does",
    async () => {
      const outputDir = tempDir();
      const db = new Database(join(outputDir, STORE_FILE_NAME));
      db.exec("CREATE TABLE notes (text TEXT)");
      db.close();
      const result = await runM1(["demo", "-q", "-o", outputDir]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n").at(-1)).toMatch(
        /m1\.sqlite: not an m1 evaluation store \(no experiments table\) \(fix: /,
      );
      expect(result.stdout).toBe("");
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
