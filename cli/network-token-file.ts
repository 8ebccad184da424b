import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MIN_TOKEN_LENGTH, newNetworkToken } from "../shared/control-plane/http/network-token.js";
import { InvalidDevOptions } from "../shared/errors/index.js";

/** The token of a `twined dev` network reachable beyond loopback, and whether it was made just now. */
export interface NetworkToken {
  readonly token: string;
  /** Where it is kept (undefined for a token given with `--token`/`TWINED_TOKEN`, which is never written down). */
  readonly file: string | undefined;
  readonly created: boolean;
}

/**
 * The token given, or the one kept in `<dataDir>/network-token` (owner-only), made there the first time so clients set
 * up once keep working across restarts. @throws InvalidDevOptions for a token too short or with spaces in it.
 */
export function networkToken(dataDir: string, given: string | undefined): NetworkToken {
  if (given !== undefined)
    return { token: checked(given, "--token (or TWINED_TOKEN)"), file: undefined, created: false };
  const file = path.resolve(dataDir, "network-token");
  if (existsSync(file)) {
    // Kept private even if something loosened it since.
    chmodSync(file, 0o600);
    return { token: checked(readFileSync(file, "utf8").trim(), file), file, created: false };
  }
  const token = newNetworkToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, file, created: true };
}

function checked(token: string, source: string): string {
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new InvalidDevOptions(
      `the network token from ${source} must be at least ${MIN_TOKEN_LENGTH} characters with no spaces; leave it out and 'twined dev' makes one`,
    );
  }
  return token;
}
