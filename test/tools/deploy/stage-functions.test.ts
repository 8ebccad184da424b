import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { FunctionsNotBuilt, InvalidDeploymentSetting } from "../../../shared/errors/index.js";
import { functionEnvironment, stageFunctions } from "../../../tools/deploy/stage-functions.js";
import { errorOf } from "../../support/error-of.js";

const SETTINGS = {
  GOOGLE_CLOUD_PROJECT: "my-project",
  TWINED_ENVIRONMENT: "main",
  TWINED_LAUNCHER: "kueue",
  TWINED_GKE_CLUSTER: "projects/my-project/locations/europe-west1/clusters/main-twined-cluster",
  TWINED_SERVICES_TOPIC_NAME: "",
  PATH: "/usr/bin",
};

/** A checkout with a built `dist/` and the package's manifest and lock. */
function checkout(built = true): string {
  const root = mkdtempSync(path.join(tmpdir(), "twined-stage-"));
  const manifest = JSON.parse(readFileSync("package.json", "utf8")) as Record<string, unknown>;
  writeFileSync(path.join(root, "package.json"), JSON.stringify(manifest));
  writeFileSync(path.join(root, "package-lock.json"), '{"lockfileVersion": 3}');
  if (built) {
    mkdirSync(path.join(root, "dist", "functions"), { recursive: true });
    writeFileSync(path.join(root, "dist", "functions", "index.js"), "export {};\n");
    writeFileSync(path.join(root, "dist", "functions", "index.js.map"), "{}");
  }
  return root;
}

describe("stageFunctions", () => {
  it("writes the compiled functions with a manifest whose main registers them and that builds nothing", () => {
    const root = checkout();
    const out = path.join(root, ".deploy", "functions");
    const environmentFile = path.join(root, ".deploy", "function-environment.yaml");
    const staged = stageFunctions({ root, out, environmentFile, env: SETTINGS });

    const manifest = JSON.parse(readFileSync(path.join(out, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: "twined", type: "module", main: "dist/functions/index.js" });
    // No build scripts for the buildpack to run (prepare would need the dev dependencies), nor the library's exports.
    for (const field of ["scripts", "bin", "exports"]) expect(manifest).not.toHaveProperty(field);
    expect(manifest.dependencies).toEqual(
      (JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: unknown }).dependencies,
    );
    expect(existsSync(path.join(out, "package-lock.json"))).toBe(true);
    expect(existsSync(path.join(out, "dist", "functions", "index.js"))).toBe(true);
    expect(existsSync(path.join(out, "dist", "functions", "index.js.map"))).toBe(false);

    // Only the functions' own settings, and none left empty.
    const written = parseYaml(readFileSync(environmentFile, "utf8")) as Record<string, string>;
    expect(written).toEqual(staged.environment);
    expect(Object.keys(written).sort()).toEqual([
      "GOOGLE_CLOUD_PROJECT",
      "TWINED_ENVIRONMENT",
      "TWINED_GKE_CLUSTER",
      "TWINED_LAUNCHER",
    ]);
  });

  it("refuses to stage code that was never built, saying what to run", () => {
    const root = checkout(false);
    const error = errorOf(() =>
      stageFunctions({
        root,
        out: path.join(root, "out"),
        environmentFile: path.join(root, "env.yaml"),
        env: SETTINGS,
      }),
    ) as Error;
    expect(error).toBeInstanceOf(FunctionsNotBuilt);
    expect(error.message).toMatch(/dist\/functions\/index\.js does not exist: run 'npm run build'/);
  });
});

describe("functionEnvironment", () => {
  it("fails the build on a setting the functions would refuse, naming it", () => {
    const error = errorOf(() => functionEnvironment({ ...SETTINGS, TWINED_KUEUE_PRIORITY_CLASSES: "high:100" }));
    expect(error).toBeInstanceOf(InvalidDeploymentSetting);
    expect(error).toMatchObject({ setting: "TWINED_KUEUE_PRIORITY_CLASSES" });
    expect(errorOf(() => functionEnvironment({ ...SETTINGS, TWINED_LAUNCHER: "kubernetes" }))).toMatchObject({
      setting: "TWINED_LAUNCHER",
    });
  });

  it("keeps secrets out of the build: the push secret comes from Secret Manager", () => {
    const error = errorOf(() => functionEnvironment({ ...SETTINGS, TWINED_PUSH_SECRET: "x".repeat(32) })) as Error;
    expect(error).toMatchObject({ setting: "TWINED_PUSH_SECRET" });
    expect(error.message).toMatch(/Secret Manager \(--set-secrets\)/);
  });
});
