import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TWINED_VERSION } from "../../shared/version.js";

describe("TWINED_VERSION", () => {
  it("equals the package.json version", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(TWINED_VERSION).toBe(manifest.version);
  });
});
