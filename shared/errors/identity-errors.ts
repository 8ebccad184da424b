import { TwinedError } from "./base.js";

/** A service ID (SUID `ns/name`) or revision ID (SRUID `ns/name:tag`) that breaks the naming rules. */
export class InvalidServiceID extends TwinedError {
  constructor(
    /** The offending ID exactly as given. */
    readonly serviceId: string,
    /** Which rule it breaks and how to fix it. */
    readonly reason: string,
  ) {
    super(`Invalid service ID ${JSON.stringify(serviceId)}: ${reason}`);
  }
}
