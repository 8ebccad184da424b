import { chmodSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolvePython } from "../../../runtime/runner/python-interpreter.js";

describe("resolvePython", () => {
  it("finds the interpreter behind a version manager's shim, once per working directory", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "twined-python-shim-"));
    const shim = path.join(directory, "python3");
    const calls = path.join(directory, "calls");
    // A shim as pyenv's is: a script that picks an interpreter, then runs it.
    writeFileSync(shim, `#!/bin/sh\necho called >> "${calls}"\nexec python3 "$@"\n`);
    chmodSync(shim, 0o755);
    const interpreter = await resolvePython(shim, directory, process.env);
    expect(path.isAbsolute(interpreter)).toBe(true);
    expect(interpreter).not.toBe(shim);
    expect(realpathSync(interpreter)).toMatch(/python3/);
    await resolvePython(shim, directory, process.env);
    expect(readFileSync(calls, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("leaves a command that cannot say where its interpreter is as it was given", async () => {
    const directory = mkdtempSync(path.join(tmpdir(), "twined-python-none-"));
    expect(await resolvePython("/bin/false", directory, process.env)).toBe("/bin/false");
    expect(await resolvePython(path.join(directory, "no-such-python"), directory, process.env)).toBe(
      path.join(directory, "no-such-python"),
    );
  });
});
