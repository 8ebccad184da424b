import { TwinedError } from "./base.js";

/** A deployment setting (an environment variable) that is missing or malformed. */
export class InvalidDeploymentSetting extends TwinedError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}
