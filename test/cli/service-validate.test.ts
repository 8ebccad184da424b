import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTwined } from "./run-cli.js";

function service(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-service-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(directory, name)), { recursive: true });
    writeFileSync(path.join(directory, name), text);
  }
  return directory;
}

const twine = JSON.stringify({
  configuration_values_schema: {
    type: "object",
    properties: { n_iterations: { type: "integer", maximum: 10 } },
  },
  input_values_schema: { type: "object" },
});

describe("twined service validate", () => {
  it("accepts the fractal example", async () => {
    const result = await runTwined(["service", "validate", path.resolve("examples/fractal")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: examples\/fractal .*function run/);
  });

  it("prints every problem with its location and exits 1", async () => {
    const directory = service({
      "octue.yaml":
        "services:\n  - namespace: example\n    name: svc\n    configuration_values:\n      n_iterations: 99\n",
      "twine.json": twine,
      "app.py": "def helper():\n    pass\n",
    });
    const result = await runTwined(["service", "validate", directory]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("1 problem found");
    expect(lines[0]).toMatch(
      /octue\.yaml:2:16: InvalidServiceConfiguration: 'example' is not an allowed Twined service namespace\./,
    );
  });

  it("checks configuration values against the twine, at their line in octue.yaml", async () => {
    const directory = service({
      "octue.yaml":
        "services:\n  - namespace: acme\n    name: svc\n    configuration_values:\n      n_iterations: 99\n",
      "twine.json": twine,
      "app.py": "def helper():\n    pass\n",
    });
    const result = await runTwined(["service", "validate", directory]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/app\.py: InvalidServiceConfiguration: app\.py has no module-level run/);
    expect(result.stdout).toMatch(/octue\.yaml:5:21: InvalidValuesContents: .*n_iterations.*<= 10/);
    expect(result.stdout).toMatch(/2 problems found/);
  });

  it("reports a broken twine and warns about unknown keys", async () => {
    const directory = service({
      "octue.yaml": "services:\n  - namespace: acme\n    name: svc\n    flavour: mint\n",
      "twine.json": '{"input_manifest": {}}',
      "app.py": "class App:\n    def run(self):\n        pass\n",
    });
    const result = await runTwined(["service", "validate", directory]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/octue\.yaml:4:5: warning: unknown key 'flavour' is ignored/);
    expect(result.stdout).toMatch(/InvalidTwineContents: /);
  });

  it("reads the configuration named by -c", async () => {
    const directory = service({
      "deploy/service.yaml":
        "services:\n  - namespace: acme\n    name: svc\n    app_source_path: ..\n    twine_path: ../twine.json\n",
      "twine.json": JSON.stringify({ input_values_schema: {} }),
      "app.py": "def run(analysis):\n    pass\n",
    });
    const result = await runTwined([
      "service",
      "validate",
      directory,
      "-c",
      path.join(directory, "deploy/service.yaml"),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: acme\/svc/);
  });

  it("exits 2 when there is no configuration file", async () => {
    const directory = service({});
    const result = await runTwined(["service", "validate", directory]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ServiceConfigurationNotFound: no service configuration file at/);
  });

  it("reports malformed YAML once, without a stack trace", async () => {
    const directory = service({ "octue.yaml": "services: [\n  - {" });
    const result = await runTwined(["service", "validate", directory]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/octue\.yaml:\d+:\d+: InvalidServiceConfiguration: .*YAML syntax/);
    expect(result.stdout).not.toMatch(/\n\s+at /);
  });

  it("points at a namespace left as service init's placeholder, and at each child ID that starts with it", async () => {
    const directory = service({
      "octue.yaml": [
        "services:",
        "  - namespace: SET-YOUR-NAMESPACE",
        "    name: parent",
        "    children:",
        "      - key: elevation",
        "        id: SET-YOUR-NAMESPACE/elevation:0.1.0",
        "        backend: {name: GCPPubSubBackend, project_id: local}",
        "",
      ].join("\n"),
      "twine.json": JSON.stringify({ children: [{ key: "elevation" }] }),
      "app.py": "def run(analysis):\n    pass\n",
    });
    const result = await runTwined(["service", "validate", directory]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /octue\.yaml:2:16: InvalidServiceConfiguration: set your namespace: 'SET-YOUR-NAMESPACE' is a placeholder 'twined service init' wrote; replace it with your organisation's namespace \(lowercase letters a-z, digits and single hyphens, e\.g\. 'my-org'\)$/,
    );
    expect(lines[1]).toMatch(
      /octue\.yaml:6:13: InvalidServiceConfiguration: set your namespace: this child's ID starts/,
    );
    // Named once, as the placeholder, not also as an invalid namespace.
    expect(result.stdout).not.toMatch(/uppercase/);
    expect(lines.at(-1)).toBe("2 problems found");
  });
});
