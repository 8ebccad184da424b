import { type SourceLocation, TwinedError } from "./base.js";

/** An `octue.yaml` that cannot be read, parsed or understood. The message says what to change; `location` says where. */
export class InvalidServiceConfiguration extends TwinedError {
  constructor(message: string, location: SourceLocation, options: { cause?: unknown; pointer?: string } = {}) {
    super(message, { ...options, location });
  }

  override toString(): string {
    const where = this.where();
    return where === undefined ? `${this.name}: ${this.message}` : `${where}: ${this.message}`;
  }
}

/** No service configuration file where one was expected. */
export class ServiceConfigurationNotFound extends InvalidServiceConfiguration {
  readonly code = "ENOENT" as const;
  constructor(readonly path: string) {
    super(
      `No service configuration file at ${path}. Create an octue.yaml there, pass its path with -c, or set OCTUE_SERVICE_CONFIGURATION_PATH.`,
      { file: path },
    );
  }
}
