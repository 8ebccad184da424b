import type { SecretSource } from "../../shared/ports/index.js";

/**
 * The credentials a twine names that `env` lacks, read from `source`, as environment variables to add before the
 * twine's credentials are checked and the app runs: Octue's SDK fills missing credentials from Google Secret Manager
 * the same way. A credential counts as missing when it is unset or empty. Missing ones are read in parallel; one the
 * source does not have is simply not added, so `checkCredentials` then looks in the `.env` file and raises
 * `CredentialNotFound` naming it. Without a source nothing is added.
 *
 * The values go into the app's environment only: this never logs them, and the source's errors carry only names.
 *
 * @throws what the source throws (`SecretUnreadable`, `SecretSourceFailed`): a credential that exists but cannot be
 *   read is not treated as missing, so the question fails with the reason rather than with `CredentialNotFound`.
 */
export async function resolveCredentials(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  source: SecretSource | undefined,
): Promise<Record<string, string>> {
  if (source === undefined) return {};
  const missing = [...new Set(names)].filter((name) => (env[name] ?? "") === "");
  const values = await Promise.all(missing.map((name) => source.read(name)));
  const added: Record<string, string> = {};
  for (const [index, name] of missing.entries()) {
    const value = values[index];
    // An empty value would fill nothing.
    if (value !== undefined && value !== "") added[name] = value;
  }
  return added;
}
