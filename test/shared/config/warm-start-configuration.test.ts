import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseServiceConfiguration } from "../../../shared/config/index.js";
import { InvalidServiceConfiguration } from "../../../shared/errors/index.js";

const file = () => path.join(mkdtempSync(path.join(tmpdir(), "twined-config-")), "octue.yaml");
const entry = (extra: string) => `services:\n  - namespace: testing\n    name: svc\n${extra}`;

describe("warm_start in octue.yaml", () => {
  it("is off unless the service entry says true", () => {
    const parsed = (extra: string) => parseServiceConfiguration(entry(extra), file());
    expect(parsed("").configuration.warmStart).toBe(false);
    expect(parsed("    warm_start: false\n").configuration.warmStart).toBe(false);
    const on = parsed("    warm_start: true\n");
    expect(on.configuration.warmStart).toBe(true);
    expect(on.warnings).toEqual([]);
  });

  it("must be a boolean", () => {
    expect(() => parseServiceConfiguration(entry("    warm_start: sometimes\n"), file())).toThrow(
      InvalidServiceConfiguration,
    );
  });
});
