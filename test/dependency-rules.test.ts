import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../shared/package-root.js";

const ROOT = packageRoot();
const DEPCRUISE = path.join(ROOT, "node_modules", ".bin", "depcruise");
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");
/** A miniature of the layout where each file keeps to the layers or breaks one rule (its first line says which). */
const FIXTURE = path.join(ROOT, "test", "fixtures", "layers");

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

function cruise(cwd: string, outputType: "json" | "err", targets: readonly string[]) {
  return spawnSync(DEPCRUISE, ["--config", CONFIG, "--output-type", outputType, ...targets], {
    cwd,
    encoding: "utf8",
  });
}

describe("the dependency rules (.dependency-cruiser.cjs)", () => {
  it("catch every forbidden import of the fixture, and nothing the layers allow", () => {
    const result = cruise(FIXTURE, "json", ["."]);
    const violations = (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
    const found = violations.map((each) => `${each.rule.name}: ${each.from} -> ${each.to}`).sort();
    expect(found).toEqual(
      [
        "adapter-imports-no-other-adapter: shared/adapters/google/firestore/store.ts -> shared/adapters/embedded/sqlite/queue.ts",
        "control-plane-and-client-apart: shared/control-plane/intake.ts -> shared/client/child.ts",
        "domain-and-ports-import-no-sdk: shared/events/uses-sdk.ts -> ../../../node_modules/@google-cloud/pubsub/build/src/index.js",
        "functions-are-bindings: functions/intake/index.ts -> shared/adapters/embedded/sqlite/queue.ts",
        "no-folder-cycles: platform -> shared/identity",
        "no-folder-cycles: shared/identity -> platform",
        "no-folder-cycles: shared/json -> shared/twine",
        "no-folder-cycles: shared/twine -> shared/json",
        "runtime-imports-no-layer-above: runtime/job.ts -> cli/main.ts",
        "shared-imports-no-layer-above: shared/identity/reaches-up.ts -> platform/network.ts",
      ].sort(),
    );
  });

  it("fail the check with the broken rule's name, as `npm run lint` prints it", () => {
    const result = cruise(FIXTURE, "err", ["shared/identity"]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(
      "error shared-imports-no-layer-above: shared/identity/reaches-up.ts → platform/network.ts",
    );
  });

  it("hold for the project itself", () => {
    // The folders `npm run lint` checks, read from its script so the two cannot drift apart.
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const words = manifest.scripts["lint:layers"]?.split(" ") ?? [];
    const targets = words.slice(words.indexOf("err") + 1);
    expect(targets).toEqual(["index.ts", "cli", "functions", "dev", "tools", "platform", "runtime", "shared"]);
    const result = cruise(ROOT, "err", targets);
    expect(result.stdout).toContain("no dependency violations found");
    expect(result.status).toBe(0);
    // Cruising the whole project takes about 5 s alone, and over 20 s beside the emulator suites on two cores.
  }, 60_000);
});
