import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { serviceEntrySchema } from "../../shared/config/service-configuration-schema.js";
import serviceCommunicationSchema from "../../shared/events/schemas/service-communication.schema.json" with {
  type: "json",
};
import childrenSchema from "../../shared/twine/schemas/children-0.2.0.schema.json" with { type: "json" };
import manifestSchema from "../../shared/twine/schemas/manifest-0.1.0.schema.json" with { type: "json" };
import twineSchema from "../../shared/twine/schemas/twine.schema.json" with { type: "json" };

// At run time these schemas compile without a meta-schema check (it costs a cold start dearly), so check them here.
describe("Twined's own JSON Schemas", () => {
  it.each([
    ["twine meta-schema", twineSchema],
    ["manifest 0.1.0", manifestSchema],
    ["children 0.2.0", childrenSchema],
    ["service communication", serviceCommunicationSchema],
  ])("the %s is a valid JSON Schema 2020-12 and compiles in strict mode", (_name, schema) => {
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it("the octue.yaml service-entry schema is a valid draft-07 JSON Schema", () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(ajv.validateSchema(serviceEntrySchema), ajv.errorsText(ajv.errors)).toBe(true);
    expect(() => ajv.compile(serviceEntrySchema)).not.toThrow();
  });
});
