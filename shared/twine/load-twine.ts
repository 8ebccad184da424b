import { InvalidTwineContents, TwineVersionConflict } from "../errors/twine-errors.js";
import { locatePointer } from "../json/index.js";
import { TWINED_VERSION } from "../version.js";
import { ajvErrorsText, describeSchemaFailure } from "./ajv-error-text.js";
import { JsonSource } from "./json-source.js";
import { isJsonObject } from "./json-values.js";
import { registryValidators } from "./registry-schemas.js";
import { Twine } from "./twine.js";

export interface LoadTwineOptions {
  /** The version a `twined_version` in the twine must equal. Default: this package's version. */
  readonly installedVersion?: string;
  /** Receives warnings (no twine given, unknown `$schema`s). Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

/**
 * Loads a twine and checks it against the twine meta-schema and the installed version. Strand data is not looked at.
 *
 * The source follows Octue's rules: a string ending in `.json` is a file path, any other string is JSON text, bytes
 * are file contents, a {@link JsonSource} is used as it says, and anything else is the twine itself. No source at all
 * gives an empty twine, with a warning.
 *
 * @throws InvalidTwineJson, TwineFileNotFound, DuplicateKeyError when the source cannot be read or parsed.
 * @throws InvalidTwineContents when it breaks the meta-schema (`pointer` says where).
 * @throws TwineVersionConflict when `twined_version` differs from the installed version.
 */
export function loadTwine(source?: unknown, options: LoadTwineOptions = {}): Twine {
  const onWarning = options.onWarning ?? ((message: string) => process.emitWarning(message, "TwinedWarning"));
  const jsonSource = JsonSource.fromOctueSource(source);
  if (jsonSource === undefined) {
    onWarning("No twine source specified. Loading empty twine.");
    return new Twine({}, { onWarning });
  }
  const loaded = jsonSource.load("twine");
  const registry = registryValidators();
  if (!registry.twine(loaded.value)) {
    const failure = describeSchemaFailure(ajvErrorsText, registry.twine.errors, "twine");
    throw new InvalidTwineContents(failure.message, {
      pointer: failure.pointer,
      location: loaded.text === undefined ? undefined : locatePointer(loaded.text, failure.pointer, loaded.origin),
    });
  }
  // The meta-schema requires an object.
  const raw = isJsonObject(loaded.value) ? loaded.value : {};
  const installedVersion = options.installedVersion ?? TWINED_VERSION;
  if (raw.twined_version !== undefined && raw.twined_version !== installedVersion) {
    // Any JSON value can be written there; only a string is a version (String() throws on `{"toString": 1}`).
    const found = typeof raw.twined_version === "string" ? raw.twined_version : JSON.stringify(raw.twined_version);
    throw new TwineVersionConflict(found, installedVersion);
  }
  return new Twine(raw, { onWarning, sourceText: loaded.text, origin: loaded.origin });
}
