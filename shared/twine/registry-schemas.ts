import type { AnySchema, ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
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

export interface RegistryValidators {
  readonly ajv: Ajv2020;
  readonly twine: ValidateFunction;
  readonly manifest: ValidateFunction;
  readonly children: ValidateFunction;
}

let compiled: RegistryValidators | undefined;

/**
 * The twine meta-schema and the two registry schemas, compiled once per process on first use. They are ours, so
 * unlike user schemas they compile in ajv's strict mode.
 */
export function registryValidators(): RegistryValidators {
  if (compiled === undefined) {
    const ajv = new Ajv2020({
      strict: true,
      // Checking our own schemas against the 2020-12 meta-schema would compile that meta-schema at every cold start;
      // a test checks them instead (test/shared/own-schemas.test.ts).
      validateSchema: false,
      validateFormats: false,
      useDefaults: false,
      coerceTypes: false,
      allErrors: false,
    });
    for (const [uri, schema] of BUNDLED_SCHEMAS) ajv.addSchema(schema, uri);
    compiled = {
      ajv,
      twine: ajv.compile(twineSchema),
      manifest: requireValidator(ajv, MANIFEST_SCHEMA_URI),
      children: requireValidator(ajv, CHILDREN_SCHEMA_URI),
    };
  }
  return compiled;
}

function requireValidator(ajv: Ajv2020, uri: string): ValidateFunction {
  const validate = ajv.getSchema(uri);
  if (validate === undefined) throw new Error(`bundled schema ${uri} is not registered`);
  return validate;
}
