/**
 * Compiles the Python harness to bytecode beside its sources (`npm run build` runs this last), so that a question's
 * process reads the harness instead of compiling it each time where Python cannot keep its own cache: an installation
 * the user cannot write to, or `PYTHONDONTWRITEBYTECODE` set. Python checks each file against its source and ignores
 * a stale or foreign one, so this changes only speed. Without a Python, the build goes on without it.
 *
 *   tsx tools/build/compile-harness.ts
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../../shared/package-root.js";

/** The folders of Python the harness runs, relative to the package root. */
export const HARNESS_FOLDERS = ["runtime/python/twined_harness", "runtime/python/compat"] as const;

/** Compiles the harness with `python`; the reason it could not, or undefined when it did. */
export function compileHarness(python: string, root: string = packageRoot()): string | undefined {
  const folders = HARNESS_FOLDERS.map((folder) => path.join(root, folder));
  const result = spawnSync(python, ["-m", "compileall", "-q", ...folders], { encoding: "utf8" });
  if (result.error !== undefined) return `${python} could not be run (${result.error.message})`;
  if (result.status !== 0) return `${python} -m compileall failed: ${(result.stderr || result.stdout).trim()}`;
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const python = process.env.TWINED_PYTHON ?? "python3";
  const failure = compileHarness(python);
  process.stdout.write(
    failure === undefined
      ? `compiled the Python harness with ${python}\n`
      : `did not compile the Python harness: ${failure}; questions' processes compile it as they start\n`,
  );
}
