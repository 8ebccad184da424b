import { type AppEntry, findAppEntry, isAppEntryProblem } from "../app/index.js";
import {
  type ConfigurationWarning,
  type ConfiguredData,
  type LoadedServiceConfiguration,
  loadServiceConfiguration,
} from "../config/index.js";
import { InvalidServiceConfiguration, type SourceLocation, TwinedError } from "../errors/index.js";
import { pointerTokens } from "../json/index.js";
import { definedProperties } from "../objects/index.js";
import { JsonSource, loadTwine, type Twine } from "../twine/index.js";

/** A problem found in a service, with the best file position we have for it. */
export interface ServiceProblem {
  readonly error: TwinedError;
  /** Overrides the error's own location when the data came from octue.yaml. */
  readonly location?: SourceLocation;
}

export interface ServiceCheck {
  readonly problems: readonly ServiceProblem[];
  readonly warnings: readonly ConfigurationWarning[];
  readonly configuration?: LoadedServiceConfiguration;
  readonly twine?: Twine;
  readonly app?: AppEntry;
}

export interface CheckServiceOptions {
  /** The configuration file; defaults as in `loadServiceConfiguration`. */
  readonly configurationPath?: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Everything that can be checked about a service without running it: octue.yaml, the twine, the presence of the
 * app's entry point, and the configuration values, manifest and children against the twine. Collects every problem
 * rather than stopping at the first, so a user can fix them in one pass.
 */
export function checkService(options: CheckServiceOptions = {}): ServiceCheck {
  const problems: ServiceProblem[] = [];
  let loaded: LoadedServiceConfiguration;
  try {
    loaded = loadServiceConfiguration(options.configurationPath, { cwd: options.cwd, env: options.env });
  } catch (error) {
    if (error instanceof InvalidServiceConfiguration && error.problems.length > 1) {
      return {
        problems: error.problems.map((problem) => ({ error: new InvalidServiceConfiguration(problem) })),
        warnings: [],
      };
    }
    return { problems: [{ error: asTwinedError(error) }], warnings: [] };
  }
  const { configuration } = loaded;

  let twine: Twine | undefined;
  const twineWarnings: ConfigurationWarning[] = [];
  try {
    twine = loadTwine(JsonSource.file(configuration.twinePath), {
      onWarning: (message) => twineWarnings.push({ message, location: { file: configuration.twinePath } }),
    });
  } catch (error) {
    problems.push({ error: asTwinedError(error) });
  }

  const app = findAppEntry(configuration.appSourcePath);
  if (isAppEntryProblem(app)) {
    problems.push({
      error: new InvalidServiceConfiguration({
        message: app.message,
        location: { file: app.file, ...definedProperties({ line: app.line }) },
      }),
    });
  }

  if (twine !== undefined) {
    const strands = [
      ["configuration_values", configuration.configurationValues],
      ["configuration_manifest", configuration.configurationManifest],
    ] as const;
    for (const [strand, data] of strands) {
      try {
        twine.validate({ [strand]: toSource(data) });
      } catch (error) {
        problems.push(locateInConfiguration(asTwinedError(error), strand, data, loaded));
      }
    }
    if (configuration.children !== undefined) {
      try {
        twine.validate({ children: configuration.children });
      } catch (error) {
        problems.push(locateInConfiguration(asTwinedError(error), "children", { kind: "inline", value: null }, loaded));
      }
    }
  }

  return {
    problems,
    warnings: [...loaded.warnings, ...twineWarnings],
    configuration: loaded,
    ...definedProperties({ twine }),
    ...(isAppEntryProblem(app) ? {} : { app }),
  };
}

function toSource(data: ConfiguredData | undefined): unknown {
  if (data === undefined) return null;
  return data.kind === "file" ? JsonSource.file(data.path) : JsonSource.value(data.value);
}

/** Points an error about inline octue.yaml data at the offending line of octue.yaml. */
function locateInConfiguration(
  error: TwinedError,
  key: string,
  data: ConfiguredData | undefined,
  loaded: LoadedServiceConfiguration,
): ServiceProblem {
  if (data?.kind === "file" || error.location?.file !== undefined) return { error };
  return { error, location: loaded.locate([key, ...pointerTokens(error.pointer ?? "")]) };
}

function asTwinedError(error: unknown): TwinedError {
  if (error instanceof TwinedError) return error;
  return new TwinedError(error instanceof Error ? error.message : String(error), { cause: error });
}
