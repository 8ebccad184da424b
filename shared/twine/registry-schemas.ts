import type { AnySchema, ValidateFunction } from "ajv";
import { type FixedSchemaSet, fixedValidators } from "../validation/fixed-validators.js";
import childrenSchema from "./schemas/children-0.2.0.schema.json" with { type: "json" };
import manifestSchema from "./schemas/manifest-0.1.0.schema.json" with { type: "json" };
import twineSchema from "./schemas/twine.schema.json" with { type: "json" };

/** Where Octue publishes the schemas manifests and children are checked against. We bundle them: never fetched. */
export const MANIFEST_SCHEMA_URI = "https://jsonschema.registry.octue.com/octue/manifest/0.1.0.json";
export const CHILDREN_SCHEMA_URI = "https://jsonschema.registry.octue.com/octue/children/0.2.0.json";

/** The bundled registry schemas by URI, so any ajv instance (and any `$ref` in a user schema) can resolve them. */
export const BUNDLED_SCHEMAS: ReadonlyMap<string, AnySchema> = new Map<string, AnySchema>([
  [MANIFEST_SCHEMA_URI, manifestSchema],
  [CHILDREN_SCHEMA_URI, childrenSchema],
]);

/** The key the twine meta-schema (which has no `$id`) is registered under. */
const TWINE_SCHEMA_KEY = "twined:twine";

/**
 * The twine meta-schema and the two registry schemas. They are ours, so unlike user schemas they compile in ajv's
 * strict mode; checking them against the 2020-12 meta-schema is left to a test (test/shared/own-schemas.test.ts).
 */
export const REGISTRY_SCHEMA_SET: FixedSchemaSet<"twine" | "manifest" | "children"> = {
  id: "registry-schemas",
  draft: "2020-12",
  options: {
    strict: true,
    validateSchema: false,
    validateFormats: false,
    useDefaults: false,
    coerceTypes: false,
    allErrors: false,
  },
  schemas: [
    ...[...BUNDLED_SCHEMAS].map(([key, schema]) => ({ schema, key })),
    { schema: twineSchema, key: TWINE_SCHEMA_KEY },
  ],
  exports: { twine: TWINE_SCHEMA_KEY, manifest: MANIFEST_SCHEMA_URI, children: CHILDREN_SCHEMA_URI },
};

export interface RegistryValidators {
  readonly twine: ValidateFunction;
  readonly manifest: ValidateFunction;
  readonly children: ValidateFunction;
}

/** The registry validators, precompiled by the build or compiled once per process on first use. */
export function registryValidators(): RegistryValidators {
  return fixedValidators(REGISTRY_SCHEMA_SET);
}
