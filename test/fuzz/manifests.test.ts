/**
 * Fuzzes input (and output, and configuration) manifests: the specification's manifest vectors, Octue's example
 * manifest and manifests naming datasets in a folder store, locally and at signed URLs, mutated as values and as
 * JSON text, against twines with manifest strands and file-tags templates.
 *
 * What is called, in the order the network meets a manifest: what the intake does before anything is validated
 * (`parseQuestionRequest`, `localDatasetsIn`, `withAbsoluteLocalPaths`), the twine's validation, and what runs only
 * on a manifest the twine accepted (`validateFileTags`, `datafileTagsInManifest`, `resolveManifestDatasets` and
 * `signManifestDatasets` on the embedded network's folder storage). Signed URLs are fetched by a stub: nothing leaves
 * this machine.
 *
 * Property: each returns or throws one of the project's error classes with a message; never an error of
 * JavaScript's own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { folderStorage, type NetworkStorage } from "../../platform/network-storage.js";
import { parseQuestionRequest } from "../../shared/control-plane/index.js";
import {
  isSerialisedManifest,
  localDatasetsIn,
  resolveManifestDatasets,
  signManifestDatasets,
  withAbsoluteLocalPaths,
} from "../../shared/datasets/index.js";
import type { SerialisedManifest } from "../../shared/events/index.js";
import { isPlainObject } from "../../shared/json/index.js";
import { datafileTagsInManifest, JsonSource, loadTwine } from "../../shared/twine/index.js";
import { EXAMPLE_MANIFEST } from "../shared/events/event-fixtures.js";
import { fuzzJsonValue, jsonTextOf, mutatedJson, weighted } from "./support/arbitraries.js";
import { fuzz, testTimeoutMs } from "./support/fuzz-run.js";
import { untypedErrorProblem } from "./support/inspection.js";
import { type FindingTally, violation } from "./support/known-findings.js";
import { TWINE_VECTORS } from "./support/twine-seeds.js";

let storage: NetworkStorage;
let directory = "";

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), "twined-fuzz-manifests-"));
  // Signed URLs point at a port nothing listens on; they are only ever fetched through the stub below anyway.
  storage = folderStorage(directory, () => "http://127.0.0.1:9");
  const store = storage.store;
  await store.upload(Buffer.from("a,b\n1,2\n"), "gs://twined-outputs/ds/a.csv", { contentType: "text/csv" });
  await store.upload(Buffer.from("x"), "gs://twined-outputs/ds/sub/b.csv", {
    metadata: { octue__tags: '{"sequence": 1}', octue__labels: '["timeseries"]' },
  });
  await store.upload(Buffer.from('{"name": "described", "tags": {"k": 1}'), "gs://twined-outputs/broken/.octue");
  await store.upload(
    Buffer.from('{"id": "d", "name": "described", "tags": {"k": 1}}'),
    "gs://twined-outputs/meta/.octue",
  );
  await store.upload(Buffer.from("m"), "gs://twined-outputs/meta/m.txt");
});

afterAll(async () => {
  await storage.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Stands in for the web: a signed URL is refused (like an expired one) or unreachable, never fetched for real. */
const offlineFetch: typeof fetch = async (input) => {
  const url = String(input instanceof Request ? input.url : input);
  if (url.includes("refused")) {
    return new Response("<Error><Code>ExpiredToken</Code><Message>expired</Message></Error>", { status: 400 });
  }
  if (url.includes("missing")) return new Response("", { status: 404 });
  throw new TypeError("fetch failed");
};

const TAGS_TEMPLATE = {
  type: "object",
  properties: { sequence: { type: "integer", minimum: 0 }, manufacturer: { type: "string" } },
  required: ["sequence"],
};

/** A twine with file-tags templates, for the manifest below. */
const TAGGED_TWINE = {
  input_manifest: {
    datasets: {
      a: { purpose: "tagged", file_tags_template: TAGS_TEMPLATE },
      f: { purpose: "also tagged", file_tags_template: { ...TAGS_TEMPLATE, required: [] }, optional: true },
      gone: { purpose: "optional", optional: true },
    },
  },
  configuration_manifest: { datasets: { a: { purpose: "x", file_tags_template: TAGS_TEMPLATE } } },
  output_manifest: { datasets: {} },
};

/** A manifest of every kind of dataset: in the folder store (files listed or not, described or not), local, signed. */
const STORED_MANIFEST = {
  id: "8ead7669-8162-4f64-8cd5-4abe92509e17",
  name: "fuzzed",
  datasets: {
    a: {
      id: "7ead7669-8162-4f64-8cd5-4abe92509e17",
      name: "a",
      tags: {},
      labels: ["x"],
      path: "gs://twined-outputs/ds",
      files: [
        "gs://twined-outputs/ds/a.csv",
        { id: "b", path: "gs://twined-outputs/ds/sub/b.csv", timestamp: null, tags: { sequence: 1 }, labels: [] },
        {
          id: "c",
          name: "named",
          path: "https://127.0.0.1:9/refused/c.csv?X-Goog-Signature=1",
          timestamp: 0,
          tags: { sequence: "one" },
          labels: ["timeseries"],
        },
      ],
    },
    b: "gs://twined-outputs/meta",
    c: "gs://twined-outputs/broken",
    d: "gs://twined-outputs/missing",
    e: "/absolute/local/path",
    f: "relative/local/path",
    g: "https://127.0.0.1:9/missing/.signed_metadata_files/x?X-Goog-Signature=1",
  },
};

type ManifestStrand = "input_manifest" | "configuration_manifest" | "output_manifest";

/** Twines with the manifests written for them: the vectors' own pairs, and the two above in every strand. */
const PAIRS: readonly { readonly twine: unknown; readonly strand: ManifestStrand; readonly manifest: unknown }[] = [
  ...TWINE_VECTORS.filter((vector) => vector.kind === "manifest" && vector.data !== undefined).map((vector) => ({
    twine: vector.twine,
    strand: (vector.strand ?? "input_manifest") as ManifestStrand,
    manifest: vector.data,
  })),
  ...(["input_manifest", "configuration_manifest", "output_manifest"] as const).flatMap((strand) => [
    { twine: TAGGED_TWINE, strand, manifest: STORED_MANIFEST },
    { twine: TAGGED_TWINE, strand, manifest: EXAMPLE_MANIFEST },
  ]),
];

const MANIFEST_KEYS = ["id", "name", "datasets", "path", "files", "tags", "labels", "timestamp", "optional", "a", "f"];
const MANIFEST_VALUES = fc.oneof(
  { weight: 3, arbitrary: fuzzJsonValue() },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      "gs://twined-outputs/ds",
      "gs://twined-outputs/ds/",
      "gs://twined-outputs/../../etc",
      "gs://twined-outputs/ds/../..",
      "gs://tw/x",
      "gs://",
      "gs:///x",
      "https://127.0.0.1:9/refused/x?X-Goog-Signature=1",
      "http://127.0.0.1:9/missing",
      "file:///etc/passwd",
      "/",
      "..",
      "",
      { path: "gs://twined-outputs/ds", files: [] },
      { path: "gs://twined-outputs/ds", files: null },
      { path: 5 },
      { sequence: -1 },
      [],
      null,
    ),
  },
);

interface ManifestInput {
  readonly twine: unknown;
  readonly strand: ManifestStrand;
  readonly manifest: unknown;
  readonly asText: boolean;
}

function manifestInput(): fc.Arbitrary<ManifestInput> {
  return fc.constantFrom(...PAIRS).chain((pair) =>
    fc.record({
      twine: fc.constant(pair.twine),
      strand: fc.constant(pair.strand),
      manifest: fc.oneof(
        { weight: 8, arbitrary: mutatedJson([pair.manifest], { keys: MANIFEST_KEYS, values: MANIFEST_VALUES }) },
        { weight: 1, arbitrary: fuzzJsonValue() },
      ),
      asText: weighted({ value: 4, text: 1 }).map((form) => form === "text"),
    }),
  );
}

/** Runs `step`; a throw must be one of the project's errors, else the input fails. */
async function step<T>(name: string, run: () => T | Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await run() };
  } catch (error) {
    const problem = untypedErrorProblem(error);
    if (problem !== undefined) violation(`${name}: ${problem}`);
    return { error };
  }
}

async function checkManifest(input: ManifestInput, findings: FindingTally): Promise<void> {
  const { manifest } = input;
  // Before any validation, as the question intake meets it.
  await step("parseQuestionRequest", () =>
    parseQuestionRequest({ recipient: "fuzz/instant", input_manifest: manifest }),
  );
  await step("localDatasetsIn", () => localDatasetsIn(manifest));
  await step("withAbsoluteLocalPaths", () => withAbsoluteLocalPaths(manifest, directory));

  // The twines are valid (a test of the twine is not the point here): loadTwine throws at once if one is not.
  const twine = loadTwine(JsonSource.value(input.twine), { onWarning: () => {} });
  const text = input.asText ? jsonTextOf(manifest) : undefined;
  const data = text === undefined ? manifest : JsonSource.text(text, "manifest.json");
  const validated = await step("validate", () => twine.validate(input.strand, data));
  if (validated.error !== undefined) {
    findings.outcome(`refused: ${(validated.error as Error).name}`);
    return;
  }
  findings.outcome("valid");
  // Only a manifest the twine accepted gets this far in the network.
  if (input.strand !== "output_manifest") {
    await step("validateFileTags", () => twine.validateFileTags(input.strand as "input_manifest", data));
  }
  if (!isSerialisedManifest(manifest)) return;
  for (const [key, dataset] of Object.entries(manifest.datasets)) {
    await step("datafileTagsInManifest", () => datafileTagsInManifest(key, dataset));
  }
  const access = { store: storage.store, fetch: offlineFetch, concurrency: 4 };
  const resolved = await step("resolveManifestDatasets", () =>
    resolveManifestDatasets(manifest as SerialisedManifest, access),
  );
  findings.outcome(resolved.error === undefined ? "resolved" : `not resolved: ${(resolved.error as Error).name}`);
  // What the HTTP API does to an answer's output manifest before an asker downloads it.
  if (isPlainObject(manifest.datasets)) {
    await step("signManifestDatasets", () =>
      signManifestDatasets(manifest as SerialisedManifest, access, { expiresInSeconds: 60 }),
    );
  }
}

describe("fuzzing manifests", () => {
  it(
    "parses, validates, resolves and signs a manifest, or refuses it with a typed error",
    async () => {
      const report = await fuzz({
        surface: "manifests",
        msPerInputWorstCase: 40,
        arbitrary: manifestInput(),
        check: checkManifest,
        inputTimeoutMs: 20_000,
        describeInput: (input) => jsonTextOf(input)?.slice(0, 4000) ?? "(nested too deep to show)",
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("manifests", 40),
  );
});
