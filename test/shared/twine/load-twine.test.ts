import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DuplicateKeyError,
  InvalidTwineContents,
  InvalidTwineJson,
  TwineFileNotFound,
  TwineVersionConflict,
} from "../../../shared/errors/index.js";
import {
  ALL_STRANDS,
  JsonSource,
  loadTwine,
  MANIFEST_STRANDS,
  SCHEMA_STRANDS,
  type Twine,
} from "../../../shared/twine/index.js";
import { TWINED_VERSION } from "../../../shared/version.js";

const quiet = { onWarning: () => {} };
const ST = {
  configuration_values_schema: {
    type: "object",
    properties: { n_iterations: { type: "integer", minimum: 1, maximum: 10, default: 5 } },
  },
  input_values_schema: {
    type: "object",
    properties: { height: { type: "integer", minimum: 2 } },
    required: ["height"],
  },
  output_values_schema: { type: "object", properties: { width: { type: "integer", minimum: 2 } } },
};

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "load-twine-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sorted(set: ReadonlySet<string>): string[] {
  return [...set].sort();
}

describe("strand name constants", () => {
  it("lists the strands in Octue's order", () => {
    expect(SCHEMA_STRANDS).toStrictEqual(["input_values", "configuration_values", "output_values", "monitor_message"]);
    expect(MANIFEST_STRANDS).toStrictEqual(["configuration_manifest", "input_manifest", "output_manifest"]);
    expect(ALL_STRANDS).toStrictEqual([...SCHEMA_STRANDS, ...MANIFEST_STRANDS, "credentials", "children"]);
  });
});

describe("derived strand sets", () => {
  const base = {
    configuration_values_schema: {},
    input_values_schema: {},
    output_values_schema: {},
    output_manifest: { datasets: {} },
  };

  it("requires every object-valued strand by default", () => {
    const twine = loadTwine(base, quiet);
    expect(sorted(twine.requiredStrands)).toStrictEqual(
      ["configuration_values", "input_values", "output_values", "output_manifest"].sort(),
    );
  });

  it("drops strands marked optional: true", () => {
    const twine = loadTwine(
      {
        ...base,
        configuration_values_schema: { optional: true },
        output_manifest: { datasets: {}, optional: true },
      },
      quiet,
    );
    expect(sorted(twine.requiredStrands)).toStrictEqual(["input_values", "output_values"]);
  });

  it("treats optional: false like no optional at all", () => {
    const twine = loadTwine(
      {
        ...base,
        configuration_values_schema: { optional: false },
        output_manifest: { datasets: {}, optional: false },
      },
      quiet,
    );
    expect(sorted(twine.requiredStrands)).toStrictEqual(
      ["configuration_values", "input_values", "output_values", "output_manifest"].sort(),
    );
  });

  it("never requires children or credentials, but does require the monitor message strand", () => {
    const twine = loadTwine({ children: [], credentials: [], monitor_message_schema: {} }, quiet);
    expect(sorted(twine.requiredStrands)).toStrictEqual(["monitor_message"]);
    expect(sorted(twine.availableStrands)).toStrictEqual(["children", "credentials", "monitor_message"]);
  });

  it("derives available and manifest strands", () => {
    const twine = loadTwine({ ...ST, output_manifest: { datasets: {} } }, quiet);
    expect(sorted(twine.availableStrands)).toStrictEqual(
      ["configuration_values", "input_values", "output_values", "output_manifest"].sort(),
    );
    expect(sorted(twine.availableManifestStrands)).toStrictEqual(["output_manifest"]);
  });

  it("includes non-strand keys in the available set, as Octue does", () => {
    const twine = loadTwine({ title: "t", notes: { a: 1 } }, quiet);
    expect(sorted(twine.availableStrands)).toStrictEqual(["notes", "title"]);
    expect(sorted(twine.requiredStrands)).toStrictEqual(["notes"]);
  });
});

describe("loadTwine sources", () => {
  it("loads an empty twine with a warning when given no source", () => {
    const warnings: string[] = [];
    const twine = loadTwine(undefined, { onWarning: (message) => warnings.push(message) });
    expect(twine.raw).toStrictEqual({});
    expect(warnings).toStrictEqual(["No twine source specified. Loading empty twine."]);
  });

  it("reads a string ending in .json as a file, with locations pointing into it", () => {
    const file = path.join(dir, "twine.json");
    writeFileSync(file, '{\n  "credentials": [\n    {"name": "bad name"}\n  ]\n}');
    let error: unknown;
    try {
      loadTwine(file, quiet);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidTwineContents);
    const contents = error as InvalidTwineContents;
    expect(contents.pointer).toBe("/credentials/0/name");
    expect(contents.location).toStrictEqual({ file, line: 3, column: 14 });
    expect(contents.message).toContain("twine/credentials/0/name");
  });

  it("raises TwineFileNotFound for a missing .json path", () => {
    const missing = path.join(dir, "missing.json");
    expect(() => loadTwine(missing, quiet)).toThrow(TwineFileNotFound);
    try {
      loadTwine(missing, quiet);
    } catch (error) {
      expect((error as TwineFileNotFound).code).toBe("ENOENT");
      expect((error as TwineFileNotFound).location).toStrictEqual({ file: missing });
    }
  });

  it("parses any other string as JSON text", () => {
    expect(loadTwine('{"title": "x"}', quiet).raw).toStrictEqual({ title: "x" });
    expect(() => loadTwine("{", quiet)).toThrow(InvalidTwineJson);
  });

  it("reads bytes as file contents and accepts an explicit JsonSource", () => {
    expect(loadTwine(Buffer.from('{"title": "bytes"}'), quiet).raw).toStrictEqual({ title: "bytes" });
    expect(loadTwine(JsonSource.text('{"title": "text"}'), quiet).raw).toStrictEqual({ title: "text" });
  });

  it("gives InvalidTwineJson a location", () => {
    try {
      loadTwine(JsonSource.text('{\n  "a": 1,\n}', "t.json"), quiet);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTwineJson);
      expect((error as InvalidTwineJson).location).toStrictEqual({ file: "t.json", line: 3, column: 1 });
    }
  });

  it("raises DuplicateKeyError with the pointer of the repeated key", () => {
    try {
      loadTwine('{"input_manifest": {"datasets": {"a": {}, "a": {}}}}', quiet);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DuplicateKeyError);
      expect((error as DuplicateKeyError).pointer).toBe("/input_manifest/datasets/a");
    }
  });

  it("does not resolve file tag template references at load time", () => {
    const twine: Twine = loadTwine(
      { input_manifest: { datasets: { a: { file_tags_template: { $ref: "https://example.com/nowhere.json" } } } } },
      quiet,
    );
    expect(twine.manifestStrand("input_manifest")?.datasets.a?.file_tags_template).toStrictEqual({
      $ref: "https://example.com/nowhere.json",
    });
  });
});

describe("twined_version", () => {
  it("accepts the installed version", () => {
    expect(loadTwine({ twined_version: TWINED_VERSION }, quiet).raw.twined_version).toBe(TWINED_VERSION);
  });

  it("compares against installedVersion when given", () => {
    expect(() => loadTwine({ twined_version: "2.0.0" }, { ...quiet, installedVersion: "2.0.0" })).not.toThrow();
    try {
      loadTwine({ twined_version: "0.0.0" }, { ...quiet, installedVersion: "9.9.9" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TwineVersionConflict);
      expect((error as Error).message).toBe(
        "Twined library version conflict. Twine file requires 0.0.0 but you have 9.9.9 installed",
      );
    }
  });

  it("checks the meta-schema before the version", () => {
    expect(() => loadTwine({ twined_version: "0.0.0", children: {} }, quiet)).toThrow(InvalidTwineContents);
  });
});

describe("typed strand accessors", () => {
  it("exposes children and credentials, or undefined when absent", () => {
    const twine = loadTwine({ children: [{ key: "gis" }], credentials: [{ name: "API_KEY" }] }, quiet);
    expect(twine.children?.map((child) => child.key)).toStrictEqual(["gis"]);
    expect(twine.credentials?.map((credential) => credential.name)).toStrictEqual(["API_KEY"]);
    const empty = loadTwine({}, quiet);
    expect(empty.children).toBeUndefined();
    expect(empty.credentials).toBeUndefined();
    expect(empty.hasStrand("input_values")).toBe(false);
  });
});
