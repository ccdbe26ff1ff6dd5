import { execFile, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAIServer, type FakeOpenAIServer } from "../fixtures/fake-openai-server.js";
import { buildSweepStore } from "../fixtures/report/build-store.js";
import { M1_OUTPUTS, temporaryDirectory } from "../fixtures/report/outputs.js";
import { REPO_ROOT } from "../support/cli.js";

/**
 * m1 as an installed package. `npm pack` (its prepack builds dist/) makes the tarball; it is
 * unpacked into a fresh project's node_modules/m1 beside links to the dependencies package.json
 * declares, and only those (offline, the layout `npm install` makes: an import of anything
 * undeclared fails). Then the project's `m1` bin must run from dist/ (there is no src/ and no
 * tsx), with the assets it reads at run time, and every example of docs/api.md must type-check
 * against the installed declarations and run.
 */

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
/** The environment without npm's own variables (`npm test` sets some that `npm pack` would obey). */
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")),
);
const TSC = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

let workspace: string;
let project: string;
let packedFiles: string[];
let server: FakeOpenAIServer;
let results: string;

function m1Bin(): string {
  return join(project, "node_modules", ".bin", "m1");
}

/** `m1 <args>` as the project's bin (its own shebang; cwd: the project). */
async function m1(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(m1Bin(), [...args], {
    cwd: project,
    env: { ...CLEAN_ENV, NO_COLOR: "1", M1_CACHE_DIR: join(workspace, "cache"), ...env },
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

function link(name: string): void {
  const target = join(project, "node_modules", name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules", name), target, "dir");
}

beforeAll(async () => {
  workspace = temporaryDirectory("package");
  const packed = await run("npm", ["pack", "--json", "--pack-destination", workspace], {
    cwd: REPO_ROOT,
    env: CLEAN_ENV,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [info] = JSON.parse(packed.stdout) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  packedFiles = info!.files.map((file) => file.path);

  project = join(workspace, "project");
  mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  await run("tar", ["-xzf", join(workspace, info!.filename), "-C", join(project, "node_modules")]);
  renameSync(join(project, "node_modules", "package"), join(project, "node_modules", "m1"));
  for (const name of Object.keys(manifest.dependencies)) link(name);
  // What npm does for a package's bin: a link in .bin and the target made executable.
  chmodSync(join(project, "node_modules", "m1", "bin", "m1.js"), 0o755);
  symlinkSync("../m1/bin/m1.js", m1Bin());

  server = await startFakeOpenAIServer();
  results = join(workspace, "results");
  buildSweepStore(results, {
    points: [256, 1024].map((budget) => ({ model: "m1-7B-23K", budget, waitRounds: 0 })),
    sources: [
      { name: "MedQA", questions: 12 },
      { name: "PubMedQA", questions: 8 },
    ],
    correct: (point, source, question) => (question + source) % 4 < point.budget / 512 + 1,
  });
}, 300_000);

afterAll(async () => {
  await server?.close();
});

describe("the packed tarball", () => {
  it("holds the compiled library with its declarations, the CLI and what it reads at run time, and no sources or tests", () => {
    for (const path of [
      "package.json",
      "README.md",
      "bin/m1.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/curate/dedup/join-worker.js",
      "dist/view/public/index.html",
      "dist/view/public/app.js",
      "dist/view/public/app.css",
      "dist/report/plots/fonts/DejaVuSans-subset.ttf",
      "configs/demo.yaml",
      "data/demo/pubmedqa_demo.json",
      "data/mesh/qualifier_hierarchy.txt",
    ]) {
      expect(packedFiles, path).toContain(path);
    }
    expect(
      packedFiles.filter((path) => /^(src|test|bench|scripts|node_modules)\//.test(path)),
    ).toEqual([]);
    expect(packedFiles.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual(
      [],
    );
  });
});

describe("the installed m1 command", () => {
  it("runs from dist/: no sources, no tsx", async () => {
    const installed = join(project, "node_modules", "m1");
    expect(existsSync(join(installed, "src"))).toBe(false);
    expect(existsSync(join(project, "node_modules", "tsx"))).toBe(false);
    const { stdout } = await m1(["--version"]);
    expect(stdout.trim()).toBe(manifest.version);
    expect((await m1(["--help"])).stdout).toContain("report");
  });

  it("reports m1's own outputs, with runtimes and plots drawn in the bundled font", async () => {
    const runtime = await m1(["report", M1_OUTPUTS, "--runtime", "--format", "json"]);
    expect((JSON.parse(runtime.stdout) as unknown[]).length).toBe(5);
    const plots = join(workspace, "plots");
    await m1(["report", M1_OUTPUTS, "--plot", plots]);
    for (const name of ["accuracy-vs-budget", "budget-usage", "accuracy-vs-tokens"]) {
      expect(statSync(join(plots, `${name}.png`)).size).toBeGreaterThan(20_000);
    }
  });

  it("rescores an m1 results file", async () => {
    const versionDir = join(
      M1_OUTPUTS,
      "250319-ablation-thinking_budget/m1-7B-1K/thinking_buget_512/version_0",
    );
    const out = join(workspace, "rescored");
    const { stdout } = await m1(["score", join(versionDir, "m1_eval_data.json"), "--out", out]);
    expect(stdout).toContain("MedQA_USLME_test");
    expect(readFileSync(join(out, "metrics.json"), "utf8")).toBe(
      readFileSync(join(versionDir, "metrics.json"), "utf8"),
    );
  });

  it("serves the viewer's page from the installed package", async () => {
    const child = spawn(m1Bin(), ["view", results, "--port", "0"], {
      cwd: project,
      env: { ...CLEAN_ENV, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
          output += chunk;
          const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(output);
          if (match) resolve(match[0]);
        });
        child.once("exit", (code) => reject(new Error(`m1 view exited (${code})`)));
      });
      for (const file of ["index.html", "app.js", "app.css"]) {
        const response = await fetch(new URL(file === "index.html" ? "/" : `/${file}`, url));
        expect(response.status, file).toBe(200);
        expect(await response.text()).toBe(
          readFileSync(join(REPO_ROOT, "src", "view", "public", file), "utf8"),
        );
      }
      const experiments = (await (await fetch(new URL("/api/experiments", url))).json()) as {
        experiments: unknown[];
      };
      expect(experiments.experiments).toHaveLength(2);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("answers a question with the embedded engine on the smoke model", async () => {
    const { stdout } = await m1([
      "ask",
      "Which drug reverses heparin?",
      "--budget",
      "24",
      "--answer-budget",
      "8",
      "--json",
    ]);
    const record = JSON.parse(stdout) as { thinking_tokens: number; answer_tokens: number };
    expect(record.thinking_tokens).toBeLessThanOrEqual(24);
    expect(record.answer_tokens).toBeLessThanOrEqual(8);
  });
});

/** The packages (not files, not Node's modules) that declaration files under `root` import. */
function declarationImports(root: string): string[] {
  const names = new Set<string>();
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".d.ts")) {
        for (const line of readFileSync(path, "utf8").split("\n")) {
          if (/^\s*(\*|\/\/|\/\*)/.test(line)) continue; // comments
          for (const match of line.matchAll(/(?:\bfrom\s+|\bimport\()"([^"]+)"/g)) {
            const name = match[1]!;
            if (!name.startsWith(".") && !name.startsWith("node:")) names.add(name);
          }
        }
      }
    }
  };
  walk(root);
  return [...names].sort();
}

/** The ```ts blocks of a markdown file. */
function typescriptBlocks(path: string): string[] {
  return [...readFileSync(path, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("docs/api.md", () => {
  const examples = typescriptBlocks(join(REPO_ROOT, "docs", "api.md"));
  // The README's example needs a server; it is type-checked, not run.
  const readmeExamples = typescriptBlocks(join(REPO_ROOT, "README.md"));
  let compiled: string;

  beforeAll(async () => {
    const directory = join(project, "examples");
    mkdirSync(directory, { recursive: true });
    examples.forEach((code, index) =>
      writeFileSync(join(directory, `example-${String(index).padStart(2, "0")}.ts`), code),
    );
    readmeExamples.forEach((code, index) =>
      writeFileSync(join(directory, `readme-${index}.ts`), code),
    );
    // Every package m1's declarations import must come with types for a consumer (a types
    // package among m1's dependencies, or its own): imported here, in the consumer's code, where
    // skipLibCheck cannot hide a missing one.
    const typedImports = declarationImports(join(project, "node_modules", "m1", "dist"));
    writeFileSync(
      join(directory, "types-probe.ts"),
      typedImports.map((name, index) => `import type * as dep${index} from "${name}";\n`).join(""),
    );
    // What a consumer's project needs besides m1: Node's types.
    link("@types/node");
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          rootDir: "examples",
          outDir: "out",
          types: ["node"],
          esModuleInterop: true,
          // Other packages' own typings are theirs to check (node-llama-cpp's do not pass).
          skipLibCheck: true,
        },
        include: ["examples"],
      }),
    );
    try {
      compiled = (await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: project }))
        .stdout;
    } catch (error) {
      compiled = (error as { stdout: string }).stdout;
    }
  }, 120_000);

  it("has an example for every entry point; they, the README's and every package the declarations import type-check for a consumer", () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(readmeExamples.length).toBeGreaterThanOrEqual(1);
    expect(compiled).toBe("");
    expect(readdirSync(join(project, "out")).length).toBe(
      examples.length + readmeExamples.length + 1,
    );
  });

  it("runs every example against the installed package", async () => {
    for (const [index] of examples.entries()) {
      const file = join(project, "out", `example-${String(index).padStart(2, "0")}.js`);
      const { stdout } = await run(process.execPath, [file], {
        cwd: project,
        env: {
          ...CLEAN_ENV,
          M1_BASE_URL: server.baseUrl,
          M1_RESULTS: results,
          M1_CACHE_DIR: join(workspace, "cache"),
        },
        timeout: 120_000,
      }).catch((error: Error & { stderr?: string }) => {
        throw new Error(`example ${index} failed: ${error.stderr ?? error.message}`);
      });
      expect(stdout.length, `example ${index} printed nothing`).toBeGreaterThan(0);
    }
  });
});
