import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findAppEntry, isAppEntryProblem } from "../../../shared/app/index.js";

function appWith(source: string | undefined): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-app-"));
  if (source !== undefined) writeFileSync(path.join(directory, "app.py"), source);
  return directory;
}

describe("findAppEntry", () => {
  it.each([
    ["def run(analysis):\n    pass\n", "function", 1],
    ["import x\n\nasync def run(analysis):\n    pass\n", "function", 3],
    ["from .analysis import run\n", "function", 1],
    ["from lib import prepare, run\n", "function", 1],
    ["import lib.main as run\n", "function", 1],
    ["run = make_runner()\n", "function", 1],
    ["def helper():\n    pass\n\nclass App:\n    def run(self):\n        pass\n", "class", 4],
    ["def run(analysis):\n    pass\n\nclass App(Base):\n    pass\n", "class", 4],
    ["from .app_class import App\n", "class", 1],
  ])("finds the entry point in %j", (source, kind, line) => {
    const entry = findAppEntry(appWith(source));
    expect(isAppEntryProblem(entry)).toBe(false);
    expect(entry).toMatchObject({ kind, line });
  });

  it.each([
    ["def helper():\n    def run(analysis):\n        pass\n"],
    ["class Application:\n    pass\n"],
    ["# def run(analysis):\n"],
    ["running = 1\nrun == 2\n"],
    ["from lib import run as go\n"],
  ])("reports no entry point in %j", (source) => {
    const entry = findAppEntry(appWith(source));
    expect(isAppEntryProblem(entry)).toBe(true);
    expect(entry).toMatchObject({
      message: expect.stringMatching(/no module-level run\(analysis\) function or App class/),
    });
  });

  it("reports a missing app.py", () => {
    const directory = appWith(undefined);
    expect(findAppEntry(directory)).toMatchObject({ message: expect.stringMatching(/^no app\.py in /) });
  });
});
