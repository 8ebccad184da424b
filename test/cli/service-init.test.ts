import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TWINED_VERSION } from "../../shared/version.js";
import { runTwined } from "./run-cli.js";

const runtimeDockerfile = readFileSync(path.resolve("runtime/Dockerfile"), "utf8");
// Cloud Build's reference to the _DIR substitution, not a template placeholder.
const DIR_SUBSTITUTION = `${"$"}{_DIR}`;

interface CloudBuildStep {
  id: string;
  dir: string;
  args: string[];
}

function readCloudBuild(file: string): { steps: CloudBuildStep[]; substitutions: Record<string, string> } {
  return parse(readFileSync(file, "utf8")) as { steps: CloudBuildStep[]; substitutions: Record<string, string> };
}

/** The lines of a .dockerignore that are patterns. */
function ignorePatterns(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

async function initInto(template: string): Promise<string> {
  const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-deploy-")), "service");
  const created = await runTwined(["service", "init", template, target]);
  expect(created.code).toBe(0);
  return target;
}

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

  it("writes the default Dockerfile, a .dockerignore and a cloudbuild.yaml naming the service", async () => {
    const target = await initInto("fractal");
    const dockerfile = readFileSync(path.join(target, "Dockerfile"), "utf8");
    expect(dockerfile).toBe(runtimeDockerfile);
    expect(validate(dockerfile)).toEqual([]);
    expect(ignorePatterns(path.join(target, ".dockerignore"))).toEqual(
      expect.arrayContaining([".twined/", ".git/", ".venv/", "**/__pycache__/", "**/*.pyc"]),
    );
    const cloudbuild = readCloudBuild(path.join(target, "cloudbuild.yaml"));
    expect(cloudbuild.substitutions).toMatchObject({
      _SERVICE: "examples/fractal",
      _DIR: ".",
      _TWINED_VERSION: TWINED_VERSION,
      _REGISTRY_URL: "",
    });
    const build = cloudbuild.steps.find((step) => step.id === "build");
    const script = build?.args.at(-1) ?? "";
    // The build uses the service's own Dockerfile, in the folder the step runs in (_DIR), which init just wrote.
    expect(build?.dir).toBe(DIR_SUBSTITUTION);
    expect(script).toMatch(/^\s*file=Dockerfile$/m);
    expect(script).toMatch(/docker build -f "\$\$file" /);
    expect(existsSync(path.join(target, cloudbuild.substitutions._DIR ?? "?", "Dockerfile"))).toBe(true);
  });

  it("prints how to deploy", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-hint-")), "my-service");
    const created = await runTwined(["service", "init", "using-manifests", target]);
    expect(created.stdout).toMatch(
      /^Then, to deploy: .*cloudbuild\.yaml a Cloud Build trigger.*examples\/using-manifests/m,
    );
    expect(created.stdout).toContain("docs/deploying-services.md");
  });

  it("prepares each service of the child-services template in its own folder, built from there", async () => {
    const target = await initInto("child-services");
    // The template is one repository holding three services: none of them is at its root.
    expect(existsSync(path.join(target, "cloudbuild.yaml"))).toBe(false);
    expect(existsSync(path.join(target, "Dockerfile"))).toBe(false);
    for (const [folder, serviceId] of [
      ["elevation", "examples/elevation"],
      ["parent", "examples/parent"],
      ["wind-speed", "examples/wind-speed"],
    ] as const) {
      expect(readFileSync(path.join(target, folder, "Dockerfile"), "utf8")).toBe(runtimeDockerfile);
      expect(ignorePatterns(path.join(target, folder, ".dockerignore"))).toContain(".twined/");
      const cloudbuild = readCloudBuild(path.join(target, folder, "cloudbuild.yaml"));
      expect(cloudbuild.substitutions).toMatchObject({ _SERVICE: serviceId, _DIR: folder });
      // Every step runs in the service's folder, so `./Dockerfile` and `.` (the build context) are that folder's.
      expect(cloudbuild.steps.map((step) => step.dir)).toEqual(Array(4).fill(DIR_SUBSTITUTION));
    }
    // The .twined folder an example keeps its local runs in is not copied.
    expect(existsSync(path.join(target, "wind-speed", ".twined"))).toBe(false);
  });
});
