import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { NetworkTokenRequired } from "../../errors/index.js";

/** The shortest token a network accepts from its operator: guessing one must be out of reach. */
export const MIN_TOKEN_LENGTH = 24;

/** A new network token: 32 random bytes, URL-safe, so it can be pasted into a header or an environment variable. */
export function newNetworkToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Refuses requests without `Authorization: Bearer <token>` (401 `NetworkTokenRequired`), for a network that answers
 * beyond loopback. Health checks pass, as do signed storage URLs, which carry their own signature and are handed to
 * jobs and askers that have no token. The comparison takes the same time whatever the token sent.
 */
export function requireNetworkToken(token: string): RequestHandler {
  const expected = digest(token);
  return (request, response, next) => {
    if (request.path === "/healthz" || request.path.startsWith("/storage/")) return next();
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      response.setHeader("www-authenticate", 'Bearer realm="twined"');
      throw new NetworkTokenRequired("missing");
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      response.setHeader("www-authenticate", 'Bearer realm="twined", error="invalid_token"');
      throw new NetworkTokenRequired("wrong");
    }
    next();
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
