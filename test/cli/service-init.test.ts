import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTwined } from "./run-cli.js";

describe("twined service init", () => {
  it("lists the templates with a one-line summary each", async () => {
    const result = await runTwined(["service", "init", "--list"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(["child-services", "fractal", "using-manifests"]);
    for (const line of lines) expect(line.split(/\s{2,}/)[1]?.length ?? 0).toBeGreaterThan(10);
  });

  it("creates a service that validates and answers", async () => {
    const parent = mkdtempSync(path.join(tmpdir(), "twined-init-"));
    const target = path.join(parent, "my-fractal");
    const created = await runTwined(["service", "init", "fractal", target]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/Created .*my-fractal from the 'fractal' template/);
    expect(readdirSync(target)).toEqual(expect.arrayContaining(["octue.yaml", "twine.json", "app.py", "README.md"]));
    expect(existsSync(path.join(target, "tests", "__pycache__"))).toBe(false);
    const validated = await runTwined(["service", "validate", target]);
    expect(validated.code).toBe(0);
  });

  it("refuses an unknown template or a non-empty folder (exit 2)", async () => {
    const unknown = await runTwined(["service", "init", "nonesuch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no template 'nonesuch'; choose one of: child-services, fractal, using-manifests/);
    const busy = mkdtempSync(path.join(tmpdir(), "twined-init-busy-"));
    writeFileSync(path.join(busy, "keep.txt"), "mine");
    const refused = await runTwined(["service", "init", "fractal", busy]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty/);
    expect(readdirSync(busy)).toEqual(["keep.txt"]);
  });
});
