import { readFileSync } from "node:fs";
import path from "node:path";

/** How a service's `app.py` is entered, found without running Python. */
export type AppEntry =
  | { readonly kind: "class"; readonly file: string; readonly line: number }
  | { readonly kind: "function"; readonly file: string; readonly line: number };

export type AppEntryProblem = { readonly message: string; readonly file: string; readonly line?: number };

const CLASS_APP = /^class\s+App\b/;
const FUNCTION_RUN = /^(?:async\s+)?def\s+run\s*\(/;
// `run = something`, `from x import run`, `from x import y as run`, `import x as run` at module level.
const BOUND_RUN =
  /^(?:run\s*[:=](?!=)|from\s+\S+\s+import\s+(?:.*[\s,(])?run\b(?!\s+as\b)|(?:from\s+\S+\s+)?import\s+.*\bas\s+run\b)/;
const BOUND_APP =
  /^(?:App\s*[:=](?!=)|from\s+\S+\s+import\s+(?:.*[\s,(])?App\b(?!\s+as\b)|(?:from\s+\S+\s+)?import\s+.*\bas\s+App\b)/;

/**
 * Looks in `appSourcePath/app.py` for what Octue calls: a module-level `class App` (preferred, as Octue prefers it) or
 * a module-level `run` function. Only module-level (unindented) statements count, which is what an import exposes.
 */
export function findAppEntry(appSourcePath: string): AppEntry | AppEntryProblem {
  const file = path.join(appSourcePath, "app.py");
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch {
    return { message: `no app.py in ${appSourcePath}: create one with a run(analysis) function or an App class`, file };
  }
  let run: AppEntry | undefined;
  const lines = source.split(/\r?\n/);
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    if (CLASS_APP.test(text) || BOUND_APP.test(text)) return { kind: "class", file, line };
    if (run === undefined && (FUNCTION_RUN.test(text) || BOUND_RUN.test(text))) run = { kind: "function", file, line };
  }
  return (
    run ?? {
      message:
        "app.py has no module-level run(analysis) function or App class; Twined calls run(analysis) or App(analysis).run()",
      file,
    }
  );
}

export function isAppEntryProblem(entry: AppEntry | AppEntryProblem): entry is AppEntryProblem {
  return "message" in entry;
}
