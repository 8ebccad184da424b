import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DuplicateKeyError,
  InputManifestFileNotFound,
  InvalidManifestContents,
  InvalidMonitorMessage,
  InvalidSourceKindException,
  InvalidValuesContents,
  InvalidValuesJson,
  StrandNotFound,
} from "../../../shared/errors/index.js";
import { JsonSource, loadTwine } from "../../../shared/twine/index.js";
import { errorOf } from "../../support/error-of.js";

const quiet = { onWarning: () => {} };
const ID = "8ead7669-8162-4f64-8cd5-4abe92509e17";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "strand-data-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("JsonSource", () => {
  it("follows Octue's rules in fromOctueSource", () => {
    expect(JsonSource.fromOctueSource(null)).toBeUndefined();
    expect(JsonSource.fromOctueSource(undefined)).toBeUndefined();
    expect(JsonSource.fromOctueSource("a.json")?.sourceKind).toBe("filename");
    expect(JsonSource.fromOctueSource('{"a": 1}')?.sourceKind).toBe("string");
    expect(JsonSource.fromOctueSource(new Uint8Array([0x31]))?.sourceKind).toBe("file-like");
    expect(JsonSource.fromOctueSource({ a: 1 })?.sourceKind).toBe("object");
    const source = JsonSource.text("1");
    expect(JsonSource.fromOctueSource(source)).toBe(source);
  });

  it("loads each kind of source", () => {
    const file = path.join(dir, "values.json");
    writeFileSync(file, '{"from": "file"}');
    expect(JsonSource.file(file).load("input_values")).toStrictEqual({
      value: { from: "file" },
      text: '{"from": "file"}',
      origin: file,
    });
    expect(JsonSource.contents(Buffer.from("[1]")).load("input_values").value).toStrictEqual([1]);
    expect(JsonSource.value("not parsed").load("input_values").value).toBe("not parsed");
  });

  it("can be limited to some source kinds", () => {
    const error = errorOf(() => JsonSource.text("1").load("input_values", { allowedKinds: new Set(["object"]) }));
    expect(error).toBeInstanceOf(InvalidSourceKindException);
    expect((error as Error).message).toBe("Attempted to load json from a string data source");
  });

  it("reports a missing file with the strand's own class, or as a load error where Octue has none", () => {
    const missing = path.join(dir, "nope.json");
    const manifestError = errorOf(() => JsonSource.file(missing).load("input_manifest")) as InputManifestFileNotFound;
    expect(manifestError).toBeInstanceOf(InputManifestFileNotFound);
    expect(manifestError.strand).toBe("input_manifest");
    expect(manifestError.message).toBe(`[Errno 2] No such file or directory: '${missing}'`);
    const childrenError = errorOf(() => JsonSource.file(missing).load("children")) as InvalidValuesJson;
    expect(childrenError).toBeInstanceOf(InvalidValuesJson);
    expect(childrenError.location).toStrictEqual({ file: missing });
  });
});

describe("manifest strands", () => {
  const twine = loadTwine(
    { input_manifest: { datasets: { "it's": { purpose: "quoted" }, other: { optional: true } } } },
    quiet,
  );

  it("quotes a dataset name containing ' the way Python's repr does", () => {
    const error = errorOf(() => twine.validate("input_manifest", { id: ID, datasets: {} })) as InvalidManifestContents;
    expect(error).toBeInstanceOf(InvalidManifestContents);
    expect(error.message).toBe(`A dataset named "it's" is expected in the input_manifest but is missing.`);
    expect(error.strand).toBe("input_manifest");
    expect(error.pointer).toBe("/datasets");
  });

  it("allows extra datasets and skips optional ones", () => {
    const manifest = { id: ID, datasets: { "it's": "gs://b/q", extra: "gs://b/e" } };
    expect(twine.validate("input_manifest", manifest)).toBe(manifest);
  });

  it("reports registry-schema failures as contents errors with the data pointer", () => {
    const manifest = { id: ID, datasets: { "it's": { id: "x", name: "n", tags: {}, labels: [1], files: [] } } };
    const error = errorOf(() => twine.validate("input_manifest", manifest)) as InvalidManifestContents;
    expect(error).toBeInstanceOf(InvalidManifestContents);
    expect(error.pointer).toBe("/datasets/it's");
    expect(error.message).toMatch(/^input_manifest\/datasets\/it's must match exactly one schema in oneOf/);
    expect(error.message).toContain("labels/0 must be string");
  });

  it("rejects duplicate dataset keys in manifest text", () => {
    const text = `{"id": "${ID}", "datasets": {"it's": "a", "it's": "b"}}`;
    const error = errorOf(() => twine.validate("input_manifest", JsonSource.text(text))) as DuplicateKeyError;
    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect(error.message).toBe(`Duplicate key detected: "it's".`);
  });
});

describe("children", () => {
  const valid = { key: "gis", id: "some-id", backend: { name: "GCPPubSubBackend", project_id: "p" } };

  it("points at the child whose key the twine does not know", () => {
    const twine = loadTwine({ children: [{ key: "gis" }] }, quiet);
    const error = errorOf(() =>
      twine.validate("children", [valid, { ...valid, key: "weather" }]),
    ) as InvalidValuesContents;
    expect(error.message).toBe(
      "Child with key 'weather' found but no such key exists in the 'children' strand of the twine.",
    );
    expect(error.pointer).toBe("/1/key");
    expect(error.strand).toBe("children");
  });

  it("reports missing keys in twine order", () => {
    const twine = loadTwine({ children: [{ key: "b" }, { key: "a" }] }, quiet);
    const error = errorOf(() => twine.validate("children", [])) as InvalidValuesContents;
    expect(error.message).toBe("No children found matching the key b");
  });
});

describe("monitor messages", () => {
  const twine = loadTwine(
    {
      monitor_message_schema: {
        type: "object",
        required: ["my_property"],
        properties: { my_property: { type: "number" } },
      },
    },
    quiet,
  );

  it("returns a valid message unchanged", () => {
    const message = { my_property: 3.7 };
    expect(twine.validateMonitorMessage(message)).toBe(message);
  });

  it("wraps contents errors in InvalidMonitorMessage", () => {
    const error = errorOf(() => twine.validateMonitorMessage({ my_property: "x" })) as InvalidMonitorMessage;
    expect(error).toBeInstanceOf(InvalidMonitorMessage);
    expect(error.cause).toBeInstanceOf(InvalidValuesContents);
    expect(error.message).toBe("monitor_message/my_property must be number");
    expect(error.pointer).toBe("/my_property");
  });

  it("raises StrandNotFound without a monitor strand", () => {
    const error = errorOf(() => loadTwine({}, quiet).validateMonitorMessage({}));
    expect(error).toBeInstanceOf(StrandNotFound);
    expect((error as Error).message).toBe("Cannot validate - no monitor_message_schema strand in the twine");
  });
});
