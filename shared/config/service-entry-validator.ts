import type { ValidateFunction } from "ajv";
import { type FixedSchemaSet, fixedValidators } from "../validation/fixed-validators.js";
import { serviceEntrySchema } from "./service-configuration-schema.js";

/** One `services` entry of octue.yaml; every problem is reported at once, each at its own place in the file. */
export const SERVICE_ENTRY_SCHEMA_SET: FixedSchemaSet<"entry"> = {
  id: "service-entry",
  draft: "draft-07",
  options: { allErrors: true, strict: true, allowUnionTypes: true, validateSchema: false },
  schemas: [{ schema: serviceEntrySchema, key: "twined:service-entry" }],
  exports: { entry: "twined:service-entry" },
};

export function serviceEntryValidator(): ValidateFunction {
  return fixedValidators(SERVICE_ENTRY_SCHEMA_SET).entry;
}
