import type { AnySchema, ErrorObject, Options, ValidateFunction } from "ajv";
import type { SourceLocation } from "../errors/base.js";
import { SchemaError, type StrandName, UnresolvableSchemaReference } from "../errors/twine-errors.js";
import {
  type AjvInstance,
  createAjvFor,
  type FixedSchemaSet,
  fixedValidators,
} from "../validation/fixed-validators.js";
import { standaloneCode } from "../validation/standalone-code.js";
import { type ValidatorCache, validatorCache, validatorCacheKey } from "../validation/validator-cache.js";
import { ajvErrorsText, describeSchemaFailure, type ErrorsTextProvider } from "./ajv-error-text.js";
import { isJsonObject } from "./json-values.js";
import { BUNDLED_SCHEMAS } from "./registry-schemas.js";

export type SchemaDraft = "2020-12" | "2019-09" | "draft-07" | "draft-06" | "draft-04";

/** Settings every user schema is compiled with (see the ajv notes in the twine spec). */
const USER_SCHEMA_OPTIONS: Options = {
  // Strand schemas carry Octue's own `optional` keyword, which strict mode would refuse.
  strict: false,
  // Octue's Python validator treats `format` as an annotation only.
  validateFormats: false,
  useDefaults: false,
  coerceTypes: false,
  allErrors: false,
};

const KNOWN_DRAFTS: ReadonlyMap<string, SchemaDraft | "draft-03"> = new Map([
  ["https://json-schema.org/draft/2020-12/schema", "2020-12"],
  ["https://json-schema.org/draft/2019-09/schema", "2019-09"],
  ["http://json-schema.org/draft-07/schema", "draft-07"],
  ["http://json-schema.org/draft-06/schema", "draft-06"],
  ["http://json-schema.org/draft-04/schema", "draft-04"],
  ["http://json-schema.org/draft-03/schema", "draft-03"],
]);

/** The validator a compiled schema gives, with the ajv instance that can describe its errors. */
export interface CompiledSchema {
  readonly validate: ValidateFunction;
  readonly errorsText: ErrorsTextProvider;
  readonly draft: SchemaDraft;
}

export interface CompileContext {
  /** The strand the schema belongs to (a file-tags template belongs to its manifest strand). */
  readonly strand: StrandName;
  /** What to call the schema in messages, e.g. `input_values schema`. */
  readonly label: string;
  /** JSON pointer of the schema inside the twine. */
  readonly pointer: string;
  /** Maps a pointer into the twine to a place in its file, when the twine came from text. */
  readonly locate?: (pointer: string) => SourceLocation | undefined;
  readonly onWarning: (message: string) => void;
}

/** Which draft a schema is written in, from its `$schema` (a trailing `#` does not matter). */
export function draftOf(schema: unknown): { draft: SchemaDraft | "draft-03"; unknownUri?: string } {
  const declared = isJsonObject(schema) ? schema.$schema : undefined;
  if (typeof declared !== "string") return { draft: "2020-12" };
  const draft = KNOWN_DRAFTS.get(declared.replace(/#$/, ""));
  return draft === undefined ? { draft: "2020-12", unknownUri: declared } : { draft };
}

/**
 * Compiles a user schema (a values strand, a monitor-message schema or a file-tags template) with the ajv class its
 * `$schema` calls for. It is checked against its meta-schema first, then compiled in a fresh instance so that `$id`s
 * in different schemas never clash.
 *
 * @throws SchemaError when the schema is not valid for its draft or cannot be compiled (e.g. a Python-only regex).
 * @throws UnresolvableSchemaReference for a `$ref` to a schema we do not bundle.
 */
export function compileUserSchema(schema: unknown, context: CompileContext): CompiledSchema {
  const fail = (message: string, pointer = context.pointer, cause?: unknown): SchemaError =>
    new SchemaError(message, {
      strand: context.strand,
      pointer,
      location: context.locate?.(pointer) ?? undefined,
      cause,
    });

  if (!isJsonObject(schema) && typeof schema !== "boolean") {
    throw fail(`The ${context.label} must be a JSON Schema (an object or a boolean), not ${typeOfJson(schema)}.`);
  }
  const { draft, unknownUri } = draftOf(schema);
  if (draft === "draft-03") {
    throw fail(`The ${context.label} uses JSON Schema draft-03, which is not supported; use draft-04 or later.`);
  }
  let usable = schema;
  if (unknownUri !== undefined && isJsonObject(schema)) {
    // ajv refuses a `$schema` it does not know, whereas Octue falls back to the latest draft; do the same on a copy.
    const { $schema: _ignored, ...rest } = schema;
    usable = rest;
    context.onWarning(
      `The ${context.label} declares an unknown $schema ${JSON.stringify(unknownUri)}; it is validated as JSON Schema 2020-12. Set "$schema" to a known draft URI.`,
    );
  }

  const cache = validatorCache();
  const key =
    cache === undefined ? undefined : validatorCacheKey({ draft, schema: usable, options: USER_SCHEMA_OPTIONS });
  // A schema found in the cache passed every check below when it was stored.
  let validate = key === undefined ? undefined : cache?.load(key);
  let generateCode: (() => string) | undefined;
  if (validate === undefined) {
    checkAgainstMetaSchema(usable, draft, context, fail);
    const ajv = createAjv(draft, cache !== undefined);
    validate = compileChecked(ajv, usable, draft, context, fail);
    const compiled = validate;
    generateCode = () => standaloneCode(ajv, compiled);
  }
  const guarded = guardAgainstEndlessRecursion(validate, (cause) =>
    fail(
      `Checking data against the ${context.label} recursed without end: a "$ref" leads back to a schema it came from without going deeper into the data (e.g. {"$ref": "#"}), or the data is nested too deeply for it. Make every reference cycle pass through "properties", "items" or another keyword that descends into the data.`,
      context.pointer,
      cause,
    ),
  );
  // A schema that recurses for any value fails here, when the twine is loaded, rather than at the first question.
  for (const probe of RECURSION_PROBES) guarded(probe);
  if (key !== undefined && generateCode !== undefined) storeQuietly(cache, key, generateCode);
  return { validate: guarded, errorsText: ajvErrorsText, draft };
}

function storeQuietly(cache: ValidatorCache | undefined, key: string, generateCode: () => string): void {
  let code: string;
  try {
    code = generateCode();
  } catch {
    // ajv cannot make standalone code of every schema; such a schema is compiled at every start, as before.
    return;
  }
  cache?.store(key, code);
}

type Fail = (message: string, pointer?: string, cause?: unknown) => SchemaError;

function checkAgainstMetaSchema(usable: unknown, draft: SchemaDraft, context: CompileContext, fail: Fail): void {
  let valid: boolean;
  let metaValidate: ValidateFunction | undefined;
  try {
    metaValidate = metaSchemaValidator(draft);
    // What ajv's validateSchema does before validating: a boolean schema is valid, a `$schema` must be text.
    if (isJsonObject(usable) && usable.$schema !== undefined && typeof usable.$schema !== "string") {
      throw new Error("$schema must be a string");
    }
    valid = typeof usable === "boolean" || (metaValidate(usable) as boolean);
  } catch (error) {
    // The check recurses once a level, so a schema nested thousands deep overflows the stack: like a `$schema` that
    // is not text, a schema no data can be checked against.
    const reason = error instanceof RangeError ? "it is nested too deeply to check" : String((error as Error).message);
    throw fail(`The ${context.label} is not a valid JSON Schema (${draft}): ${reason}.`, context.pointer, error);
  }
  if (!valid) {
    const failure = describeSchemaFailure(ajvErrorsText, metaValidate.errors as ErrorObject[] | null, "schema");
    throw fail(
      `The ${context.label} is not a valid JSON Schema (${draft}): ${failure.message}`,
      `${context.pointer}${failure.pointer}`,
    );
  }
}

function compileChecked(
  ajv: AjvInstance,
  usable: unknown,
  draft: SchemaDraft,
  context: CompileContext,
  fail: Fail,
): ValidateFunction {
  try {
    return ajv.compile(usable as AnySchema);
  } catch (error) {
    const missingRef = missingReferenceOf(error);
    if (missingRef !== undefined) {
      throw new UnresolvableSchemaReference(missingRef, {
        strand: context.strand,
        pointer: context.pointer,
        location: context.locate?.(context.pointer) ?? undefined,
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw fail(`The ${context.label} cannot be compiled (${draft}): ${reason}`, context.pointer, error);
  }
}

/** One value of each JSON type: a reference cycle that never descends recurses for at least one of them. */
const RECURSION_PROBES: readonly unknown[] = [null, true, 0, 0.5, "", [], {}];

/**
 * ajv compiles a schema that refers back to itself without descending (`{"$ref": "#"}`, or such a cycle through
 * `allOf`/`anyOf`) into functions that call each other until the stack overflows. The validator it returns carries its
 * last errors as a property, so the guard forwards that too.
 */
function guardAgainstEndlessRecursion(
  validate: ValidateFunction,
  refuse: (cause: RangeError) => SchemaError,
): ValidateFunction {
  const guarded = (data: unknown): boolean => {
    try {
      return validate(data) as boolean;
    } catch (error) {
      if (error instanceof RangeError) throw refuse(error);
      throw error;
    }
  };
  Object.defineProperty(guarded, "errors", { get: () => validate.errors });
  return Object.assign(guarded, { schema: validate.schema, schemaEnv: validate.schemaEnv }) as ValidateFunction;
}

const META_SCHEMA_URIS: Readonly<Record<SchemaDraft, string>> = {
  "2020-12": "https://json-schema.org/draft/2020-12/schema",
  "2019-09": "https://json-schema.org/draft/2019-09/schema",
  "draft-07": "http://json-schema.org/draft-07/schema",
  "draft-06": "http://json-schema.org/draft-06/schema",
  "draft-04": "http://json-schema.org/draft-04/schema",
};

/**
 * Each draft's meta-schema, which a user schema is checked against before it is compiled. Compiling one (the
 * 2020-12 meta-schema is large) was most of a cold `twined service validate`, so the build precompiles them.
 */
export const META_SCHEMA_SETS: Readonly<Record<SchemaDraft, FixedSchemaSet<"meta">>> = {
  "2020-12": metaSchemaSet("2020-12"),
  "2019-09": metaSchemaSet("2019-09"),
  "draft-07": metaSchemaSet("draft-07"),
  "draft-06": metaSchemaSet("draft-06"),
  "draft-04": metaSchemaSet("draft-04"),
};

function metaSchemaSet(draft: SchemaDraft): FixedSchemaSet<"meta"> {
  return {
    id: `meta-schema-${draft}`,
    draft,
    options: USER_SCHEMA_OPTIONS,
    schemas: [],
    exports: { meta: META_SCHEMA_URIS[draft] },
  };
}

function metaSchemaValidator(draft: SchemaDraft): ValidateFunction {
  return fixedValidators(META_SCHEMA_SETS[draft]).meta;
}

/**
 * A fresh instance per user schema, so that `$id`s in different schemas never clash. The schema was checked against
 * its meta-schema already, so ajv is not asked to again.
 */
function createAjv(draft: SchemaDraft, keepSource: boolean): AjvInstance {
  // Keeping the generated source is what lets the cache store it as standalone code.
  const ajv = createAjvFor(draft, { ...USER_SCHEMA_OPTIONS, validateSchema: false, code: { source: keepSource } });
  // Registered without checking them against this instance's meta-schema: they are 2020-12 whatever the draft here.
  for (const [uri, schema] of BUNDLED_SCHEMAS) ajv.addSchema(schema, uri, undefined, false);
  return ajv;
}

function missingReferenceOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("missingRef" in error)) return undefined;
  const missingRef: unknown = error.missingRef;
  return typeof missingRef === "string" ? missingRef : undefined;
}

function typeOfJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
