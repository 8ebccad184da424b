import type { SecretSource } from "../../../ports/index.js";

/**
 * Credentials from an environment object, and nothing else: for local networks, where credentials come from the
 * environment and `.env` files (which `checkCredentials` reads) rather than from a secret manager. An empty variable
 * reads as no secret, as the credential resolution counts an empty credential as missing.
 *
 * The environment is read at each call, so a caller that changes the object it gave (e.g. `process.env`) is seen.
 */
export class EnvironmentSecretSource implements SecretSource {
  constructor(private readonly environment: Readonly<Record<string, string | undefined>>) {}

  async read(name: string): Promise<string | undefined> {
    // Own properties only: `constructor` or `toString` are not secrets of a plain object.
    if (!Object.hasOwn(this.environment, name)) return undefined;
    const value = this.environment[name];
    return value === "" ? undefined : value;
  }
}
