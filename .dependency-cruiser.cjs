/**
 * The import graph's rules (`npm run lint`, also run before `npm test`):
 * arrows point down. The CLI sits on top and nothing below it imports it; no module circle.
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A circle between modules: move the shared part into a module both can import.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "cli-on-top",
      severity: "error",
      comment:
        "Only bin/ and src/cli/ import src/cli/: lower layers receive ports (progress, signals, notes) instead.",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "net-is-plumbing",
      severity: "error",
      comment:
        "src/net/ (HTTP, retries, SSE) serves backends, curate and the hub: it knows only src/errors.ts.",
      from: { path: "^src/net/" },
      to: { path: "^src/", pathNot: ["^src/net/", "^src/errors\\.ts$"] },
    },
    {
      name: "random-is-a-leaf",
      severity: "error",
      comment: "src/random/ (seeded generators) imports nothing else from src/.",
      from: { path: "^src/random/" },
      to: { path: "^src/", pathNot: "^src/random/" },
    },
    {
      name: "tokenizers-below-backends",
      severity: "error",
      comment:
        "Local token counting sits below the backends: the server's /tokenize lives in src/backends/openai/.",
      from: { path: "^src/tokenizers/" },
      to: { path: "^src/backends/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // dist/ is the build of src/ (bin/m1.js imports it when installed).
    exclude: { path: "src/view/public/|^dist/" },
  },
};
