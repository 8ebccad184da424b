/**
 * Fuzzes `octue.yaml`: the examples' files and a full one mutated as text (YAML's own syntax among the edits: anchors
 * and aliases, tags, tabs, flow collections, document markers, a BOM), YAML written from mutated configurations, and
 * legacy `app_configuration_path` files that are broken in their own ways.
 *
 * Property: `parseServiceConfiguration` returns a configuration, or throws `InvalidServiceConfiguration` whose every
 * problem has a message and a position (the file, a line and a column); never any other error.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as writeYaml } from "yaml";
import { parseServiceConfiguration, SERVICE_CONFIGURATION_KEYS } from "../../shared/config/index.js";
import { InvalidServiceConfiguration } from "../../shared/errors/index.js";
import { fuzzJsonValue, mutatedJson, mutatedText, weighted } from "./support/arbitraries.js";
import { fuzz, testTimeoutMs } from "./support/fuzz-run.js";
import { describeThrown } from "./support/inspection.js";
import { type FindingTally, violation } from "./support/known-findings.js";

/** A folder of its own: the files a configuration names (legacy files, `.json` values) are looked up beside it. */
let directory = "";
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), "twined-fuzz-octue-yaml-"));
  writeFileSync(path.join(directory, "values.json"), '{"n": 1}');
  writeFileSync(
    path.join(directory, "legacy.json"),
    JSON.stringify({ configuration_values: { n: 2 }, output_location: "gs://b/o" }),
  );
  writeFileSync(path.join(directory, "legacy-broken.json"), '{"configuration_values": ');
  writeFileSync(path.join(directory, "legacy-list.json"), "[1, 2]");
  writeFileSync(path.join(directory, "legacy-deep.json"), `${'{"a":'.repeat(6000)}1${"}".repeat(6000)}`);
  mkdirSync(path.join(directory, "legacy-folder.json"));
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

const EXAMPLES = [
  "examples/fractal/octue.yaml",
  "examples/using-manifests/octue.yaml",
  "examples/child-services/parent/octue.yaml",
  "examples/child-services/elevation/octue.yaml",
].map((file) => readFileSync(path.resolve(file), "utf8"));

/** Every key of a service entry, set. */
const FULL = `services:
  - namespace: my-org
    name: my-service
    app_source_path: app
    twine_path: twine.json
    diagnostics_cloud_path: gs://my-bucket/diagnostics
    service_registries:
      - name: registry
        endpoint: https://registry.example/services
    event_store_table_id: dataset.table
    delete_local_files: true
    configuration_values:
      n_iterations: 3
      nested: {a: [1, 2]}
    configuration_manifest: values.json
    children:
      - key: elevation
        id: examples/elevation:0.1.0
        backend:
          name: GCPPubSubBackend
          project_id: local
    output_location: gs://my-bucket/outputs
    use_signed_urls_for_output_datasets: false
    app_configuration_path: legacy.json
  - namespace: other
    name: second
`;

const YAML_TOKENS = [
  ":",
  ": ",
  "- ",
  "\n",
  "\n  ",
  "\t",
  "#",
  "&a ",
  "*a",
  "<<: *a\n",
  "!!str ",
  "!!binary ",
  "!!map ",
  "!custom ",
  "{",
  "}",
  "[",
  "]",
  ",",
  "'",
  '"',
  "|\n",
  ">-\n",
  "? ",
  "---\n",
  "...\n",
  "%YAML 1.2\n---\n",
  "\uFEFF",
  "\u0000",
  "\\x",
  "~",
  "null",
  "0x1F",
  "1e400",
  ".inf",
  "2024-01-01",
  "legacy-broken.json",
  "legacy-list.json",
  "legacy-deep.json",
  "legacy-folder.json",
  "missing.json",
  "app_configuration_path: legacy-broken.json\n    ",
];

// The keys an entry may have, and two that mislead: a legacy app configuration path, and a nested `services`.
const ENTRY_KEYS = [...SERVICE_CONFIGURATION_KEYS, "app_configuration_path", "services"];

const ENTRY_VALUES = fc.oneof(
  { weight: 3, arbitrary: fuzzJsonValue() },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      "example",
      "My-Org",
      "a--b",
      "-a",
      "gs://Bucket/x",
      "gs://b",
      "values.json",
      "missing.json",
      "legacy-broken.json",
      "legacy-list.json",
      "legacy-deep.json",
      "legacy-folder.json",
      '{"n": 1}',
      "{not json",
      `${'{"a":'.repeat(6000)}1${"}".repeat(6000)}`,
      [{ name: "r" }],
      [{ key: "k", id: "a/b:1", backend: { name: "GCPPubSubBackend" } }],
    ),
  },
);

/** A self-referencing alias, and an alias bomb (many aliases of aliases). */
const HOSTILE = [
  "a: &x [*x]\nservices: *x\n",
  `${Array.from(
    { length: 12 },
    (_, index) =>
      `l${index}: &l${index} [${
        index === 0
          ? "1,1,1,1,1,1,1,1,1"
          : Array(9)
              .fill(`*l${index - 1}`)
              .join(",")
      }]`,
  ).join("\n")}\nservices:\n  - namespace: a\n    name: b\n    configuration_values: *l11\n`,
  `services:\n  - namespace: a\n    name: b\n    configuration_values: ${"[".repeat(3000)}${"]".repeat(3000)}\n`,
  `services:\n  - namespace: a\n    name: b\n    configuration_values: ${"{a: ".repeat(3000)}1${"}".repeat(3000)}\n`,
  "services:\n  - !!python/object:os.system {}\n",
  "services:\n  - namespace: a\n    name: b\n    name: c\n",
];

function configurationText(): fc.Arbitrary<string> {
  const seeds = [...EXAMPLES, FULL];
  return fc.oneof(
    { weight: 6, arbitrary: mutatedText(seeds, YAML_TOKENS) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          mutatedJson(
            seeds.map((text) => parseYaml(text) as unknown),
            // Deep nesting is in HOSTILE, a few at a time: writing and reading YAML thousands deep is slow.
            { keys: ENTRY_KEYS, values: ENTRY_VALUES, deep: false },
          ),
          weighted({ block: 3, flow: 1 }),
        )
        .map(([value, style]) => yamlOf(value, style === "flow")),
    },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE, "", "\n", "# only a comment\n", "services:", "[]", "42") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
  );
}

/** A value written as YAML; a value the writer cannot take (deep, odd) is written as JSON, which is YAML too. */
function yamlOf(value: unknown, flow: boolean): string {
  if (value === undefined) return "";
  try {
    return writeYaml(value, { collectionStyle: flow ? "flow" : "block", aliasDuplicateObjects: false });
  } catch {
    try {
      return JSON.stringify(value) ?? "";
    } catch {
      return "services: []\n";
    }
  }
}

function checkConfiguration(text: string, findings: FindingTally): void {
  const file = path.join(directory, "octue.yaml");
  try {
    const loaded = parseServiceConfiguration(text, file);
    findings.outcome(`valid${loaded.warnings.length > 0 ? ", with warnings" : ""}`);
    for (const warning of loaded.warnings) {
      if (warning.location.line === undefined) violation(`a warning has no line: ${JSON.stringify(warning)}`);
    }
    loaded.locate(["configuration_values", "a", 0]);
  } catch (error) {
    if (!(error instanceof InvalidServiceConfiguration)) {
      violation(`not InvalidServiceConfiguration: ${describeThrown(error)}`);
    }
    findings.outcome(
      `refused: ${error.problems[0]?.message.replace(/'[^']*'|"[^"]*"|\S+\.json|\d+/g, "…").slice(0, 50)}`,
    );
    if (error.problems.length === 0) violation("InvalidServiceConfiguration with no problems");
    for (const problem of error.problems) {
      const { file: where, line, column } = problem.location;
      if (problem.message.trim() === "" || where === undefined || line === undefined || column === undefined) {
        violation(`a problem without a message or a full position: ${JSON.stringify(problem)}`);
      }
    }
  }
}

describe("fuzzing octue.yaml", () => {
  it(
    "parses a service configuration or refuses it with every problem located",
    async () => {
      const report = await fuzz({
        surface: "service-configuration",
        msPerInputWorstCase: 40,
        arbitrary: configurationText(),
        check: checkConfiguration,
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("service-configuration", 40),
  );
});
