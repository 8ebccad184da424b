import type { ErrorObject, Options, ValidateFunction } from "ajv";
import { Ajv } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import draft06MetaSchema from "ajv/dist/refs/json-schema-draft-06.json" with { type: "json" };
import ajvDraft04Module from "ajv-draft-04";
import type { SourceLocation } from "../errors/base.js";
import { SchemaError, type StrandName, UnresolvableSchemaReference } from "../errors/twine-errors.js";
import { describeSchemaFailure, type ErrorsTextProvider } from "./ajv-error-text.js";
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

  const checker = schemaChecker(draft);
  let valid: boolean;
  try {
    valid = checker.validateSchema(usable) as boolean;
  } catch (error) {
    // ajv throws instead of reporting for some schemas (a `$schema` that is not a string), and its check recurses once
    // a level, so a schema nested thousands deep overflows the stack: both are schemas no data can be checked against.
    const reason = error instanceof RangeError ? "it is nested too deeply to check" : String((error as Error).message);
    throw fail(`The ${context.label} is not a valid JSON Schema (${draft}): ${reason}.`, context.pointer, error);
  }
  if (!valid) {
    const failure = describeSchemaFailure(checker, checker.errors as ErrorObject[] | null, "schema");
    throw fail(
      `The ${context.label} is not a valid JSON Schema (${draft}): ${failure.message}`,
      `${context.pointer}${failure.pointer}`,
    );
  }
  const ajv = createAjv(draft, { validateSchema: false });
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(usable);
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
  const guarded = guardAgainstEndlessRecursion(validate, (cause) =>
    fail(
      `Checking data against the ${context.label} recursed without end: a "$ref" leads back to a schema it came from without going deeper into the data (e.g. {"$ref": "#"}), or the data is nested too deeply for it. Make every reference cycle pass through "properties", "items" or another keyword that descends into the data.`,
      context.pointer,
      cause,
    ),
  );
  // A schema that recurses for any value fails here, when the twine is loaded, rather than at the first question.
  for (const probe of RECURSION_PROBES) guarded(probe);
  return { validate: guarded, errorsText: ajv, draft };
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

type AjvInstance = Ajv | Ajv2019 | Ajv2020;
type AjvConstructor = new (options: Options) => AjvInstance;

// ajv-draft-04 is CommonJS with only a default export; depending on the loader that arrives wrapped or not.
const AjvDraft04 = ((ajvDraft04Module as unknown as { default?: AjvConstructor }).default ??
  ajvDraft04Module) as unknown as AjvConstructor;

// Checking a schema against its draft's meta-schema means compiling that (large) meta-schema first. These instances
// do only that, once per draft per process; they never hold a user schema, so `$id`s cannot clash in them.
const schemaCheckers = new Map<SchemaDraft, AjvInstance>();

function schemaChecker(draft: SchemaDraft): AjvInstance {
  let checker = schemaCheckers.get(draft);
  if (checker === undefined) {
    checker = createAjv(draft);
    schemaCheckers.set(draft, checker);
  }
  return checker;
}

function createAjv(draft: SchemaDraft, extraOptions: Options = {}): AjvInstance {
  const options = { ...USER_SCHEMA_OPTIONS, ...extraOptions };
  let ajv: AjvInstance;
  switch (draft) {
    case "2020-12":
      ajv = new Ajv2020(options);
      break;
    case "2019-09":
      ajv = new Ajv2019(options);
      break;
    case "draft-07":
      ajv = new Ajv(options);
      break;
    case "draft-06":
      ajv = new Ajv(options);
      ajv.addMetaSchema(draft06MetaSchema);
      break;
    case "draft-04":
      ajv = new AjvDraft04(options);
      break;
  }
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
