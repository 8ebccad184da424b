import { execFile } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** Each example service keeps its Python unit tests in `tests/`, runnable without Twined or Octue installed. */
const SERVICES = [
  "examples/fractal",
  "examples/using-manifests",
  "examples/child-services/parent",
  "examples/child-services/elevation",
  "examples/child-services/wind-speed",
];

interface UnittestRun {
  code: number | null;
  output: string;
}

function runUnittest(serviceDirectory: string): Promise<UnittestRun> {
  const args = ["-m", "unittest", "discover", "-s", path.join(serviceDirectory, "tests"), "-t", serviceDirectory];
  return new Promise((resolve) => {
    execFile(
      "python3",
      args,
      // No bytecode caches left in the examples' folders.
      { cwd: serviceDirectory, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe("the example services' Python unit tests", () => {
  for (const service of SERVICES) {
    it(`pass in ${service}`, { timeout: 70_000 }, async () => {
      const { code, output } = await runUnittest(path.resolve(service));
      const ran = Number(/^Ran (\d+) tests? in /m.exec(output)?.[1] ?? 0);
      expect(code, output).toBe(0);
      expect(ran, output).toBeGreaterThan(0);
    });
  }
});
