import { describe, expect, it } from "vitest";
import {
  CredentialNotFound,
  InvalidManifestJson,
  InvalidValuesContents,
  InvalidValuesJson,
  StrandNotFound,
  TwineValueException,
  UnknownStrand,
} from "../../../shared/errors/index.js";
import { JsonSource, loadTwine, type StrandName } from "../../../shared/twine/index.js";
import { errorOf } from "../../support/error-of.js";

const quiet = { onWarning: () => {} };
const MANIFEST = { id: "8ead7669-8162-4f64-8cd5-4abe92509e17", datasets: { a: "gs://bucket/a" } };

describe("validate(strand, data)", () => {
  const twine = loadTwine({ output_values_schema: {}, input_values_schema: { type: "integer" } }, quiet);

  it("passes falsy and string values through unchanged (plain values are already-parsed JSON)", () => {
    for (const value of ["hello", "", 0, false, {}, [], "not_a_file.json", "{"]) {
      expect(twine.validate("output_values", value)).toStrictEqual(value);
    }
  });

  it("treats null and undefined as no data", () => {
    expect(errorOf(() => twine.validate("output_values", null))).toBeInstanceOf(InvalidValuesJson);
    expect((errorOf(() => twine.validate("output_values", undefined)) as Error).message).toBe(
      "Cannot load output_values - no data source specified.",
    );
  });

  it("parses JsonSource text, including JSON null", () => {
    expect(twine.validate("output_values", JsonSource.text('"hello"'))).toBe("hello");
    expect(twine.validate("output_values", JsonSource.text("null"))).toBeNull();
  });

  it("accepts 5.0 as an integer but never a boolean", () => {
    expect(twine.validate("input_values", JsonSource.text("5.0"))).toBe(5);
    const error = errorOf(() => twine.validate("input_values", true)) as InvalidValuesContents;
    expect(error.message).toBe("input_values must be integer");
  });

  it("refuses a name that is not a strand", () => {
    expect(errorOf(() => twine.validate("nonsense" as StrandName, {}))).toBeInstanceOf(UnknownStrand);
  });

  it("raises StrandNotFound for a values strand the twine lacks", () => {
    const error = errorOf(() => twine.validate("configuration_values", {})) as StrandNotFound;
    expect(error).toBeInstanceOf(StrandNotFound);
    expect(error.message).toBe("Cannot validate - no configuration_values_schema strand in the twine");
    expect(error.strand).toBe("configuration_values");
  });

  it("raises StrandNotFound for a manifest strand the twine lacks", () => {
    const error = errorOf(() => twine.validate("input_manifest", MANIFEST)) as StrandNotFound;
    expect(error.message).toBe("Cannot validate - no input_manifest strand in the twine");
  });
});

describe("contents errors carry strand, pointer and a readable message", () => {
  const twine = loadTwine(
    {
      configuration_values_schema: { properties: { n_iterations: { type: "integer", maximum: 10 } } },
      input_values_schema: { type: "object", required: ["height"] },
    },
    quiet,
  );

  it("names the strand and the location in the data", () => {
    const error = errorOf(() => twine.validate("configuration_values", { n_iterations: 11 })) as InvalidValuesContents;
    expect(error.message).toBe("configuration_values/n_iterations must be <= 10");
    expect(error.strand).toBe("configuration_values");
    expect(error.pointer).toBe("/n_iterations");
    expect(error.isValidationError).toBe(true);
  });

  it("uses the strand alone for a failure at the root", () => {
    const error = errorOf(() => twine.validate("input_values", {})) as InvalidValuesContents;
    expect(error.message).toBe("input_values must have required property 'height'");
    expect(error.pointer).toBe("");
  });

  it("locates the failure in the data's file when it came from text", () => {
    const error = errorOf(() =>
      twine.validate("configuration_values", JsonSource.text('{\n  "n_iterations": 11\n}', "config.json")),
    ) as InvalidValuesContents;
    expect(error.location).toStrictEqual({ file: "config.json", line: 2, column: 19 });
  });
});

describe("validate(sources) orchestrator", () => {
  it("returns validated data, with null where none was given, and ignores non-strand keys", () => {
    const twine = loadTwine({ input_values_schema: {}, children: [] }, quiet);
    const result = twine.validate({ input_values: { a: 1 }, children: null, not_a_strand: 3 });
    expect(result).toStrictEqual({ input_values: { a: 1 }, children: null });
  });

  it("processes entries in insertion order and stops at the first error", () => {
    const twine = loadTwine({ input_values_schema: { type: "integer" }, output_values_schema: {} }, quiet);
    const first = errorOf(() => twine.validate({ input_values: "x", configuration_values: {} }));
    expect(first).toBeInstanceOf(InvalidValuesContents);
    const second = errorOf(() => twine.validate({ configuration_values: {}, input_values: "x" }));
    expect(second).toBeInstanceOf(StrandNotFound);
  });

  it("raises TwineValueException for a required strand without data, but not for an optional one", () => {
    const twine = loadTwine(
      { configuration_values_schema: {}, input_manifest: { datasets: {}, optional: true } },
      quiet,
    );
    const error = errorOf(() => twine.validate({ configuration_values: undefined })) as TwineValueException;
    expect(error).toBeInstanceOf(TwineValueException);
    expect(error.strand).toBe("configuration_values");
    expect(twine.validate({ input_manifest: null })).toStrictEqual({ input_manifest: null });
  });

  it("keeps Octue's allowExtra quirk: the strand's own validator still fails", () => {
    const twine = loadTwine({}, quiet);
    const values = errorOf(() => twine.validate({ input_values: {} }, { allowExtra: true })) as StrandNotFound;
    expect(values.message).toBe("Cannot validate - no input_values_schema strand in the twine");
    const children = [{ key: "gis", id: "x", backend: { name: "GCPPubSubBackend", project_id: "p" } }];
    expect(errorOf(() => twine.validate({ children }, { allowExtra: true }))).toBeInstanceOf(InvalidValuesContents);
  });

  it("checks credentials in the environment given", () => {
    const twine = loadTwine({ credentials: [{ name: "MY_TOKEN" }] }, quiet);
    const noDotenv = { dotenvPath: "/nonexistent/twined/.env" };
    expect(twine.validate({ credentials: [] }, { env: { MY_TOKEN: "t" }, credentials: noDotenv })).toStrictEqual({
      credentials: [],
    });
    expect(errorOf(() => twine.validate({ credentials: [] }, { env: {}, credentials: noDotenv }))).toBeInstanceOf(
      CredentialNotFound,
    );
  });

  it("never mutates the data or fills in defaults", () => {
    const twine = loadTwine(
      { input_values_schema: { type: "object", properties: { n: { type: "integer", default: 5 } } } },
      quiet,
    );
    const data = Object.freeze({ other: Object.freeze([1, 2]) });
    const result = twine.validate({ input_values: data });
    expect(result.input_values).toBe(data);
    expect(data).toStrictEqual({ other: [1, 2] });
  });
});

describe("convenience helpers", () => {
  const twine = loadTwine(
    {
      configuration_values_schema: { type: "object" },
      input_values_schema: { type: "object", required: ["x"] },
      input_manifest: { datasets: { a: {} } },
      output_values_schema: { type: "object", required: ["n_iterations"] },
      children: [{ key: "gis" }],
    },
    quiet,
  );
  const children = [{ key: "gis", id: "x", backend: { name: "GCPPubSubBackend", project_id: "p" } }];

  it("validateConfiguration checks configuration values and manifest", () => {
    expect(twine.validateConfiguration({ values: {} })).toStrictEqual({
      configuration_values: {},
      configuration_manifest: null,
    });
    expect(errorOf(() => twine.validateConfiguration({}))).toBeInstanceOf(TwineValueException);
  });

  it("validateInputs checks values, manifest and children", () => {
    expect(twine.validateInputs({ values: { x: 1 }, manifest: MANIFEST, children })).toStrictEqual({
      input_values: { x: 1 },
      input_manifest: MANIFEST,
      children,
    });
    expect(errorOf(() => twine.validateInputs({ values: { x: 1 }, manifest: MANIFEST, children: [] }))).toBeInstanceOf(
      InvalidValuesContents,
    );
    expect(errorOf(() => twine.validateInputs({ values: { x: 1 } }))).toBeInstanceOf(TwineValueException);
  });

  it("validateOutputs validates falsy outputs unless told to treat them as missing", () => {
    expect(errorOf(() => twine.validateOutputs({ values: {} }))).toBeInstanceOf(InvalidValuesContents);
    const asMissing = errorOf(() => twine.validateOutputs({ values: {} }, { falsyValuesAsMissing: true }));
    expect(asMissing).toBeInstanceOf(TwineValueException);
    expect((asMissing as Error).message).toBe(
      "The 'output_values' strand is defined in the twine, but no data is provided in sources",
    );
    expect(twine.validateOutputs({ values: { n_iterations: 10 } }, { falsyValuesAsMissing: true })).toStrictEqual({
      output_values: { n_iterations: 10 },
      output_manifest: null,
    });
  });

  it("validateOutputs with falsyValuesAsMissing drops every Python-falsy value", () => {
    const optional = loadTwine({ output_values_schema: { optional: true, type: "string", minLength: 1 } }, quiet);
    for (const value of [{}, [], 0, "", false, null]) {
      expect(optional.validateOutputs({ values: value }, { falsyValuesAsMissing: true })).toStrictEqual({
        output_values: null,
        output_manifest: null,
      });
    }
    expect(errorOf(() => optional.validateOutputs({ values: "" }))).toBeInstanceOf(InvalidValuesContents);
  });

  it("reports a missing manifest source with the manifest JSON error", () => {
    expect(errorOf(() => twine.validate("input_manifest", null))).toBeInstanceOf(InvalidManifestJson);
  });
});
