import { TwinedError, type TwinedErrorOptions } from "./base.js";

/**
 * Octue's twine exception vocabulary (twine-spec §8). Class names and Twined-authored messages match Octue's so that
 * people and tools that know Octue recognise them; schema-error texts come from ajv and are worded differently.
 */

/** The nine strand names, as used in code and messages. */
export type StrandName =
  | "configuration_values"
  | "input_values"
  | "output_values"
  | "monitor_message"
  | "configuration_manifest"
  | "input_manifest"
  | "output_manifest"
  | "credentials"
  | "children";

export interface TwineErrorOptions extends TwinedErrorOptions {
  readonly strand?: StrandName;
}

export class TwineException extends TwinedError {
  readonly strand: StrandName | undefined;
  constructor(message: string, options: TwineErrorOptions = {}) {
    super(message, options);
    this.strand = options.strand;
  }
}

/** Mixed into the `*Contents` classes, like Python's `ValidationError` parent. */
export interface ValidationFailure {
  readonly isValidationError: true;
}

export abstract class InvalidTwine extends TwineException {}
export class InvalidTwineJson extends InvalidTwine {}
export class InvalidTwineContents extends InvalidTwine implements ValidationFailure {
  readonly isValidationError = true as const;
}

export class TwineVersionConflict extends TwineException {
  constructor(
    readonly requiredVersion: string,
    readonly installedVersion: string,
  ) {
    super(
      `Twined library version conflict. Twine file requires ${requiredVersion} but you have ${installedVersion} installed`,
      { pointer: "/twined_version" },
    );
  }
}

/** A `.json` path that does not exist. Carries `code = "ENOENT"` like Python's `FileNotFoundError` parent. */
export abstract class SourceFileNotFound extends TwineException {
  readonly code = "ENOENT" as const;
  constructor(
    readonly path: string,
    options: TwineErrorOptions = {},
  ) {
    super(`[Errno 2] No such file or directory: '${path}'`, { ...options, location: { file: path } });
  }
}
export class TwineFileNotFound extends SourceFileNotFound {}
export class ConfigurationValuesFileNotFound extends SourceFileNotFound {}
export class InputValuesFileNotFound extends SourceFileNotFound {}
export class OutputValuesFileNotFound extends SourceFileNotFound {}
export class ConfigurationManifestFileNotFound extends SourceFileNotFound {}
export class InputManifestFileNotFound extends SourceFileNotFound {}
export class OutputManifestFileNotFound extends SourceFileNotFound {}

export abstract class InvalidValues extends TwineException {}
export class InvalidValuesJson extends InvalidValues {}
export class InvalidValuesContents extends InvalidValues implements ValidationFailure {
  readonly isValidationError = true as const;
}

export abstract class InvalidManifest extends TwineException {}
export class InvalidManifestJson extends InvalidManifest {}
export class InvalidManifestContents extends InvalidManifest implements ValidationFailure {
  readonly isValidationError = true as const;
}
/** Kept for vocabulary parity with Octue; nothing raises it. */
export class InvalidManifestType extends InvalidManifest {}

export class StrandNotFound extends TwineException {}

export class UnknownStrand extends TwineException {
  constructor(readonly strandName: string) {
    super(
      `Unknown strand ${strandName}. Try one of ('input_values', 'configuration_values', 'output_values', 'monitor_message', 'configuration_manifest', 'input_manifest', 'output_manifest', 'credentials', 'children').`,
    );
  }
}

export class TwineValueException extends TwineException {}
/** Kept for vocabulary parity with Octue; nothing raises it. */
export class TwineTypeException extends TwineException {}
/** Kept for vocabulary parity with Octue; nothing raises it. */
export class NotImplementedYet extends TwineException {}
/** Kept for vocabulary parity with Octue; nothing raises it. */
export class FolderNotFound extends TwineException {}

export class CredentialNotFound extends TwineException {
  constructor(readonly credentialName: string) {
    super(`Credential '${credentialName}' missing from environment or .env file.`, { strand: "credentials" });
  }
}

export type SourceKind = "file-like" | "filename" | "string" | "object";
export class InvalidSourceKindException extends TwineException {
  constructor(readonly sourceKind: SourceKind) {
    super(`Attempted to load json from a ${sourceKind} data source`);
  }
}

/** A monitor message that does not match `monitor_message_schema`. Octue raises it from the SDK, not from twined. */
export class InvalidMonitorMessage extends TwinedError {
  readonly strand = "monitor_message" as const;
  constructor(cause: InvalidValuesContents) {
    super(cause.message, { cause, pointer: cause.pointer });
  }
}

/**
 * A strand schema or file-tags template that is not a valid JSON Schema for its draft. Octue lets jsonschema's raw
 * `SchemaError` escape; we raise this instead, naming the strand and where in the schema the problem is.
 */
export class SchemaError extends TwinedError {
  readonly strand: StrandName | undefined;
  constructor(message: string, options: TwineErrorOptions = {}) {
    super(message, options);
    this.strand = options.strand;
  }
}

/** A schema `$ref` that points at nothing we have (remote references are never fetched at run time). */
export class UnresolvableSchemaReference extends SchemaError {
  constructor(
    readonly reference: string,
    options: TwineErrorOptions = {},
  ) {
    super(
      `Cannot resolve the schema reference '${reference}': remote schemas are never fetched. Inline the schema or use one Twined bundles.`,
      options,
    );
  }
}

/** A JSON object with the same key twice. Plain `JSON.parse` keeps the last one silently; we refuse. */
export class DuplicateKeyError extends TwinedError {
  constructor(
    readonly key: string,
    options: TwinedErrorOptions = {},
  ) {
    super(`Duplicate key detected: ${pythonRepr(key)}.`, options);
  }
}

/** Python's `repr()` of a string: single quotes unless the text holds one and no double quote. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, "\\\\").replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
  return `${quote}${escaped.replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}${quote}`;
}
