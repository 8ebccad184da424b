import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compileHarness, HARNESS_FOLDERS } from "../../../tools/build/compile-harness.js";

describe("compiling the Python harness at build time", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function packageWithHarness(): string {
    const root = mkdtempSync(path.join(tmpdir(), "twined-compile-harness-"));
    roots.push(root);
    for (const folder of HARNESS_FOLDERS) {
      mkdirSync(path.join(root, folder), { recursive: true });
      writeFileSync(path.join(root, folder, "module.py"), "VALUE = 1\n");
    }
    return root;
  }

  it("writes bytecode beside every folder's sources", () => {
    const root = packageWithHarness();
    expect(compileHarness(process.env.TWINED_PYTHON ?? "python3", root)).toBeUndefined();
    for (const folder of HARNESS_FOLDERS) {
      const cache = path.join(root, folder, "__pycache__");
      expect(existsSync(cache) ? readdirSync(cache) : []).toContainEqual(expect.stringMatching(/^module\..+\.pyc$/));
    }
  });

  it("says why it could not, without failing the build, when there is no Python or it fails", () => {
    const root = packageWithHarness();
    expect(compileHarness("/nonexistent/python3", root)).toMatch(/^\/nonexistent\/python3 could not be run/);
    writeFileSync(path.join(root, HARNESS_FOLDERS[0], "broken.py"), "def (:\n");
    expect(compileHarness(process.env.TWINED_PYTHON ?? "python3", root)).toMatch(/-m compileall failed: .*broken\.py/s);
  });
});
