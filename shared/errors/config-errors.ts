import { type SourceLocation, TwinedError } from "./base.js";

/** One problem with a configuration file, located in it. */
export interface ConfigurationProblem {
  readonly message: string;
  readonly location: SourceLocation;
}

/**
 * An `octue.yaml` (or legacy app configuration) that cannot be read, parsed or understood. Carries every problem
 * found, each with its file, line and column; `message` and `location` are the first one's.
 */
export class InvalidServiceConfiguration extends TwinedError {
  readonly problems: readonly ConfigurationProblem[];

  constructor(problems: ConfigurationProblem | readonly ConfigurationProblem[], options: { cause?: unknown } = {}) {
    const list = Array.isArray(problems)
      ? (problems as readonly ConfigurationProblem[])
      : [problems as ConfigurationProblem];
    const first = list[0] ?? { message: "invalid service configuration", location: {} };
    const others = list.length - 1;
    const more = others > 0 ? ` (and ${others} more problem${others > 1 ? "s" : ""})` : "";
    super(`${first.message}${more}`, { ...options, location: first.location });
    this.problems = list;
  }
}

/** No service configuration file where one was expected. */
export class ServiceConfigurationNotFound extends InvalidServiceConfiguration {
  readonly code = "ENOENT" as const;
  constructor(readonly path: string) {
    super({
      message: `no service configuration file at ${path}; create an octue.yaml there, pass its path with -c, or set OCTUE_SERVICE_CONFIGURATION_PATH`,
      location: { file: path },
    });
  }
}
