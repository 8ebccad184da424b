/**
 * The direction of imports (CONTRIBUTING.md, "Layers"), checked by `npm run lint`. Top to bottom:
 *
 *   entry points      cli/ functions/ dev/ tools/
 *   composition roots platform/
 *   the job runtime   runtime/
 *   handlers, client  shared/control-plane/ shared/client/
 *   datasets          shared/datasets/ (reading and writing datasets through the DatasetStore port)
 *   adapters          shared/adapters/{embedded,google}/<adapter>/
 *   ports             shared/ports/
 *   the domain        every other folder of shared/
 *
 * An import only ever points down. Each rule's name is what a failing lint prints.
 */

const ENTRY_POINTS = "^(cli|functions|dev|tools)/";
const DOMAIN = "^shared/(?!adapters/|ports/|control-plane/|client/|datasets/)";
// The Google Cloud SDKs and anything else that does I/O for a living: adapters (and what sits above them) only.
const SDKS = ["@google-cloud/", "@kubernetes/", "google-gax", "google-auth-library", "better-sqlite3", "express"].map(
  (name) => `node_modules/${name}`,
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "shared-imports-no-layer-above",
      comment:
        "shared/ is the library every layer above uses: it may not import platform/, runtime/, the entry points or the package root.",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: "^(platform|runtime|cli|functions|dev|tools)/|^index\\.ts$" },
    },
    {
      name: "runtime-imports-no-layer-above",
      comment: "runtime/ runs inside a job: it may use shared/, never the composition roots or an entry point.",
      severity: "error",
      from: { path: "^runtime/" },
      to: { path: "^(platform|cli|functions|dev|tools)/" },
    },
    {
      name: "platform-imports-no-entry-point",
      comment: "platform/ builds networks for the entry points; it may not import one.",
      severity: "error",
      from: { path: "^platform/" },
      to: { path: ENTRY_POINTS },
    },
    {
      name: "functions-are-bindings",
      comment:
        "functions/ holds Functions Framework bindings only: networks come from platform/, handlers from shared/control-plane/; never an adapter, the runtime or another entry point.",
      severity: "error",
      from: { path: "^functions/" },
      to: { path: "^(cli|dev|tools|runtime)/|^shared/adapters/" },
    },
    {
      name: "dev-imports-no-other-entry-point",
      comment:
        "dev/ (emulators, the local topology) is used by the CLI and tests; it may not import cli/, functions/ or tools/.",
      severity: "error",
      from: { path: "^dev/" },
      to: { path: "^(cli|functions|tools)/" },
    },
    {
      name: "cli-imports-no-function-or-tool",
      comment:
        "The twined command builds networks through platform/ and dev/, never through a function's binding or a tool.",
      severity: "error",
      from: { path: "^cli/" },
      to: { path: "^(functions|tools)/" },
    },
    {
      name: "tools-import-no-other-entry-point",
      comment: "tools/ (deployment linters) read the composition roots and the library, not the other entry points.",
      severity: "error",
      from: { path: "^tools/" },
      to: { path: "^(cli|functions|dev)/" },
    },
    {
      name: "control-plane-and-client-apart",
      comment:
        "The control plane's handlers and the client are one layer: neither imports the other (what both need is a contract in shared/ports/ or the domain).",
      severity: "error",
      from: { path: "^shared/(control-plane|client)/" },
      to: { path: "^shared/(control-plane|client)/", pathNot: "^shared/$1/" },
    },
    {
      name: "adapters-import-no-handler-or-client",
      comment: "Adapters implement ports; the handlers, the client and the dataset services sit above them.",
      severity: "error",
      from: { path: "^shared/adapters/" },
      to: { path: "^shared/(control-plane|client|datasets)/" },
    },
    {
      name: "datasets-use-ports-only",
      comment: "shared/datasets/ works on any DatasetStore through its port: it imports no adapter, handler or client.",
      severity: "error",
      from: { path: "^shared/datasets/" },
      to: { path: "^shared/(adapters|control-plane|client)/" },
    },
    {
      name: "adapter-imports-no-other-adapter",
      comment:
        "An adapter (shared/adapters/<family>/<adapter>/) imports no other adapter; what two adapters share is a contract in shared/ports/, or a helper file directly in their family's folder.",
      severity: "error",
      from: { path: "^shared/adapters/([^/]+)/([^/]+)/" },
      to: { path: "^shared/adapters/", pathNot: "^shared/adapters/($1/$2/|$1/[^/]+$)" },
    },
    {
      name: "adapter-family-helpers-import-no-adapter",
      comment: "A helper directly in shared/adapters/<family>/ serves that family's adapters and imports none of them.",
      severity: "error",
      from: { path: "^shared/adapters/([^/]+)/[^/]+$" },
      to: { path: "^shared/adapters/" },
    },
    {
      name: "ports-import-no-implementation",
      comment: "shared/ports/ holds interfaces and the contracts adapters share: nothing that implements or uses them.",
      severity: "error",
      from: { path: "^shared/ports/" },
      to: { path: "^shared/(adapters|control-plane|client|datasets)/" },
    },
    {
      name: "domain-imports-only-domain",
      comment:
        "The domain (identity, config, json, twine, events, questions, subscription filters, storage paths, errors, …) knows no port, adapter, handler or client.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "^shared/(adapters|ports|control-plane|client|datasets)/" },
    },
    {
      name: "domain-and-ports-import-no-sdk",
      comment: "The domain and the ports import no cloud SDK, database or web framework: only adapters and above do.",
      severity: "error",
      from: { path: "^shared/(?!adapters/|control-plane/|client/)" },
      to: { path: SDKS.join("|") },
    },
    {
      name: "no-folder-cycles",
      comment: "Folders import each other in one direction only.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-module-cycles",
      comment: "Modules import each other in one direction only.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable-import",
      comment: "An import that names nothing: a typo or a file that moved.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
