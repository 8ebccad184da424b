import { describe, expect, it } from "vitest";
import { InvalidManifestContents, SchemaError, UnresolvableSchemaReference } from "../../../shared/errors/index.js";
import { type DatafileTags, JsonSource, loadTwine, type Twine } from "../../../shared/twine/index.js";
import { errorOf } from "../../support/error-of.js";

const TEMPLATE = {
  type: "object",
  properties: { manufacturer: { type: "string" }, height: { type: "number" } },
  required: ["manufacturer", "height"],
};

function twineWith(datasets: Record<string, unknown>, strand = "input_manifest"): Twine {
  return loadTwine({ [strand]: { datasets } }, { onWarning: () => {} });
}

function manifestWith(files: unknown[], datasetName = "met_mast_data"): Record<string, unknown> {
  return {
    id: "8ead7669-8162-4f64-8cd5-4abe92509e17",
    datasets: { [datasetName]: { id: "d", name: datasetName, tags: {}, labels: [], files } },
  };
}

function file(path: string, tags: unknown): Record<string, unknown> {
  return { id: "f", path, timestamp: null, tags, labels: [] };
}

describe("validateFileTags", () => {
  it("names the dataset and the datafile (the last path segment) in Octue's wording", () => {
    const twine = twineWith({ met_mast_data: { file_tags_template: TEMPLATE } });
    const manifest = manifestWith([
      file("gs://b/met/good.csv", { manufacturer: "vestas", height: 1 }),
      file("gs://b/met/bad.csv", { manufacturer: "vestas" }),
    ]);
    const error = errorOf(() => twine.validateFileTags("input_manifest", manifest)) as InvalidManifestContents;
    expect(error).toBeInstanceOf(InvalidManifestContents);
    expect(error.message).toBe(
      "tags must have required property 'height' for files in the 'met_mast_data' dataset. The affected datafile is 'bad.csv'. Add the property to the datafile as a tag to fix this.",
    );
    expect(error.strand).toBe("input_manifest");
    expect(error.pointer).toBe("/datasets/met_mast_data/files/1/tags");
  });

  it("points inside the tags, and into the manifest's text when it came from text", () => {
    const twine = twineWith({ met_mast_data: { file_tags_template: TEMPLATE } });
    const text = JSON.stringify(manifestWith([file("a/b.txt", { manufacturer: 3, height: 1 })]), null, 2);
    const error = errorOf(() =>
      twine.validateFileTags("input_manifest", JsonSource.text(text, "manifest.json")),
    ) as InvalidManifestContents;
    expect(error.pointer).toBe("/datasets/met_mast_data/files/0/tags/manufacturer");
    const line = text.split("\n").findIndex((row) => row.includes('"manufacturer": 3')) + 1;
    expect(line).toBeGreaterThan(1);
    expect(error.location).toMatchObject({ file: "manifest.json", line });
  });

  it("skips datasets without a template, datasets missing from the manifest, and a null manifest", () => {
    const twine = twineWith({ met_mast_data: { file_tags_template: TEMPLATE }, scada: {} });
    expect(() => twine.validateFileTags("input_manifest", null)).not.toThrow();
    const onlyScada = manifestWith([file("x.csv", {})], "scada");
    expect(() => twine.validateFileTags("input_manifest", onlyScada)).not.toThrow();
    expect(twine.manifestStrand("input_manifest")?.datasets.met_mast_data?.file_tags_template).toBe(TEMPLATE);
  });

  it("uses a resolver for datafiles whose tags live outside the manifest", () => {
    const twine = twineWith({ met_mast_data: { file_tags_template: TEMPLATE } }, "configuration_manifest");
    const manifest = { id: "m", datasets: { met_mast_data: "gs://bucket/met" } };
    const seen: unknown[] = [];
    const datafilesOf = (name: string, dataset: unknown): DatafileTags[] => {
      seen.push([name, dataset]);
      return [{ name: "stored.csv", tags: { manufacturer: "x" } }];
    };
    const error = errorOf(() => twine.validateFileTags("configuration_manifest", manifest, { datafilesOf }));
    expect(seen).toStrictEqual([["met_mast_data", "gs://bucket/met"]]);
    expect((error as Error).message).toContain("The affected datafile is 'stored.csv'.");
    expect((error as InvalidManifestContents).pointer).toBeUndefined();
  });

  it("ignores path-only datafiles by default (their tags are stored elsewhere)", () => {
    const twine = twineWith({ met_mast_data: { file_tags_template: TEMPLATE } });
    expect(() => twine.validateFileTags("input_manifest", manifestWith(["gs://b/f.csv"]))).not.toThrow();
  });

  it("refuses the output manifest", () => {
    const twine = twineWith({ a: {} }, "output_manifest");
    // @ts-expect-error output manifests have no file tag check
    expect(() => twine.validateFileTags("output_manifest", { id: "x", datasets: {} })).toThrow(TypeError);
  });

  it("raises UnresolvableSchemaReference for a template that references an unbundled schema", () => {
    const twine = twineWith({ met_mast_data: { file_tags_template: { $ref: "https://refs.example.com/tags.json" } } });
    const error = errorOf(() =>
      twine.validateFileTags("input_manifest", manifestWith([file("a.txt", {})])),
    ) as UnresolvableSchemaReference;
    expect(error).toBeInstanceOf(UnresolvableSchemaReference);
    expect(error.reference).toBe("https://refs.example.com/tags.json");
    expect(error.pointer).toBe("/input_manifest/datasets/met_mast_data/file_tags_template");
  });

  it("raises SchemaError for a template that is not a valid schema", () => {
    const twine = twineWith({
      met_mast_data: { file_tags_template: { type: "object", properties: { a: { type: 5 } } } },
    });
    const error = errorOf(() => twine.validateFileTags("input_manifest", manifestWith([file("a.txt", {})])));
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).strand).toBe("input_manifest");
  });

  it("uses the template's own $schema", () => {
    const template = {
      $schema: "http://json-schema.org/draft-04/schema#",
      type: "object",
      properties: { n: { type: "number", maximum: 1, exclusiveMaximum: true } },
    };
    const twine = twineWith({ met_mast_data: { file_tags_template: template } });
    expect(() => twine.validateFileTags("input_manifest", manifestWith([file("a.txt", { n: 0.5 })]))).not.toThrow();
    expect(() => twine.validateFileTags("input_manifest", manifestWith([file("a.txt", { n: 1 })]))).toThrow(
      InvalidManifestContents,
    );
  });
});
