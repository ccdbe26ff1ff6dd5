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
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: { path: "src/view/public/" },
  },
};
