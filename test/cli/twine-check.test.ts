import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTwined } from "./run-cli.js";

const fractalTwine = path.resolve("examples/fractal/twine.json");

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "twined-cli-")), name);
  writeFileSync(file, text);
  return file;
}

describe("twined twine check", () => {
  it("prints ok for a valid twine and valid data", async () => {
    const result = await runTwined(["twine", "check", fractalTwine, "--configuration-values", '{"width": 10}']);
    expect(result).toMatchObject({ code: 0, stdout: "ok\n" });
  });

  it("prints the class and message of each failing datum and exits 1", async () => {
    const result = await runTwined([
      "twine",
      "check",
      fractalTwine,
      "--configuration-values",
      '{"width": 1}',
      "--output-values",
      "{}",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "--configuration-values:1:11: InvalidValuesContents: configuration_values/width must be >= 2",
    );
    expect(lines[1]).toBe(
      "--output-values:1:1: InvalidValuesContents: output_values must have required property 'data'",
    );
  });

  it("reads data from @file.json and reports its JSON errors with a position", async () => {
    const values = tempFile("values.json", '{"width": 4,\n "width": 5}');
    const result = await runTwined(["twine", "check", fractalTwine, "--configuration-values", `@${values}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/DuplicateKeyError: Duplicate key detected: 'width'\./);
    expect(result.stdout).toMatch(/values\.json:2:/);
  });

  it("reports an invalid twine once, without a stack trace", async () => {
    const twine = tempFile("twine.json", '{"children": {}}');
    const result = await runTwined(["twine", "check", twine]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/twine\.json:1:14: InvalidTwineContents: twine\/children must be array/);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("reports broken twine JSON with line and column", async () => {
    const twine = tempFile("twine.json", '{\n  // a comment\n  "children": []\n}');
    const result = await runTwined(["twine", "check", twine]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/twine\.json:2:3: InvalidTwineJson: /);
  });

  it("validates monitor messages and children", async () => {
    const twine = tempFile(
      "twine.json",
      JSON.stringify({
        monitor_message_schema: { type: "object", required: ["progress"] },
        children: [{ key: "gis" }],
      }),
    );
    const ok = await runTwined([
      "twine",
      "check",
      twine,
      "--monitor-message",
      '{"progress": 0.5}',
      "--children",
      '[{"key": "gis", "id": "octue/gis:1.0.0", "backend": {"name": "GCPPubSubBackend", "project_id": "p"}}]',
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: "ok\n" });
    const bad = await runTwined(["twine", "check", twine, "--monitor-message", "{}", "--children", "[]"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/--monitor-message: InvalidMonitorMessage: /);
    expect(bad.stdout).toMatch(/--children:1:1: InvalidValuesContents: No children found matching the key gis/);
  });

  it("treats a missing file or an unknown flag as a usage error (exit 2)", async () => {
    expect((await runTwined(["twine", "check", "/nonexistent/twine.json"])).code).toBe(2);
    expect((await runTwined(["twine", "check", fractalTwine, "--input-values", "@/nonexistent.json"])).code).toBe(2);
    const unknown = await runTwined(["twine", "check", fractalTwine, "--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
    expect((await runTwined(["twine", "check"])).code).toBe(2);
  });
});

describe("twined", () => {
  it("prints its version", async () => {
    const { TWINED_VERSION } = await import("../../shared/version.js");
    expect(await runTwined(["--version"])).toMatchObject({ code: 0, stdout: `${TWINED_VERSION}\n` });
  });

  it.each([[["--help"]], [["service", "validate", "--help"]], [["twine", "check", "--help"]], [["service", "--help"]]])(
    "shows help for %j and exits 0",
    async (argv) => {
      const result = await runTwined(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: twined/);
    },
  );

  it("exits 2 for an unknown command", async () => {
    const result = await runTwined(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
