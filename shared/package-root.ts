import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

let cached: string | undefined;

/**
 * The folder of the installed Twined package (the one with its package.json), found by walking up from this module,
 * so it works from the TypeScript sources and from `dist/` alike. Shipped non-code files (the Python harness, the
 * example services) are found from here.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(directory, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "twined") {
      cached = directory;
      return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error("cannot find the Twined package root (a package.json named 'twined')");
    directory = parent;
  }
}

/**
 * How to start the `twined` command from this installation: the built CLI when running from `dist/` (its bundle, which
 * starts fastest, when the build made one), else the TypeScript sources through tsx (development and tests).
 */
export function twinedCommand(): string[] {
  const root = packageRoot();
  if (!fileURLToPath(import.meta.url).endsWith(".ts")) {
    const bundle = path.join(root, "dist", "cli", "bundle", "main.js");
    return [process.execPath, existsSync(bundle) ? bundle : path.join(root, "dist", "cli", "main.js")];
  }
  const tsxLoader = pathToFileURL(path.join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  return [process.execPath, "--import", tsxLoader, path.join(root, "cli", "main.ts")];
}
