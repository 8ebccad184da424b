import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  loadServiceConfiguration,
  parseServiceConfiguration,
  resolveServiceConfigurationPath,
} from "../../../shared/config/index.js";
import { InvalidServiceConfiguration, ServiceConfigurationNotFound } from "../../../shared/errors/index.js";

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), "twined-config-"));
});

function write(relative: string, text: string): string {
  const file = path.join(directory, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function problemsOf(text: string): InvalidServiceConfiguration {
  try {
    parseServiceConfiguration(text, path.join(directory, "octue.yaml"));
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidServiceConfiguration);
    return error as InvalidServiceConfiguration;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("loadServiceConfiguration", () => {
  it("reads a minimal configuration with Octue's defaults and absolute paths", () => {
    const file = write("svc/octue.yaml", "services:\n  - namespace: my-org\n    name: my-service\n");
    const { configuration, warnings } = loadServiceConfiguration(file);
    expect(warnings).toEqual([]);
    expect(configuration).toMatchObject({
      namespace: "my-org",
      name: "my-service",
      appSourcePath: path.join(directory, "svc"),
      twinePath: path.join(directory, "svc", "twine.json"),
      deleteLocalFiles: false,
      useSignedUrlsForOutputDatasets: false,
      configurationValues: undefined,
      children: undefined,
      directory: path.join(directory, "svc"),
      path: file,
    });
  });

  it("reads every field", () => {
    write("svc/config/values.json", '{"n": 1}');
    const file = write(
      "svc/octue.yaml",
      [
        "services:",
        "  - namespace: octue",
        "    name: fractal",
        "    app_source_path: app",
        "    twine_path: app/twine.json",
        "    diagnostics_cloud_path: gs://bucket/diagnostics",
        "    service_registries:",
        "      - name: main",
        "        endpoint: https://registry.example.com",
        "    event_store_table_id: dataset.events",
        "    delete_local_files: true",
        "    configuration_values: config/values.json",
        "    configuration_manifest: {id: 8ead7669-8162-4f64-8cd5-4abe92509e17, datasets: {}}",
        "    children:",
        "      - key: elevation",
        "        id: octue/elevation:1.0.0",
        "        backend: {name: GCPPubSubBackend, project_id: my-project}",
        "    output_location: gs://my-bucket/outputs",
        "    use_signed_urls_for_output_datasets: true",
      ].join("\n"),
    );
    const { configuration } = loadServiceConfiguration(file);
    expect(configuration).toMatchObject({
      appSourcePath: path.join(directory, "svc", "app"),
      twinePath: path.join(directory, "svc", "app", "twine.json"),
      diagnosticsCloudPath: "gs://bucket/diagnostics",
      serviceRegistries: [{ name: "main", endpoint: "https://registry.example.com" }],
      eventStoreTableId: "dataset.events",
      deleteLocalFiles: true,
      configurationValues: { kind: "file", path: path.join(directory, "svc", "config", "values.json") },
      configurationManifest: { kind: "inline", value: { id: "8ead7669-8162-4f64-8cd5-4abe92509e17", datasets: {} } },
      children: [{ key: "elevation", id: "octue/elevation:1.0.0", backend: { name: "GCPPubSubBackend" } }],
      outputLocation: "gs://my-bucket/outputs",
      useSignedUrlsForOutputDatasets: true,
    });
  });

  it("keeps falsy inline configuration values", () => {
    for (const [yaml, value] of [
      ["0", 0],
      ["false", false],
      ["{}", {}],
      ["[]", []],
      ["'\"x\"'", "x"],
    ] as const) {
      const { configuration } = parseServiceConfiguration(
        `services:\n  - namespace: a\n    name: b\n    configuration_values: ${yaml}\n`,
        path.join(directory, "octue.yaml"),
      );
      expect(configuration.configurationValues).toEqual({ kind: "inline", value });
    }
    // A string is JSON text (as in Octue), and empty text is not JSON.
    expect(problemsOf('services:\n  - namespace: a\n    name: b\n    configuration_values: ""\n').message).toMatch(
      /the text is empty/,
    );
  });

  it("uses OCTUE_SERVICE_CONFIGURATION_PATH unless a path is given", () => {
    const file = write("elsewhere/service.yaml", "services:\n  - namespace: a\n    name: from-env\n");
    const env = { OCTUE_SERVICE_CONFIGURATION_PATH: file };
    expect(loadServiceConfiguration(undefined, { env }).configuration.name).toBe("from-env");
    write("octue.yaml", "services:\n  - namespace: a\n    name: from-argument\n");
    expect(loadServiceConfiguration("octue.yaml", { env, cwd: directory }).configuration.name).toBe("from-argument");
    expect(resolveServiceConfigurationPath(undefined, { env: {}, cwd: directory })).toBe(
      path.join(directory, "octue.yaml"),
    );
  });

  it("warns about unknown keys with their position", () => {
    const { warnings } = parseServiceConfiguration(
      "services:\n  - namespace: a\n    name: b\n    colour: blue\nextra: 1\n",
      path.join(directory, "octue.yaml"),
    );
    expect(warnings).toEqual([
      {
        message: "unknown top-level key 'extra' is ignored",
        location: expect.objectContaining({ line: 5, column: 1 }),
      },
      { message: "unknown key 'colour' is ignored", location: expect.objectContaining({ line: 4, column: 5 }) },
    ]);
  });

  it("warns that only the first service is used", () => {
    const { warnings, configuration } = parseServiceConfiguration(
      "services:\n  - namespace: a\n    name: first\n  - namespace: a\n    name: second\n",
      path.join(directory, "octue.yaml"),
    );
    expect(configuration.name).toBe("first");
    expect(warnings[0]?.message).toMatch(/only the first is used/);
    expect(warnings[0]?.location.line).toBe(4);
  });

  it("rejects the reserved 'example' namespace at its position", () => {
    const error = problemsOf("services:\n  - namespace: example\n    name: b\n");
    expect(error.message).toMatch(/'example' is not an allowed Twined service namespace\. It is reserved/);
    expect(error.location).toMatchObject({ file: path.join(directory, "octue.yaml"), line: 2, column: 16 });
  });

  it("reports every problem, each with file, line and column", () => {
    const error = problemsOf(
      [
        "services:",
        "  - namespace: My_Org",
        "    name: 7",
        "    delete_local_files: yes",
        "    output_location: s3://bucket",
        "    service_registries:",
        "      - name: r",
        "        endpoint: ftp://x",
        "    diagnostics_cloud_path: /tmp/diagnostics",
      ].join("\n"),
    );
    const rendered = error.problems.map((each) => `${each.location.line}:${each.location.column} ${each.message}`);
    expect(rendered).toEqual(
      expect.arrayContaining([
        "3:11 'name' must be a string",
        "4:25 'delete_local_files' must be true or false",
        "5:22 'output_location' must be a Google Cloud Storage path such as gs://bucket-name/output_directory",
        "8:19 'service_registries[0].endpoint' must be an http(s) URL such as https://registry.example.com",
        "9:29 'diagnostics_cloud_path' must be a Google Cloud Storage path such as gs://bucket-name/diagnostics",
        expect.stringMatching(/^2:16 the namespace 'My_Org' contains the uppercase letter 'M'/),
      ]),
    );
    expect(error.problems).toHaveLength(6);
    expect(error.message).toMatch(/and 5 more problems/);
  });

  it("names a missing required key at the service entry", () => {
    const error = problemsOf("services:\n  - namespace: a\n");
    expect(error.message).toBe("the service entry is missing the required key 'name'");
    expect(error.location?.line).toBe(2);
  });

  it.each([
    ["services: [\n", /YAML syntax/, 1],
    ["services:\n  - namespace: a\n    namespace: b\n    name: c\n", /unique/, 3],
    ["services:\n\t- name: x\n", /YAML syntax/, 2],
  ])("reports YAML syntax errors with a position: %j", (text, message, line) => {
    const error = problemsOf(text);
    expect(error.message).toMatch(message);
    expect(error.location?.line).toBe(line);
  });

  it.each([
    ["[1, 2]\n", /must be a mapping with a 'services' list/],
    ["services: []\n", /'services' must be a list/],
    ["services:\n  - just-a-string\n", /'services' must be a list/],
    ["", /must be a mapping/],
    ["a: &x [*x]\nservices: *y\n", /.+/],
  ])("rejects a malformed document %j with one clear error", (text, message) => {
    expect(problemsOf(text).message).toMatch(message);
  });

  it("says where a missing configuration file was expected", () => {
    expect(() => loadServiceConfiguration(path.join(directory, "nope.yaml"))).toThrow(ServiceConfigurationNotFound);
    expect(() => loadServiceConfiguration(directory)).toThrow(/is a folder/);
  });

  it("reads JSON text and reports a missing values file", () => {
    const { configuration } = parseServiceConfiguration(
      `services:\n  - namespace: a\n    name: b\n    configuration_values: '{"n": 3}'\n`,
      path.join(directory, "octue.yaml"),
    );
    expect(configuration.configurationValues).toEqual({ kind: "inline", value: { n: 3 } });
    const error = problemsOf("services:\n  - namespace: a\n    name: b\n    configuration_values: missing.json\n");
    expect(error.message).toMatch(/missing\.json does not exist/);
    expect(error.location?.line).toBe(4);
    expect(
      problemsOf("services:\n  - namespace: a\n    name: b\n    configuration_values: not json\n").message,
    ).toMatch(/neither/);
  });

  it("still reads a legacy app_configuration_path, with a deprecation warning", () => {
    write(
      "legacy/app_configuration.json",
      JSON.stringify({ configuration_values: { n: 1 }, output_location: "gs://legacy/out", children: [] }),
    );
    const file = write(
      "octue.yaml",
      "services:\n  - namespace: a\n    name: b\n    app_configuration_path: legacy/app_configuration.json\n    output_location: gs://new/out\n",
    );
    const { configuration, warnings } = loadServiceConfiguration(file);
    expect(configuration.configurationValues).toEqual({ kind: "inline", value: { n: 1 } });
    expect(configuration.outputLocation).toBe("gs://new/out");
    expect(configuration.children).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/'app_configuration_path' is deprecated/);
    expect(warnings[0]?.location.line).toBe(4);
  });

  it("reports a broken legacy app configuration file at the key that names it", () => {
    write("app_configuration.json", '{"configuration_values": {"a": 1, "a": 2}}');
    const error = problemsOf(
      "services:\n  - namespace: a\n    name: b\n    app_configuration_path: app_configuration.json\n",
    );
    expect(error.message).toMatch(/cannot read the legacy app configuration: Duplicate key detected: 'a'/);
    expect(error.location?.line).toBe(4);
  });

  it("locates values inside the entry for later error messages", () => {
    const loaded = parseServiceConfiguration(
      "services:\n  - namespace: a\n    name: b\n    configuration_values:\n      n_iterations: 99\n",
      path.join(directory, "octue.yaml"),
    );
    expect(loaded.locate(["configuration_values", "n_iterations"])).toMatchObject({ line: 5, column: 21 });
    expect(loaded.locate(["configuration_values", "absent"])).toMatchObject({ line: 5, column: 7 });
  });
});
