import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ErrorObject } from "ajv";
import { LineCounter } from "yaml";
import {
  type ConfigurationProblem,
  InvalidServiceConfiguration,
  ServiceConfigurationNotFound,
  type SourceLocation,
  TwinedError,
} from "../errors/index.js";
// Not the identity index: it would bring the name generator's word lists into every command that reads octue.yaml.
import { namespaceOrNameProblem } from "../identity/service-id.js";
import { isPlainObject, parseJson, pointerTokens } from "../json/index.js";
import { NAMESPACE_PLACEHOLDER, namespacePlaceholderProblems } from "./namespace-placeholder.js";
import {
  APP_CONFIGURATION_KEYS,
  type ChildConfiguration,
  type ConfigurationWarning,
  type ConfiguredData,
  DISALLOWED_SERVICE_NAMESPACES,
  type LoadedServiceConfiguration,
  SERVICE_CONFIGURATION_KEYS,
  type ServiceRegistry,
} from "./service-configuration.js";
import { PATTERN_HINTS } from "./service-configuration-schema.js";
import { serviceEntryValidator } from "./service-entry-validator.js";
import { YamlLocator } from "./yaml-locations.js";
import { describeYamlSyntaxErrors, parseYamlDocument } from "./yaml-syntax-errors.js";

export const DEFAULT_SERVICE_CONFIGURATION_FILE = "octue.yaml";

export interface LoadServiceConfigurationOptions {
  /** Where `OCTUE_SERVICE_CONFIGURATION_PATH` is read from; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The folder a relative path (or the default `octue.yaml`) is resolved from; defaults to `process.cwd()`. */
  readonly cwd?: string;
}

/** The file a service's configuration is read from: the argument, else `OCTUE_SERVICE_CONFIGURATION_PATH`, else `octue.yaml`. */
export function resolveServiceConfigurationPath(file?: string, options: LoadServiceConfigurationOptions = {}): string {
  const env = options.env ?? process.env;
  const chosen = file ?? nonEmpty(env.OCTUE_SERVICE_CONFIGURATION_PATH) ?? DEFAULT_SERVICE_CONFIGURATION_FILE;
  return path.resolve(options.cwd ?? process.cwd(), chosen);
}

/** Reads and checks a service configuration file (octue.yaml). */
export function loadServiceConfiguration(
  file?: string,
  options: LoadServiceConfigurationOptions = {},
): LoadedServiceConfiguration {
  const resolved = resolveServiceConfigurationPath(file, options);
  if (resolved.includes("\0")) {
    // Node refuses such a path with a TypeError before asking the file system; no file can have that name.
    throw new InvalidServiceConfiguration({
      message: `the service configuration path ${JSON.stringify(resolved)} contains a NUL character, which no file name can; give the path of an octue.yaml file`,
      location: { file: resolved.replaceAll("\0", "\\0") },
    });
  }
  let text: string;
  try {
    text = readFileSync(resolved, "utf8");
  } catch (error) {
    if (isErrnoException(error) && (error.code === "ENOENT" || error.code === "ENOTDIR")) {
      throw new ServiceConfigurationNotFound(resolved);
    }
    if (isErrnoException(error) && error.code === "EISDIR") {
      throw new InvalidServiceConfiguration({
        message: `${resolved} is a folder; give the path of the octue.yaml file inside it`,
        location: { file: resolved },
      });
    }
    throw error;
  }
  return parseServiceConfiguration(text, resolved);
}

/** Checks the text of a service configuration. `file` names it in messages and anchors relative paths. */
export function parseServiceConfiguration(text: string, file: string): LoadedServiceConfiguration {
  const absoluteFile = path.resolve(file);
  const directory = path.dirname(absoluteFile);
  const lineCounter = new LineCounter();
  const parsed = parseYamlDocument(text, lineCounter);
  const { document } = parsed;
  const locator = new YamlLocator(document, lineCounter, absoluteFile);

  const syntaxProblems = describeYamlSyntaxErrors(text, parsed, lineCounter, locator);
  if (syntaxProblems.length > 0) throw new InvalidServiceConfiguration(syntaxProblems);

  let root: unknown;
  try {
    root = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidServiceConfiguration([{ message, location: locator.valueAt([]) }]);
  }

  const problems: ConfigurationProblem[] = [];
  const warnings: ConfigurationWarning[] = [];
  const problem = (message: string, location: SourceLocation) => problems.push({ message, location });
  const warn = (message: string, location: SourceLocation) => warnings.push({ message, location });

  if (!isPlainObject(root)) {
    throw new InvalidServiceConfiguration([
      {
        message:
          "the file must be a mapping with a 'services' list, e.g. 'services:\\n  - namespace: my-org\\n    name: my-service'",
        location: locator.valueAt([]),
      },
    ]);
  }
  for (const key of Object.keys(root)) {
    if (key !== "services") warn(`unknown top-level key '${key}' is ignored`, locator.keyAt([], key));
  }
  const services = root.services;
  if (!Array.isArray(services) || services.length === 0 || !isPlainObject(services[0])) {
    throw new InvalidServiceConfiguration([
      {
        message:
          "'services' must be a list whose first item is a mapping with at least 'namespace' and 'name' (only the first service is used)",
        location: locator.valueAt(["services"]),
      },
    ]);
  }
  if (services.length > 1) {
    warn(`'services' has ${services.length} entries; only the first is used`, locator.valueAt(["services", 1]));
  }

  const entryPath = ["services", 0] as const;
  const at = (...keys: (string | number)[]) => locator.valueAt([...entryPath, ...keys]);
  let entry: Record<string, unknown> = services[0];

  const legacy = entry.app_configuration_path;
  if (typeof legacy === "string" && legacy !== "") {
    warn(
      "'app_configuration_path' is deprecated: move its keys (configuration_values, configuration_manifest, children, output_location, use_signed_urls_for_output_datasets) into this service entry",
      locator.keyAt(entryPath, "app_configuration_path"),
    );
    entry = mergeLegacyAppConfiguration(entry, path.resolve(directory, legacy), at("app_configuration_path"), problem);
  }

  for (const key of Object.keys(services[0])) {
    if (!(SERVICE_CONFIGURATION_KEYS as readonly string[]).includes(key) && key !== "app_configuration_path") {
      warn(`unknown key '${key}' is ignored`, locator.keyAt(entryPath, key));
    }
  }

  for (const error of validateEntryShape(entry)) {
    problem(describeSchemaError(error), locateSchemaError(error, entryPath, locator));
  }

  // A namespace `service init` left as its placeholder is named as such, not as an invalid namespace.
  for (const each of namespacePlaceholderProblems(entry, at)) problem(each.message, each.location);
  if (typeof entry.namespace === "string" && entry.namespace !== NAMESPACE_PLACEHOLDER) {
    const reason = namespaceOrNameProblem(entry.namespace, "namespace");
    if (reason !== undefined) problem(reason, at("namespace"));
    else if (DISALLOWED_SERVICE_NAMESPACES.includes(entry.namespace)) {
      problem(
        `'${entry.namespace}' is not an allowed Twined service namespace. It is reserved (questions to it are answered locally with example data); choose your organisation's namespace`,
        at("namespace"),
      );
    }
  }
  if (typeof entry.name === "string") {
    const reason = namespaceOrNameProblem(entry.name, "name");
    if (reason !== undefined) problem(reason, at("name"));
  }

  const configurationValues = configuredData(
    entry.configuration_values,
    directory,
    at("configuration_values"),
    problem,
  );
  const configurationManifest = configuredData(
    entry.configuration_manifest,
    directory,
    at("configuration_manifest"),
    problem,
  );

  if (problems.length > 0) throw new InvalidServiceConfiguration(problems);

  // The schema check above has established every type below.
  const configuration = {
    namespace: entry.namespace as string,
    name: entry.name as string,
    appSourcePath: path.resolve(directory, (entry.app_source_path as string | undefined) ?? "."),
    twinePath: path.resolve(directory, (entry.twine_path as string | undefined) ?? "twine.json"),
    diagnosticsCloudPath: entry.diagnostics_cloud_path as string | undefined,
    serviceRegistries: entry.service_registries as ServiceRegistry[] | undefined,
    eventStoreTableId: entry.event_store_table_id as string | undefined,
    deleteLocalFiles: (entry.delete_local_files as boolean | undefined) ?? false,
    configurationValues,
    configurationManifest,
    children: entry.children as ChildConfiguration[] | undefined,
    outputLocation: entry.output_location as string | undefined,
    useSignedUrlsForOutputDatasets: (entry.use_signed_urls_for_output_datasets as boolean | undefined) ?? false,
    warmStart: (entry.warm_start as boolean | undefined) ?? false,
    directory,
    path: absoluteFile,
  };
  return {
    configuration,
    warnings,
    locate: (keys) => locator.valueAt([...entryPath, ...keys]),
  };
}

/** Strand data from octue.yaml: a `.json` path (relative to the file), JSON text in a string, or inline YAML. */
function configuredData(
  value: unknown,
  directory: string,
  location: SourceLocation,
  problem: (message: string, location: SourceLocation) => void,
): ConfiguredData | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return { kind: "inline", value };
  if (value.endsWith(".json")) {
    const file = path.resolve(directory, value);
    if (!existsSync(file)) problem(`the file ${file} does not exist`, location);
    return { kind: "file", path: file };
  }
  try {
    return { kind: "inline", value: parseJson(value) };
  } catch (error) {
    problem(
      `a string here is read as JSON text or a path ending in .json, and this is neither: ${errorText(error)}`,
      location,
    );
    return undefined;
  }
}

function mergeLegacyAppConfiguration(
  entry: Record<string, unknown>,
  file: string,
  location: SourceLocation,
  problem: (message: string, location: SourceLocation) => void,
): Record<string, unknown> {
  let legacy: unknown;
  try {
    legacy = parseJson(readFileSync(file, "utf8"), { origin: file });
  } catch (error) {
    const reason =
      isErrnoException(error) && error.code === "ENOENT" ? `the file ${file} does not exist` : errorText(error);
    problem(`cannot read the legacy app configuration: ${reason}`, location);
    return entry;
  }
  if (!isPlainObject(legacy)) {
    problem(`the legacy app configuration ${file} must hold a JSON object`, location);
    return entry;
  }
  const merged: Record<string, unknown> = { ...entry };
  for (const key of APP_CONFIGURATION_KEYS) {
    // Keys in octue.yaml win over the old file; its relative paths resolve from its own folder.
    if (merged[key] !== undefined || legacy[key] === undefined) continue;
    const value = legacy[key];
    const isRelativeJsonPath = typeof value === "string" && value.endsWith(".json") && !path.isAbsolute(value);
    merged[key] = isRelativeJsonPath ? path.resolve(path.dirname(file), value) : value;
  }
  return merged;
}

function validateEntryShape(entry: Record<string, unknown>): ErrorObject[] {
  const validate = serviceEntryValidator();
  return validate(entry) ? [] : [...(validate.errors ?? [])];
}

function instancePathSegments(error: ErrorObject): (string | number)[] {
  return pointerTokens(error.instancePath).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function locateSchemaError(error: ErrorObject, entryPath: readonly (string | number)[], locator: YamlLocator) {
  return locator.valueAt([...entryPath, ...instancePathSegments(error)]);
}

function describeSchemaError(error: ErrorObject): string {
  const segments = instancePathSegments(error);
  const subject = segments.length === 0 ? "the service entry" : `'${formatKeyPath(segments)}'`;
  const last = segments.at(-1);
  switch (error.keyword) {
    case "required":
      return `${subject} is missing the required key '${String(error.params.missingProperty)}'`;
    case "type":
      return `${subject} must be ${article(String(error.params.type))}`;
    case "pattern":
      return `${subject} ${(typeof last === "string" && PATTERN_HINTS[last]) || `must match ${String(error.params.pattern)}`}`;
    case "minLength":
      return `${subject} must not be empty`;
    default:
      return `${subject} ${error.message ?? "is invalid"}`;
  }
}

function formatKeyPath(segments: readonly (string | number)[]): string {
  return segments
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join("");
}

function article(types: string): string {
  const named: Record<string, string> = {
    string: "a string",
    boolean: "true or false",
    array: "a list",
    object: "a mapping",
    "object,string": "a mapping or a path to a JSON file",
  };
  return named[types] ?? `of type ${types}`;
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

function errorText(error: unknown): string {
  if (error instanceof TwinedError) {
    const where = error.where();
    return where === undefined ? error.message : `${error.message} (${where})`;
  }
  return error instanceof Error ? error.message : String(error);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
