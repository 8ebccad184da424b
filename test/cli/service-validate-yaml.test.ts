import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTwined } from "./run-cli.js";

describe("twined service validate, on an octue.yaml that is not valid YAML", () => {
  it("reports an unclosed '[' where it opens, with the line quoted and a hint", async () => {
    const directory = path.join(mkdtempSync(path.join(tmpdir(), "twined-yaml-")), "fractal");
    cpSync(path.resolve("examples/fractal"), directory, { recursive: true });
    const file = path.join(directory, "octue.yaml");
    const lines = readFileSync(file, "utf8").split("\n");
    expect(lines[2]).toBe("    name: fractal");
    lines[2] = "    name: [fractal";
    writeFileSync(file, lines.join("\n"));

    const result = await runTwined(["service", "validate", directory]);

    expect(result.code).toBe(1);
    const output = result.stdout.split("\n");
    expect(output[0]).toMatch(
      /octue\.yaml:3:11: InvalidServiceConfiguration: '\[' is not closed before line 4.*\(YAML syntax\)$/,
    );
    expect(output.slice(1, 4)).toEqual([
      "  3 |     name: [fractal",
      "    |           ^",
      expect.stringMatching(/^ {2}hint: add '\]' after the list's last entry/),
    ]);
    expect(output[4]).toBe("1 problem found");
  });
});
