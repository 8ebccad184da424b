/**
 * Which environment variables a piece of Twined reads: every project module reachable from an entry point by static
 * or dynamic relative imports, searched for `env.NAME`, `env["NAME"]` and `(env, "NAME")` (the settings readers'
 * form). Dependencies in node_modules are not searched: what they read is their documented configuration.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface EnvironmentRead {
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
const READS = [
  /\benv\s*\.\s*([A-Z][A-Z0-9_]*)\b/g,
  /\benv\s*\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]/g,
  /\(\s*env\s*,\s*["']([A-Z][A-Z0-9_]*)["']/g,
];

/** Every read in the modules `entry` reaches, in file order, each with where it is. */
export function environmentReads(entry: string): EnvironmentRead[] {
  const reads: EnvironmentRead[] = [];
  const seen = new Set<string>();
  const pending = [path.resolve(entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = withoutComments(readFileSync(file, "utf8"));
    for (const pattern of READS) {
      for (const match of source.matchAll(pattern)) {
        const name = match[1];
        if (name === undefined) continue;
        reads.push({ name, file, line: source.slice(0, match.index).split("\n").length });
      }
    }
    for (const match of source.matchAll(IMPORT)) {
      const specifier = match[1];
      if (specifier === undefined) continue;
      const target = sourceFile(path.resolve(path.dirname(file), specifier));
      if (target !== undefined) pending.push(target);
    }
  }
  return reads.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** The TypeScript file an ESM `.js` specifier names (`./x.js` → `./x.ts`, `./dir/index.js`). */
function sourceFile(resolved: string): string | undefined {
  const candidates = [resolved.replace(/\.js$/, ".ts"), resolved, `${resolved}.ts`, path.join(resolved, "index.ts")];
  return candidates.find((candidate) => candidate.endsWith(".ts") && existsSync(candidate));
}

/** The source with comments blanked (lines kept), so that documentation naming a variable is not taken for a read. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|(^|[^:"'`])\/\/[^\n]*/g, (comment, prefix: string | undefined) => {
    const kept = prefix ?? "";
    return kept + comment.slice(kept.length).replace(/[^\n]/g, " ");
  });
}
