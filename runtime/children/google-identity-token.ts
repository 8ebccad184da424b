import { GoogleAuth, type IdTokenClient } from "google-auth-library";
import type { IdentityToken } from "../../shared/client/index.js";
import { IdentityTokenUnavailable } from "../../shared/errors/index.js";

/**
 * Identity tokens for `audience` (the network's questions API), minted from the job's own Google identity through
 * Application Default Credentials: the metadata server on GKE with workload identity and on Cloud Run. The client
 * keeps a token until shortly before it expires.
 */
export function googleIdentityToken(audience: string, auth: GoogleAuth = new GoogleAuth()): IdentityToken {
  let client: Promise<IdTokenClient> | undefined;
  return async () => {
    try {
      client ??= auth.getIdTokenClient(audience);
      const headers = await (await client).getRequestHeaders();
      const authorization = headers.get("authorization") ?? "";
      if (!authorization.startsWith("Bearer ")) throw new Error("the credentials gave no bearer token");
      return authorization.slice("Bearer ".length);
    } catch (error) {
      client = undefined;
      throw new IdentityTokenUnavailable(audience, error instanceof Error ? error.message : String(error));
    }
  };
}
