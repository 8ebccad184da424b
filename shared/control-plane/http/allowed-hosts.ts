import type { RequestHandler } from "express";

/**
 * Refuses requests not addressed to one of `hosts()` (`host:port`, as the `Host` header carries it), and browser
 * requests from a page of any other origin: a network that answers on loopback must not answer a web page whose DNS
 * name was rebound to 127.0.0.1, nor another site's page that posts to it. `hosts()` is read per request, so a network
 * can name its port once it listens; undefined lets every request through.
 */
export function allowOnlyHosts(hosts: () => ReadonlySet<string> | undefined): RequestHandler {
  return (request, response, next) => {
    const allowed = hosts();
    if (allowed === undefined) return next();
    const host = (request.headers.host ?? "").toLowerCase();
    const origin = request.headers.origin;
    const served = [...allowed].join(", ");
    if (!allowed.has(host)) {
      response.status(403).json({
        error: {
          type: "HostNotAllowed",
          message: `this network answers requests addressed to ${served}, not to '${host}'; use one of those addresses`,
          details: { host },
        },
      });
      return;
    }
    if (origin !== undefined && !allowed.has(originHost(origin) ?? "")) {
      response.status(403).json({
        error: {
          type: "OriginNotAllowed",
          message: `this network answers pages served from ${served}, not a page from '${origin}'`,
          details: { origin },
        },
      });
      return;
    }
    next();
  };
}

/** The `host:port` of an `http://` origin, or undefined for any other (`null`, `https://…`, `file://`). */
function originHost(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" ? url.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** The addresses a network listening on loopback `port` answers to: every loopback name, with the port. */
export function loopbackHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Whether `host` (an address to listen on) is this machine's loopback only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
