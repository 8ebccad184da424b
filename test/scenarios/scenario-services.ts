import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NetworkClient } from "../../shared/client/index.js";

/** Registers a service folder with a network's registry as `namespace/name:tag`. */
export async function registerFolder(
  url: string,
  directory: string,
  id: { namespace: string; name: string; tag: string },
  makeDefault = true,
): Promise<void> {
  const twine = JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as Record<string, unknown>;
  await new NetworkClient(url).registerRevision(id.namespace, id.name, id.tag, {
    twine,
    source: { kind: "directory", path: directory },
    default: makeDefault,
  });
}

/**
 * A private copy of an example service (so its outputs stay out of the repository), optionally with another
 * configuration values file (the fractal's `small.json` draws in a fraction of the time).
 */
export function copyOfExample(example: string, options: { configurationValues?: string } = {}): string {
  const directory = path.join(mkdtempSync(path.join(tmpdir(), "twined-example-")), path.basename(example));
  cpSync(path.resolve("examples", example), directory, { recursive: true });
  if (options.configurationValues !== undefined) {
    const file = path.join(directory, "octue.yaml");
    const yaml = readFileSync(file, "utf8").replace(
      /configuration_values: .*/,
      `configuration_values: ${options.configurationValues}`,
    );
    writeFileSync(file, yaml);
  }
  return directory;
}

/** Registers a throw-away service whose app is `app` as `scenarios/<name>:1.0.0`, its default revision. */
export async function registerTestService(url: string, name: string, app: string): Promise<void> {
  await registerFolder(url, testService(name, app), { namespace: "scenarios", name, tag: "1.0.0" });
}

/** A throw-away service whose app is `app` (Python), taking any input values. */
export function testService(name: string, app: string): string {
  const directory = mkdtempSync(path.join(tmpdir(), `twined-${name}-`));
  writeFileSync(path.join(directory, "octue.yaml"), `services:\n  - namespace: scenarios\n    name: ${name}\n`);
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({ input_values_schema: {}, output_values_schema: {} }),
  );
  writeFileSync(path.join(directory, "app.py"), app);
  return directory;
}

/** Sleeps for `input_values.seconds` (default 30), logging once it has started. */
export const SLEEPER_APP = `import logging, time

def run(analysis):
    logging.getLogger(__name__).info("sleeping")
    time.sleep(float((analysis.input_values or {}).get("seconds", 30)))
    analysis.output_values = {"slept": True}
`;

/** Fails the way an analysis bug does: a Python exception with a traceback. */
export const FAILING_APP = `def run(analysis):
    check(analysis.input_values)

def check(values):
    raise ValueError(f"cannot use {values!r}")
`;

/** Answers with more JSON than a Pub/Sub message can carry. */
export const OVERSIZED_APP = `def run(analysis):
    analysis.output_values = "x" * 11_000_000
`;

/**
 * A service that fails after asking a child (`examples/elevation`) and reading its input dataset `readings`: what its
 * crash diagnostics must let a developer replay.
 */
export function diagnosedService(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-diagnosed-"));
  writeFileSync(
    path.join(directory, "octue.yaml"),
    [
      "services:",
      "  - namespace: scenarios",
      "    name: diagnosed",
      "    children:",
      "      - key: elevation",
      "        id: examples/elevation:0.1.0",
      "        backend: {name: GCPPubSubBackend, project_id: local}",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({
      children: [{ key: "elevation" }],
      input_values_schema: {},
      output_values_schema: {},
      input_manifest: { datasets: { readings: { purpose: "the readings to check" } } },
    }),
  );
  writeFileSync(path.join(directory, "app.py"), DIAGNOSED_APP);
  return directory;
}

const DIAGNOSED_APP = `def run(analysis):
    answer, _ = analysis.children["elevation"].ask(
        input_values={"locations": [{"longitude": 1, "latitude": 1}]}, timeout=60
    )
    with analysis.input_manifest.get_dataset("readings").files.one().open() as stream:
        readings = stream.read().strip()
    raise ValueError(f"readings {readings} disagree with elevation {answer['output_values']}")
`;
