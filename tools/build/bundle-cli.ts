/**
 * Bundles the `twined` command into `dist/cli/bundle/` (`npm run build` runs this after tsc and the precompiled
 * validators). Unbundled, `ask-local` resolves and reads some 300 files (ours, `yaml`'s, OpenTelemetry's API…)
 * before it does anything; bundled, about 40 (the chunks it needs, the precompiled validators, ajv). Each command's
 * code stays in chunks of its own, loaded only when that command runs.
 *
 *   tsx tools/build/bundle-cli.ts [OUT_DIR]   (default: dist/cli/bundle)
 */
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { packageRoot } from "../../shared/package-root.js";

/**
 * The dependencies bundled into the command: plain JavaScript on the start-up path. Every other dependency stays in
 * `node_modules`, loaded from there when a command needs it: native addons (better-sqlite3, @node-rs/crc32), the cloud
 * SDKs, which read their own files at run time (protos, JSON), ajv, whose compiled and standalone validators require
 * its runtime by path, and the servers and SDKs only long-running commands load (express, pino, OpenTelemetry's SDK).
 */
export const BUNDLED_DEPENDENCIES: readonly string[] = [
  "@opentelemetry/api",
  "commander",
  "dotenv",
  "httpxy",
  "ipaddr.js",
  "jsonc-parser",
  "ora",
  "p-limit",
  "p-retry",
  "picocolors",
  "pngjs",
  "smol-toml",
  "unique-names-generator",
  "yaml",
];

interface PackageManifest {
  readonly dependencies?: Readonly<Record<string, string>>;
}

/** The package's dependencies that stay outside the bundle, each with its subpaths. */
export function externalDependencies(root: string = packageRoot()): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as PackageManifest;
  return Object.keys(manifest.dependencies ?? {})
    .filter((name) => !BUNDLED_DEPENDENCIES.includes(name))
    .flatMap((name) => [name, `${name}/*`]);
}

export interface BundleReport {
  readonly folder: string;
  /** Output files and their sizes in bytes. */
  readonly outputs: ReadonlyMap<string, number>;
  /** Every import left to Node at run time (built-ins and external dependencies), from any output file. */
  readonly externalImports: ReadonlySet<string>;
}

/**
 * Writes the bundle into `folder`, replacing what was there, with a copy of the precompiled validators beside it
 * (they are required relative to the module that loads them, which is now a chunk of the bundle).
 */
export async function bundleCli(folder: string, root: string = packageRoot()): Promise<BundleReport> {
  rmSync(folder, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: path.join(root, "cli", "main.ts") },
    outdir: folder,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: externalDependencies(root),
    // jsonc-parser's "main" is a UMD build whose internal requires esbuild cannot follow; its ES module build is the same code.
    alias: { "jsonc-parser": path.join(root, "node_modules", "jsonc-parser", "lib", "esm", "main.js") },
    // The CommonJS dependencies bundled in (yaml, commander…) call require() for Node's built-ins.
    banner: {
      js: 'import { createRequire as __twinedCreateRequire } from "node:module"; const require = __twinedCreateRequire(import.meta.url);',
    },
    entryNames: "[name]",
    chunkNames: "[name]-[hash]",
    metafile: true,
    logLevel: "silent",
    logOverride: { "empty-import-meta": "error" },
  });
  if (result.warnings.length > 0) {
    throw new Error(`bundling the CLI warned:\n${result.warnings.map((warning) => warning.text).join("\n")}`);
  }
  const precompiled = path.join(root, "dist", "shared", "validation", "precompiled");
  if (existsSync(precompiled)) {
    cpSync(precompiled, path.join(folder, "precompiled"), { recursive: true });
  }
  return reportOf(folder, result.metafile, root);
}

function reportOf(folder: string, metafile: Metafile, root: string): BundleReport {
  const outputs = new Map<string, number>();
  const externalImports = new Set<string>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    outputs.set(path.relative(folder, path.resolve(root, file)), output.bytes);
    for (const imported of output.imports) if (imported.external) externalImports.add(imported.path);
  }
  return { folder, outputs, externalImports };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const folder = path.resolve(process.argv[2] ?? path.join(packageRoot(), "dist", "cli", "bundle"));
  const report = await bundleCli(folder);
  const bytes = [...report.outputs.values()].reduce((sum, size) => sum + size, 0);
  process.stdout.write(
    `bundled the CLI into ${path.relative(process.cwd(), folder)}: ${report.outputs.size} files, ${Math.round(bytes / 1024)} KiB\n`,
  );
}
