import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
