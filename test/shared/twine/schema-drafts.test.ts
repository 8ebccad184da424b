import { describe, expect, it } from "vitest";
import { InvalidValuesContents, SchemaError, UnresolvableSchemaReference } from "../../../shared/errors/index.js";
import { draftOf, loadTwine, type Twine } from "../../../shared/twine/index.js";
import { errorOf } from "../../support/error-of.js";

function twineWithInput(schema: unknown, warnings: string[] = []): Twine {
  return loadTwine({ input_values_schema: schema }, { onWarning: (message) => warnings.push(message) });
}

describe("draft selection", () => {
  it("maps $schema URIs to drafts, ignoring a trailing #", () => {
    expect(draftOf({})).toStrictEqual({ draft: "2020-12" });
    expect(draftOf(true)).toStrictEqual({ draft: "2020-12" });
    expect(draftOf({ $schema: "https://json-schema.org/draft/2020-12/schema#" })).toStrictEqual({ draft: "2020-12" });
    expect(draftOf({ $schema: "https://json-schema.org/draft/2019-09/schema" })).toStrictEqual({ draft: "2019-09" });
    expect(draftOf({ $schema: "http://json-schema.org/draft-07/schema#" })).toStrictEqual({ draft: "draft-07" });
    expect(draftOf({ $schema: "http://json-schema.org/draft-06/schema" })).toStrictEqual({ draft: "draft-06" });
    expect(draftOf({ $schema: "http://json-schema.org/draft-04/schema#" })).toStrictEqual({ draft: "draft-04" });
    expect(draftOf({ $schema: "http://json-schema.org/draft-03/schema#" })).toStrictEqual({ draft: "draft-03" });
    expect(draftOf({ $schema: "http://json-schema.org/2019-09/schema#" })).toStrictEqual({
      draft: "2020-12",
      unknownUri: "http://json-schema.org/2019-09/schema#",
    });
  });

  it("2019-09: supports its keywords (dependentRequired, unevaluatedProperties)", () => {
    const twine = twineWithInput({
      $schema: "https://json-schema.org/draft/2019-09/schema",
      type: "object",
      properties: { a: { type: "number" } },
      dependentRequired: { a: ["b"] },
      unevaluatedProperties: false,
    });
    expect(() => twine.validate("input_values", { a: 1 })).toThrow(InvalidValuesContents);
    const error = errorOf(() => twine.validate("input_values", { c: 1 })) as InvalidValuesContents;
    expect(error.message).toBe("input_values must NOT have unevaluated properties ('c' was unexpected)");
    expect(twine.validate("input_values", {})).toStrictEqual({});
  });

  it("draft-07: applies tuple items with additionalItems", () => {
    const twine = twineWithInput({
      $schema: "http://json-schema.org/draft-07/schema#",
      properties: { x: { type: "array", items: [{ type: "number" }, { type: "string" }], additionalItems: false } },
    });
    expect(twine.validate("input_values", { x: [1, "a"] })).toStrictEqual({ x: [1, "a"] });
    const wrongType = errorOf(() => twine.validate("input_values", { x: ["a"] })) as InvalidValuesContents;
    expect(wrongType.pointer).toBe("/x/0");
    expect(() => twine.validate("input_values", { x: [1, "a", 3] })).toThrow(InvalidValuesContents);
  });

  it("2020-12: rejects tuple-form items as a schema error, not a contents error", () => {
    const twine = twineWithInput({ properties: { x: { items: [{ type: "number" }] } } });
    const error = errorOf(() => twine.validate("input_values", { x: [1] }));
    expect(error).toBeInstanceOf(SchemaError);
    expect(error).not.toBeInstanceOf(InvalidValuesContents);
    expect((error as SchemaError).strand).toBe("input_values");
    expect((error as SchemaError).pointer).toBe("/input_values_schema/properties/x/items");
  });

  it("draft-06: validates with the draft-06 meta-schema (e.g. numeric exclusiveMaximum, contains)", () => {
    const twine = twineWithInput({
      $schema: "http://json-schema.org/draft-06/schema#",
      properties: { n: { exclusiveMaximum: 3 }, list: { contains: { const: 1 } } },
    });
    expect(twine.validate("input_values", { n: 2, list: [1] })).toStrictEqual({ n: 2, list: [1] });
    expect(() => twine.validate("input_values", { n: 3 })).toThrow(InvalidValuesContents);
    expect(() => twine.validate("input_values", { list: [2] })).toThrow(InvalidValuesContents);
    const invalid = twineWithInput({ $schema: "http://json-schema.org/draft-06/schema#", exclusiveMaximum: true });
    expect(() => invalid.validate("input_values", 1)).toThrow(SchemaError);
  });

  it("draft-04: uses boolean exclusiveMaximum and `id`", () => {
    const twine = twineWithInput({
      $schema: "http://json-schema.org/draft-04/schema#",
      id: "http://example.com/input",
      properties: { n: { type: "integer", maximum: 3, exclusiveMaximum: true } },
    });
    expect(twine.validate("input_values", { n: 2 })).toStrictEqual({ n: 2 });
    const error = errorOf(() => twine.validate("input_values", { n: 3 })) as InvalidValuesContents;
    expect(error).toBeInstanceOf(InvalidValuesContents);
    expect(error.pointer).toBe("/n");
  });

  it("draft-03: is refused with SchemaError", () => {
    const twine = twineWithInput({ $schema: "http://json-schema.org/draft-03/schema#", type: "object" });
    const error = errorOf(() => twine.validate("input_values", {})) as SchemaError;
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.message).toMatch(/draft-03/);
    expect(error.strand).toBe("input_values");
  });

  it("an unknown $schema falls back to 2020-12 with one warning, without touching the twine", () => {
    const warnings: string[] = [];
    const schema = { $schema: "http://json-schema.org/2019-09/schema#", type: "object", required: ["a"] };
    const twine = twineWithInput(schema, warnings);
    expect(twine.validate("input_values", { a: 1 })).toStrictEqual({ a: 1 });
    expect(() => twine.validate("input_values", {})).toThrow(InvalidValuesContents);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("http://json-schema.org/2019-09/schema#");
    expect(warnings[0]).toContain("2020-12");
    expect(schema.$schema).toBe("http://json-schema.org/2019-09/schema#");
  });

  it("treats format as an annotation", () => {
    const twine = twineWithInput({ properties: { e: { type: "string", format: "email" } } });
    expect(twine.validate("input_values", { e: "not an email" })).toStrictEqual({ e: "not an email" });
  });

  it("ignores the optional keyword inside the schema", () => {
    const twine = twineWithInput({ optional: true, type: "object", required: ["a"] });
    expect(() => twine.validate("input_values", { b: 1 })).toThrow(InvalidValuesContents);
  });

  it("reports a Python-only regex as SchemaError", () => {
    const twine = twineWithInput({ type: "string", pattern: "(?P<name>x)" });
    const error = errorOf(() => twine.validate("input_values", "x")) as SchemaError;
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.pointer).toBe("/input_values_schema");
  });

  it("never fetches remote references", () => {
    const twine = twineWithInput({ $ref: "https://example.com/schemas/thing.json" });
    const error = errorOf(() => twine.validate("input_values", {})) as UnresolvableSchemaReference;
    expect(error).toBeInstanceOf(UnresolvableSchemaReference);
    expect(error.reference).toBe("https://example.com/schemas/thing.json");
    expect(error.strand).toBe("input_values");
  });

  it("resolves references to the bundled registry schemas", () => {
    const twine = twineWithInput({ $ref: "https://jsonschema.registry.octue.com/octue/manifest/0.1.0.json" });
    expect(twine.validate("input_values", { id: "x", datasets: {} })).toStrictEqual({ id: "x", datasets: {} });
    expect(() => twine.validate("input_values", { datasets: {} })).toThrow(InvalidValuesContents);
  });

  it("lets strands reuse the same $id without clashing", () => {
    const twine = loadTwine(
      {
        input_values_schema: { $id: "https://example.com/same", type: "object" },
        output_values_schema: { $id: "https://example.com/same", type: "array" },
      },
      { onWarning: () => {} },
    );
    expect(twine.validate("input_values", {})).toStrictEqual({});
    expect(twine.validate("output_values", [])).toStrictEqual([]);
  });

  it("refuses a monitor message schema that is not a schema at all", () => {
    const twine = loadTwine({ monitor_message_schema: 5 }, { onWarning: () => {} });
    expect(() => twine.validate("monitor_message", {})).toThrow(SchemaError);
  });

  it("locates schema errors in the twine file", () => {
    const text = '{\n  "input_values_schema": {\n    "type": "object",\n    "required": "height"\n  }\n}';
    const twine = loadTwine(text, { onWarning: () => {} });
    const error = errorOf(() => twine.validate("input_values", {})) as SchemaError;
    expect(error.pointer).toBe("/input_values_schema/required");
    expect(error.location).toStrictEqual({ line: 4, column: 17 });
  });
});
