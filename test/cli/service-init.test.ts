import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { initService, serviceNameFromFolder } from "../../cli/actions/service-init.js";
import { terminalNamespacePrompt } from "../../cli/namespace-prompt.js";
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

async function initInto(template: string, ...flags: string[]): Promise<string> {
  const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-deploy-")), "service");
  const created = await runTwined(["service", "init", template, target, ...flags]);
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
    const created = await runTwined(["service", "init", "fractal", target, "--namespace", "acme"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/Created .*my-fractal from the 'fractal' template as acme\/my-fractal\./);
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
    const target = await initInto("fractal", "--namespace", "acme");
    const dockerfile = readFileSync(path.join(target, "Dockerfile"), "utf8");
    expect(dockerfile).toBe(runtimeDockerfile);
    expect(validate(dockerfile)).toEqual([]);
    expect(ignorePatterns(path.join(target, ".dockerignore"))).toEqual(
      expect.arrayContaining([".twined/", ".git/", ".venv/", "**/__pycache__/", "**/*.pyc"]),
    );
    const cloudbuild = readCloudBuild(path.join(target, "cloudbuild.yaml"));
    expect(cloudbuild.substitutions).toMatchObject({
      _SERVICE: "acme/service",
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
    const created = await runTwined(["service", "init", "using-manifests", target, "--namespace", "acme"]);
    expect(created.stdout).toMatch(/^Then, to deploy: .*cloudbuild\.yaml a Cloud Build trigger.*acme\/my-service/m);
    expect(created.stdout).toContain("docs/deploying-services.md");
  });

  it("prepares each service of the child-services template in its own folder, built from there", async () => {
    const target = await initInto("child-services", "--namespace", "acme");
    // The template is one repository holding three services: none of them is at its root.
    expect(existsSync(path.join(target, "cloudbuild.yaml"))).toBe(false);
    expect(existsSync(path.join(target, "Dockerfile"))).toBe(false);
    for (const [folder, serviceId] of [
      ["elevation", "acme/elevation"],
      ["parent", "acme/parent"],
      ["wind-speed", "acme/wind-speed"],
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

  it("writes the user's service ID: the namespace given, the name made from the folder's", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-id-")), "My Service_2");
    const created = await runTwined(["service", "init", "fractal", target, "--namespace", "acme"]);
    expect(created.code).toBe(0);
    const configuration = readFileSync(path.join(target, "octue.yaml"), "utf8");
    expect(parse(configuration)).toMatchObject({ services: [{ namespace: "acme", name: "my-service-2" }] });
    // Edited in place: the template's comments stay.
    expect(configuration).toContain("# For a quick run");
    expect(created.stdout).toContain("as acme/my-service-2.");
    expect(created.stdout).toMatch(/To change the ID, edit 'namespace' and 'name' at .*My Service_2\/octue\.yaml:2:16/);
    expect(readFileSync(path.join(target, "README.md"), "utf8")).not.toContain("examples/fractal");
    const validated = await runTwined(["service", "validate", target]);
    expect(validated.stdout).toMatch(/^ok: acme\/my-service-2 /);
  });

  it("takes the name from --name", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-name-")), "anything");
    const created = await runTwined(["service", "init", "fractal", target, "--namespace", "acme", "--name", "pretty"]);
    expect(created.code).toBe(0);
    expect(parse(readFileSync(path.join(target, "octue.yaml"), "utf8"))).toMatchObject({
      services: [{ namespace: "acme", name: "pretty" }],
    });
  });

  it("refuses an invalid --namespace or --name with the rule (exit 2), creating nothing", async () => {
    const parent = mkdtempSync(path.join(tmpdir(), "twined-init-refused-"));
    for (const [flags, message] of [
      [
        ["--namespace", "Acme"],
        /--namespace: the namespace 'Acme' contains the uppercase letter 'A'; use only lowercase/,
      ],
      [["--namespace", "example"], /--namespace: the namespace 'example' is reserved/],
      [["--namespace", "acme", "--name", "my_service"], /--name: the name 'my_service' contains the character "_"/],
      [["--namespace", "acme", "--name", "-x"], /--name: the name '-x' starts or ends with a hyphen/],
    ] as const) {
      const result = await runTwined(["service", "init", "fractal", path.join(parent, "new"), ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(readdirSync(parent)).toEqual([]);
    }
    const several = await runTwined(["service", "init", "child-services", path.join(parent, "new"), "--name", "x"]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/holds 3 services \(elevation, parent, wind-speed\), each keeping its own name/);
  });

  it("without a namespace or a terminal, writes a placeholder that validate, ask-local and start point at", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-placeholder-")), "my-service");
    const created = await runTwined(["service", "init", "fractal", target]);
    expect(created.code).toBe(0);
    expect(parse(readFileSync(path.join(target, "octue.yaml"), "utf8"))).toMatchObject({
      services: [{ namespace: "SET-YOUR-NAMESPACE", name: "my-service" }],
    });
    expect(created.stdout).toMatch(
      /Set your namespace: replace SET-YOUR-NAMESPACE .* at .*my-service\/octue\.yaml:2:16/,
    );
    const expected =
      /octue\.yaml:2:16: InvalidServiceConfiguration: set your namespace: 'SET-YOUR-NAMESPACE' is a placeholder/;
    const validated = await runTwined(["service", "validate", target]);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toMatch(expected);
    expect(validated.stdout).toMatch(/1 problem found/);
    const asked = await runTwined(["question", "ask-local"], target);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toMatch(expected);
    const started = await runTwined(["service", "start", "--network", "http://127.0.0.1:1"], target);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toMatch(expected);
  });

  it("asks for the namespace on a terminal until it is valid", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-init-ask-")), "asked");
    const answers = ["Not Valid", "acme"];
    const suggestions: (string | undefined)[] = [];
    const output = captured();
    const code = await initService("fractal", target, {}, output, async (suggestion) => {
      suggestions.push(suggestion);
      return answers.shift();
    });
    expect(code).toBe(0);
    expect(suggestions).toHaveLength(2);
    expect(output.text.stderr).toMatch(/the namespace 'Not Valid' contains the uppercase letter 'N'/);
    expect(parse(readFileSync(path.join(target, "octue.yaml"), "utf8"))).toMatchObject({
      services: [{ namespace: "acme", name: "asked" }],
    });
  });

  it("takes the suggested namespace for an empty answer, and creates nothing when the prompt is abandoned", async () => {
    const parent = mkdtempSync(path.join(tmpdir(), "twined-init-suggest-"));
    let offered: string | undefined;
    const code = await initService("fractal", path.join(parent, "a"), {}, captured(), async (suggestion) => {
      offered = suggestion;
      return "";
    });
    if (offered === undefined) expect(code).not.toBe(0);
    else {
      expect(code).toBe(0);
      expect(readFileSync(path.join(parent, "a", "octue.yaml"), "utf8")).toContain(`namespace: ${offered}`);
    }
    const abandoned = captured();
    expect(await initService("fractal", path.join(parent, "b"), {}, abandoned, async () => undefined)).toBe(1);
    expect(abandoned.text.stderr).toMatch(/no namespace given; nothing was created/);
    expect(existsSync(path.join(parent, "b"))).toBe(false);
  });

  it("puts every service of child-services in the namespace and points the parent at its children there", async () => {
    const target = await initInto("child-services", "--namespace", "acme");
    const parent = parse(readFileSync(path.join(target, "parent", "octue.yaml"), "utf8")) as {
      services: { namespace: string; name: string; children: { key: string; id: string }[] }[];
    };
    expect(parent.services[0]).toMatchObject({ namespace: "acme", name: "parent" });
    expect(parent.services[0]?.children.map((child) => child.id)).toEqual([
      "acme/elevation:0.1.0",
      "acme/wind-speed:0.1.0",
    ]);
    for (const child of ["elevation", "wind-speed"]) {
      expect(parse(readFileSync(path.join(target, child, "octue.yaml"), "utf8"))).toMatchObject({
        services: [{ namespace: "acme", name: child }],
      });
    }
    // The parent's own test checks its octue.yaml names its children: it still holds.
    const test = readFileSync(path.join(target, "parent", "tests", "test_parent.py"), "utf8");
    expect(test).toContain('"id: acme/elevation:0.1.0"');
    const validated = await runTwined(["service", "validate", path.join(target, "parent")]);
    expect(validated.stdout).toMatch(/^ok: acme\/parent /);
  });

  it("points validate at each child ID left with the placeholder", async () => {
    const target = await initInto("child-services");
    const validated = await runTwined(["service", "validate", path.join(target, "parent")]);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toMatch(/octue\.yaml:2:16: .*set your namespace/);
    expect(validated.stdout).toMatch(
      /octue\.yaml:10:13: .*set your namespace: this child's ID starts with the placeholder/,
    );
    expect(validated.stdout).toMatch(/octue\.yaml:15:13: .*set your namespace/);
  });
});

describe("serviceNameFromFolder", () => {
  it("makes a folder's name a valid service name", () => {
    expect(serviceNameFromFolder("/x/My Service_2")).toBe("my-service-2");
    expect(serviceNameFromFolder("--Café--")).toBe("cafe");
    expect(serviceNameFromFolder("___")).toBe("");
  });
});

describe("terminalNamespacePrompt", () => {
  it("does not ask when stdin or stdout is not a terminal", () => {
    expect(terminalNamespacePrompt(process.stdin, process.stdout)).toBeUndefined();
  });
});

function captured() {
  const text = { stdout: "", stderr: "" };
  return {
    text,
    stdout: { write: (chunk: string) => (text.stdout += chunk) },
    stderr: { write: (chunk: string) => (text.stderr += chunk) },
  };
}
