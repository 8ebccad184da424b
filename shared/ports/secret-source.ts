/**
 * Where a service's credentials come from when its environment lacks them, as Octue's SDK reads them from Google
 * Secret Manager before the app runs. Adapters: the process environment (embedded networks, where credentials come
 * from the environment and `.env` files) and Secret Manager in the service's project.
 *
 * A value is a credential: an adapter never logs it, never puts it in an error message, and never keeps it beyond
 * handing it to the caller.
 */
export interface SecretSource {
  /**
   * The value of the secret named `name` (for Secret Manager, the text of its latest version), or undefined when there
   * is no such secret. A name that cannot name a secret there is not an error: it reads as undefined too.
   *
   * @throws SecretUnreadable when the source refuses this caller (missing permission or credentials): retrying will
   *   not help until someone grants access.
   * @throws SecretSourceFailed when the read fails otherwise (unavailable, quota, a corrupted answer): worth retrying.
   */
  read(name: string): Promise<string | undefined>;
}
