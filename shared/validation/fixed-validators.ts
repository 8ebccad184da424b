/**
 * Validators of the schemas that ship with Twined (the twine meta-schema, the event envelopes, the octue.yaml entry,
 * the question request, the JSON Schema drafts' meta-schemas). `npm run build` writes each set as ajv standalone code
 * beside this module (`precompiled/<name>.cjs`), so a built `twined` or function never compiles them; run from source
 * (tsx, the tests) they are compiled on first use, from the same definition.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { AnySchema, Options, ValidateFunction } from "ajv";

/** The ajv class a schema set is compiled with, by the JSON Schema draft it is written in. */
export type AjvDraft = "2020-12" | "2019-09" | "draft-07" | "draft-06" | "draft-04";

export interface FixedSchemaSet<Name extends string = string> {
  /** The standalone module's file name, `precompiled/<id>.cjs`. */
  readonly id: string;
  readonly draft: AjvDraft;
  readonly options: Options;
  /** Added to the instance before compiling; `key` names a schema without an `$id`. */
  readonly schemas: readonly { readonly schema: AnySchema; readonly key?: string }[];
  /** Each validator the set gives, by the reference (`$id`, key or `$id#/$defs/…`) it is compiled from. */
  readonly exports: Readonly<Record<Name, string>>;
}

/** The subset of an ajv instance this module uses (every ajv class has it). */
export interface AjvInstance {
  addSchema(schema: AnySchema, key?: string, meta?: boolean, validate?: boolean): unknown;
  addMetaSchema(schema: AnySchema): unknown;
  getSchema(ref: string): ValidateFunction | undefined;
  compile(schema: AnySchema): ValidateFunction;
}

// ajv is CommonJS: required only when something must be compiled, so a start that finds every validator precompiled
// does not load ajv's compiler at all.
const requireHere = createRequire(import.meta.url);

/** A fresh ajv instance of the class a draft needs, with the meta-schema draft-06 lacks from ajv's default set. */
export function createAjvFor(draft: AjvDraft, options: Options): AjvInstance {
  const construct = (exported: unknown): AjvInstance => {
    const Class = exported as new (options: Options) => AjvInstance;
    return new Class(options);
  };
  switch (draft) {
    case "2020-12":
      return construct((requireHere("ajv/dist/2020.js") as { Ajv2020: unknown }).Ajv2020);
    case "2019-09":
      return construct((requireHere("ajv/dist/2019.js") as { Ajv2019: unknown }).Ajv2019);
    case "draft-07":
      return construct((requireHere("ajv") as { Ajv: unknown }).Ajv);
    case "draft-06": {
      const ajv = construct((requireHere("ajv") as { Ajv: unknown }).Ajv);
      ajv.addMetaSchema(requireHere("ajv/dist/refs/json-schema-draft-06.json") as AnySchema);
      return ajv;
    }
    case "draft-04": {
      const module = requireHere("ajv-draft-04") as { default?: unknown };
      return construct(module.default ?? module);
    }
  }
}

/** An instance with the set's schemas added, ready to compile or to generate standalone code from. */
export function instanceFor(set: FixedSchemaSet, extraOptions: Options = {}): AjvInstance {
  const ajv = createAjvFor(set.draft, { ...set.options, ...extraOptions });
  for (const { schema, key } of set.schemas) ajv.addSchema(schema, key);
  return ajv;
}

const loaded = new Map<string, Readonly<Record<string, ValidateFunction>>>();

/** The set's validators: precompiled when `npm run build` wrote them, else compiled now (once per process). */
export function fixedValidators<Name extends string>(
  set: FixedSchemaSet<Name>,
): Readonly<Record<Name, ValidateFunction>> {
  let validators = loaded.get(set.id);
  if (validators === undefined) {
    validators = precompiled(set) ?? compiled(set);
    loaded.set(set.id, validators);
  }
  return validators as Readonly<Record<Name, ValidateFunction>>;
}

/** Where the build writes a set's standalone module, relative to this file. */
export function precompiledFileName(set: FixedSchemaSet): string {
  return `${set.id}.cjs`;
}

/** What a standalone module was generated from; a module whose fingerprint differs is stale and not used. */
export function fingerprintOf(set: FixedSchemaSet): string {
  const { draft, options, schemas, exports } = set;
  return createHash("sha256").update(JSON.stringify({ draft, options, schemas, exports })).digest("hex");
}

/** The name of the export a standalone module carries its fingerprint in. */
export const FINGERPRINT_EXPORT = "twinedFingerprint";

function precompiled(set: FixedSchemaSet): Readonly<Record<string, ValidateFunction>> | undefined {
  let module: Record<string, unknown>;
  try {
    module = requireHere(`./precompiled/${precompiledFileName(set)}`) as Record<string, unknown>;
  } catch (error) {
    // From source there is no build output; anything else (a corrupt file) is a broken installation worth knowing of.
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw error;
  }
  if (module[FINGERPRINT_EXPORT] !== fingerprintOf(set)) return undefined;
  const validators: Record<string, ValidateFunction> = {};
  for (const name of Object.keys(set.exports)) {
    const validate = module[name];
    // A module from an older build that lacks an export is not trusted at all: compile the whole set instead.
    if (typeof validate !== "function") return undefined;
    validators[name] = validate as ValidateFunction;
  }
  return validators;
}

function compiled(set: FixedSchemaSet): Readonly<Record<string, ValidateFunction>> {
  const ajv = instanceFor(set);
  const validators: Record<string, ValidateFunction> = {};
  for (const [name, ref] of Object.entries<string>(set.exports)) {
    const validate = ajv.getSchema(ref);
    if (validate === undefined) throw new Error(`the fixed schema set ${set.id} has no schema ${ref}`);
    validators[name] = validate;
  }
  return validators;
}
