import type { SourceLocation } from "../errors/base.js";
import {
  InvalidManifestContents,
  InvalidMonitorMessage,
  InvalidValuesContents,
  pythonRepr,
  SchemaError,
  type StrandName,
  StrandNotFound,
  TwineValueException,
  UnknownStrand,
} from "../errors/twine-errors.js";
import { jsonPointer, locatePointer } from "../json/index.js";
import { ajvErrorsText, describeSchemaFailure } from "./ajv-error-text.js";
import {
  type CheckCredentialsOptions,
  type CheckedCredentials,
  checkCredentials,
  type Environment,
} from "./credentials.js";
import { type DatafileTagsResolver, datafileTagsInManifest } from "./datafile-tags.js";
import { JsonSource, type LoadedJson, loadStrandData, noDataSourceError } from "./json-source.js";
import { isJsonObject, type JsonObject } from "./json-values.js";
import { registryValidators } from "./registry-schemas.js";
import { type CompiledSchema, compileUserSchema } from "./schema-compiler.js";
import {
  isManifestStrand,
  isSchemaStrand,
  isStrandName,
  MANIFEST_STRANDS,
  type ManifestStrandName,
  SCHEMA_STRANDS,
  type SchemaStrandName,
  strandNameOfKey,
  type TaggedManifestStrandName,
  twineKeyOf,
} from "./strands.js";
import type { ChildSpec, CredentialSpec, ManifestStrand, StrandSources, ValidatedStrands } from "./twine-types.js";

export interface TwineOptions {
  /** Receives warnings (e.g. a strand schema with an unknown `$schema`). Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
  /** The text the twine was parsed from, so schema errors can give a line and column. */
  readonly sourceText?: string;
  /** The twine's file name, for error locations. */
  readonly origin?: string;
}

export interface ValidateOptions {
  /**
   * Skip the check that every strand given data exists in the twine. Octue's quirk is kept: the strand's own validator
   * still runs, so values and manifest strands then fail with `StrandNotFound` anyway.
   */
  readonly allowExtra?: boolean;
  /** The environment `credentials` are checked in. Default `process.env`. */
  readonly env?: Environment;
  /** Passed on to {@link Twine.checkCredentials}. */
  readonly credentials?: CheckCredentialsOptions;
}

export interface ValidateOutputsOptions extends ValidateOptions {
  /**
   * Treat falsy outputs (`{}`, `[]`, `0`, `""`, `false`, `null`) as "no data", as Octue does when an analysis is
   * finalised: an app that never touched its `{}` output values then fails a non-optional `output_values_schema`
   * with `TwineValueException` instead of being validated. Default `false` (every non-null value is validated).
   * Applies to plain values only, not to {@link JsonSource}s.
   */
  readonly falsyValuesAsMissing?: boolean;
}

export interface ValidateFileTagsOptions {
  /** Lists a dataset's datafiles and their tags. Default: datafile objects serialised in the manifest itself. */
  readonly datafilesOf?: DatafileTagsResolver;
}

/**
 * A loaded, meta-schema-valid twine: the data interface of a service. Create one with `loadTwine`. Strand schemas
 * are compiled on first use and the compiled validators are kept for the life of the instance.
 *
 * Strand data may be given as a plain value, which is taken as already-parsed JSON (so a string is a JSON string,
 * never text to parse), or as a {@link JsonSource}. `null` and `undefined` mean that no data is provided.
 */
export class Twine {
  /** The twine JSON. Not copied: do not change it after loading. */
  readonly raw: Readonly<JsonObject>;
  /** Every top-level key, with a trailing `_schema` removed (so also non-strand keys such as `title`). */
  readonly availableStrands: ReadonlySet<string>;
  /** The keys (as in `availableStrands`) holding an object whose `optional` is not `true`. */
  readonly requiredStrands: ReadonlySet<string>;
  /** The manifest strands the twine has. */
  readonly availableManifestStrands: ReadonlySet<string>;
  /** The twine's file, when it was loaded from one. */
  readonly origin: string | undefined;

  private readonly onWarning: (message: string) => void;
  private readonly sourceText: string | undefined;
  // Compiled validators (or the SchemaError compiling gave) by strand, or by `<strand>/<dataset>` for templates.
  private readonly compiledSchemas = new Map<string, CompiledSchema | SchemaError>();

  /** Prefer `loadTwine`, which checks the twine against the meta-schema and the version first. */
  constructor(raw: JsonObject, options: TwineOptions = {}) {
    this.raw = raw;
    this.origin = options.origin;
    this.sourceText = options.sourceText;
    this.onWarning = options.onWarning ?? ((message) => process.emitWarning(message, "TwinedWarning"));
    const available = new Set<string>();
    const required = new Set<string>();
    for (const [key, value] of Object.entries(raw)) {
      const name = strandNameOfKey(key);
      available.add(name);
      if (isJsonObject(value) && value.optional !== true) required.add(name);
    }
    this.availableStrands = available;
    this.requiredStrands = required;
    this.availableManifestStrands = new Set(MANIFEST_STRANDS.filter((strand) => available.has(strand)));
  }

  /** The `children` strand, if the twine has one. */
  get children(): readonly ChildSpec[] | undefined {
    const children = this.raw.children;
    return Array.isArray(children) ? (children as ChildSpec[]) : undefined;
  }

  /** The `credentials` strand, if the twine has one. */
  get credentials(): readonly CredentialSpec[] | undefined {
    const credentials = this.raw.credentials;
    return Array.isArray(credentials) ? (credentials as CredentialSpec[]) : undefined;
  }

  /** A manifest strand, if the twine has it. */
  manifestStrand(strand: ManifestStrandName): ManifestStrand | undefined {
    const value = this.raw[strand];
    return isJsonObject(value) && isJsonObject(value.datasets) ? (value as ManifestStrand) : undefined;
  }

  /**
   * Compiles every values and monitor-message schema the twine has, so that one no data could be checked against is
   * found now (a registration), not when the first question arrives. @throws SchemaError naming the strand.
   */
  compileSchemas(): void {
    for (const strand of SCHEMA_STRANDS) {
      if (!this.hasStrand(strand)) continue;
      const key = twineKeyOf(strand);
      this.compiled(strand, this.raw[key], { strand, label: `${strand} schema`, pointer: `/${key}` });
    }
  }

  /** The JSON Schema of a values or monitor-message strand, if the twine has it. */
  valuesSchema(strand: SchemaStrandName): unknown {
    return this.raw[twineKeyOf(strand)];
  }

  /** Whether the twine defines the strand (under its twine key, e.g. `input_values_schema`). */
  hasStrand(strand: StrandName): boolean {
    return Object.hasOwn(this.raw, twineKeyOf(strand)) && this.raw[twineKeyOf(strand)] !== undefined;
  }

  /** Validates one strand's data; returns it unchanged. Only `StrandNotFound` is raised for a missing strand. */
  validate(strand: StrandName, data: unknown): unknown;
  /**
   * Validates the data of several strands, in the order given, stopping at the first error. A required strand with no
   * data fails with `TwineValueException`; data for a strand the twine lacks fails with `StrandNotFound`. Keys that
   * are not strand names are ignored. Returns the validated data (unchanged), with `null` where none was provided.
   */
  validate(sources: StrandSources, options?: ValidateOptions): ValidatedStrands;
  validate(first: StrandName | StrandSources, second?: unknown): unknown {
    if (typeof first === "string") return this.validateStrand(first, second);
    return this.validateSources(first, isJsonObject(second) ? (second as ValidateOptions) : {});
  }

  /** The same as `validate(strand, data)`. */
  validateStrand(strand: StrandName, data: unknown, options: ValidateOptions = {}): unknown {
    if (!isStrandName(strand)) throw new UnknownStrand(String(strand));
    if (isSchemaStrand(strand)) return this.validateValues(strand, data);
    if (isManifestStrand(strand)) return this.validateManifest(strand, data);
    if (strand === "children") return this.validateChildren(data);
    // Octue ignores the credentials data: only the environment is checked.
    this.checkCredentials(options.env ?? process.env, options.credentials);
    return data;
  }

  /** Configuration values and manifest, as checked when a service starts. */
  validateConfiguration(
    data: { values?: unknown; manifest?: unknown },
    options: ValidateOptions = {},
  ): ValidatedStrands {
    return this.validateSources({ configuration_values: data.values, configuration_manifest: data.manifest }, options);
  }

  /** Input values, manifest and children, as checked for each question. Credentials: see {@link checkCredentials}. */
  validateInputs(
    data: { values?: unknown; manifest?: unknown; children?: unknown },
    options: ValidateOptions = {},
  ): ValidatedStrands {
    return this.validateSources(
      { input_values: data.values, input_manifest: data.manifest, children: data.children },
      options,
    );
  }

  /** Output values and manifest, as checked when an analysis is finalised. */
  validateOutputs(
    data: { values?: unknown; manifest?: unknown },
    options: ValidateOutputsOptions = {},
  ): ValidatedStrands {
    const asData = (value: unknown): unknown =>
      options.falsyValuesAsMissing === true && isPythonFalsy(value) ? null : value;
    return this.validateSources(
      { output_values: asData(data.values), output_manifest: asData(data.manifest) },
      options,
    );
  }

  /**
   * Checks a monitor message against `monitor_message_schema` and returns it unchanged.
   *
   * @throws InvalidMonitorMessage when it does not match; StrandNotFound when the twine has no such strand.
   */
  validateMonitorMessage(data: unknown): unknown {
    try {
      return this.validateValues("monitor_message", data);
    } catch (error) {
      if (error instanceof InvalidValuesContents) throw new InvalidMonitorMessage(error);
      throw error;
    }
  }

  /**
   * Makes sure every credential the twine names is set in `env` or in a `.env` file (see `checkCredentials` in
   * credentials.ts for the details, and for where Secret Manager fits in).
   */
  checkCredentials(env: Environment = process.env, options: CheckCredentialsOptions = {}): CheckedCredentials {
    return checkCredentials(this.credentials, env, options);
  }

  /**
   * Checks the tags of a manifest's datafiles against the `file_tags_template`s of the strand's datasets. Octue does
   * this at run time for the configuration and input manifests only, after validating them. A manifest of `null`
   * (an optional manifest left out) and datasets that are absent or have no template are skipped.
   *
   * @throws InvalidManifestContents naming the dataset and datafile whose tags do not match.
   * @throws SchemaError / UnresolvableSchemaReference for a template that is not a usable schema.
   */
  validateFileTags(strand: TaggedManifestStrandName, manifest: unknown, options: ValidateFileTagsOptions = {}): void {
    if (strand !== "configuration_manifest" && strand !== "input_manifest") {
      throw new TypeError(`File tags are only checked for configuration_manifest and input_manifest, not ${strand}`);
    }
    const spec = this.manifestStrand(strand);
    const loaded = loadStrandData(manifest, strand);
    if (spec === undefined || loaded === undefined) return;
    const datasets = isJsonObject(loaded.value) && isJsonObject(loaded.value.datasets) ? loaded.value.datasets : {};
    const datafilesOf = options.datafilesOf ?? datafileTagsInManifest;
    for (const [datasetName, datasetSpec] of Object.entries(spec.datasets)) {
      const template = isJsonObject(datasetSpec) ? datasetSpec.file_tags_template : undefined;
      if (template === undefined || !Object.hasOwn(datasets, datasetName)) continue;
      const compiled = this.compiled(`${strand}/${datasetName}`, template, {
        strand,
        label: `file_tags_template of the ${pythonRepr(datasetName)} dataset in the ${strand} strand`,
        pointer: jsonPointer([strand, "datasets", datasetName, "file_tags_template"]),
      });
      for (const datafile of datafilesOf(datasetName, datasets[datasetName])) {
        if (compiled.validate(datafile.tags)) continue;
        const failure = describeSchemaFailure(compiled.errorsText, compiled.validate.errors, "tags");
        const pointer = datafile.pointer === undefined ? undefined : `${datafile.pointer}${failure.pointer}`;
        throw new InvalidManifestContents(
          `${failure.message} for files in the '${datasetName}' dataset. The affected datafile is '${datafile.name}'. Add the property to the datafile as a tag to fix this.`,
          { strand, pointer, location: pointer === undefined ? undefined : locationIn(loaded, pointer) },
        );
      }
    }
  }

  private validateSources(sources: StrandSources, options: ValidateOptions): ValidatedStrands {
    const validated: ValidatedStrands = {};
    for (const [name, data] of Object.entries(sources)) {
      if (!isStrandName(name)) continue;
      const provided = data !== null && data !== undefined;
      if (provided && options.allowExtra !== true && !this.availableStrands.has(name)) {
        throw new StrandNotFound(`Source data is provided for '${name}' but no such strand is defined in the twine`, {
          strand: name,
        });
      }
      if (!provided) {
        if (this.requiredStrands.has(name)) {
          throw new TwineValueException(
            `The '${name}' strand is defined in the twine, but no data is provided in sources`,
            { strand: name },
          );
        }
        validated[name] = null;
        continue;
      }
      validated[name] = this.validateStrand(name, data, options);
    }
    return validated;
  }

  private validateValues(strand: SchemaStrandName, data: unknown): unknown {
    const loaded = loadStrandData(data, strand);
    if (loaded === undefined) throw noDataSourceError(strand);
    const key = twineKeyOf(strand);
    if (!this.hasStrand(strand)) {
      throw new StrandNotFound(`Cannot validate - no ${key} strand in the twine`, { strand });
    }
    const compiled = this.compiled(strand, this.raw[key], { strand, label: `${strand} schema`, pointer: `/${key}` });
    if (!compiled.validate(loaded.value)) {
      const failure = describeSchemaFailure(compiled.errorsText, compiled.validate.errors, strand);
      throw new InvalidValuesContents(failure.message, {
        strand,
        pointer: failure.pointer,
        location: locationIn(loaded, failure.pointer),
      });
    }
    return loaded.value;
  }

  private validateManifest(strand: ManifestStrandName, data: unknown): unknown {
    const loaded = loadStrandData(data, strand);
    if (loaded === undefined) throw noDataSourceError(strand);
    const spec = this.manifestStrand(strand);
    if (spec === undefined) throw new StrandNotFound(`Cannot validate - no ${strand} strand in the twine`, { strand });
    const registry = registryValidators();
    if (!registry.manifest(loaded.value)) {
      const failure = describeSchemaFailure(ajvErrorsText, registry.manifest.errors, strand);
      throw new InvalidManifestContents(failure.message, {
        strand,
        pointer: failure.pointer,
        location: locationIn(loaded, failure.pointer),
      });
    }
    const datasets = isJsonObject(loaded.value) && isJsonObject(loaded.value.datasets) ? loaded.value.datasets : {};
    for (const [name, datasetSpec] of Object.entries(spec.datasets)) {
      if (Object.hasOwn(datasets, name) || (isJsonObject(datasetSpec) && datasetSpec.optional === true)) continue;
      throw new InvalidManifestContents(
        `A dataset named ${pythonRepr(name)} is expected in the ${strand} but is missing.`,
        { strand, pointer: "/datasets", location: locationIn(loaded, "/datasets") },
      );
    }
    return loaded.value;
  }

  private validateChildren(data: unknown): unknown {
    const loaded = loadStrandData(data, "children");
    if (loaded === undefined) throw noDataSourceError("children");
    const registry = registryValidators();
    if (!registry.children(loaded.value)) {
      const failure = describeSchemaFailure(ajvErrorsText, registry.children.errors, "children");
      throw new InvalidValuesContents(failure.message, {
        strand: "children",
        pointer: failure.pointer,
        location: locationIn(loaded, failure.pointer),
      });
    }
    // The registry schema guarantees an array of objects with string keys.
    const children = loaded.value as readonly { readonly key: string }[];
    // A twine without a children strand accepts no children at all.
    const strandKeys = (this.children ?? []).map((child) => child.key);
    const childKeys = new Set(children.map((child) => child.key));
    for (const key of strandKeys) {
      if (!childKeys.has(key)) {
        throw new InvalidValuesContents(`No children found matching the key ${key}`, {
          strand: "children",
          pointer: "",
          location: locationIn(loaded, ""),
        });
      }
    }
    const knownKeys = new Set(strandKeys);
    children.forEach((child, index) => {
      if (knownKeys.has(child.key)) return;
      const pointer = `/${index}/key`;
      throw new InvalidValuesContents(
        `Child with key '${child.key}' found but no such key exists in the 'children' strand of the twine.`,
        { strand: "children", pointer, location: locationIn(loaded, pointer) },
      );
    });
    return loaded.value;
  }

  private compiled(
    cacheKey: string,
    schema: unknown,
    context: { strand: StrandName; label: string; pointer: string },
  ): CompiledSchema {
    let entry = this.compiledSchemas.get(cacheKey);
    if (entry === undefined) {
      try {
        entry = compileUserSchema(schema, { ...context, locate: this.locator(), onWarning: this.onWarning });
      } catch (error) {
        if (!(error instanceof SchemaError)) throw error;
        entry = error;
      }
      this.compiledSchemas.set(cacheKey, entry);
    }
    if (entry instanceof SchemaError) throw entry;
    return entry;
  }

  private locator(): ((pointer: string) => SourceLocation | undefined) | undefined {
    const text = this.sourceText;
    if (text === undefined) return this.origin === undefined ? undefined : () => ({ file: this.origin });
    return (pointer) => locatePointer(text, pointer, this.origin);
  }
}

/** Where a pointer into loaded data is in its text, if it was loaded from text. */
function locationIn(loaded: LoadedJson, pointer: string): SourceLocation | undefined {
  if (loaded.text === undefined) return undefined;
  return locatePointer(loaded.text, pointer, loaded.origin);
}

function isPythonFalsy(value: unknown): boolean {
  if (value instanceof JsonSource) return false;
  if (Array.isArray(value)) return value.length === 0;
  if (isJsonObject(value)) return Object.keys(value).length === 0;
  return !value;
}
