import type { IncomingMessage } from "node:http";
import type { RequestHandler } from "express";
import { RequestLimitExceeded } from "../../errors/index.js";
import { jsonNestingOverflow } from "../../json/index.js";
import { isLoopbackAddress } from "../peer-address.js";

/**
 * The limits every request to a network's HTTP API is held to, named as the docs and the errors name them. A request
 * over one is answered with a 4xx naming the limit before any handler sees it.
 */
export const REQUEST_LIMITS = {
  /** Bytes of a request body (before decompression counts too: body-parser checks the inflated size). */
  request_body_bytes: 10 * 1024 * 1024,
  /** Characters of a request's path, without its query string (414). */
  path_length: 2_048,
  /** Characters of a request's query string (414). */
  query_length: 4_096,
  /** Parameters in a query string (400). */
  query_parameters: 32,
  /** Arrays and objects inside one another in a JSON body (400). */
  nesting_depth: 64,
  /** Live event streams one client address beyond this machine holds open at once (429). */
  concurrent_streams: 64,
} as const;

/** Refuses requests whose URL is over the path, query-string or parameter-count limits (414 or 400). */
export function limitUrls(): RequestHandler {
  return (request, _response, next) => {
    const url = request.originalUrl;
    const mark = url.indexOf("?");
    const path = mark === -1 ? url : url.slice(0, mark);
    const query = mark === -1 ? "" : url.slice(mark + 1);
    if (path.length > REQUEST_LIMITS.path_length) {
      throw new RequestLimitExceeded(
        `the request's path is ${path.length} characters, over the limit of ${REQUEST_LIMITS.path_length}; no route of this API has paths that long`,
        "path_length",
        REQUEST_LIMITS.path_length,
        414,
      );
    }
    if (query.length > REQUEST_LIMITS.query_length) {
      throw new RequestLimitExceeded(
        `the query string is ${query.length} characters, over the limit of ${REQUEST_LIMITS.query_length}; send fewer or shorter parameters`,
        "query_length",
        REQUEST_LIMITS.query_length,
        414,
      );
    }
    const parameters = query === "" ? 0 : query.split("&").filter(Boolean).length;
    if (parameters > REQUEST_LIMITS.query_parameters) {
      throw new RequestLimitExceeded(
        `the query string has ${parameters} parameters, over the limit of ${REQUEST_LIMITS.query_parameters}`,
        "query_parameters",
        REQUEST_LIMITS.query_parameters,
        400,
      );
    }
    next();
  };
}

/**
 * A body-parser `verify` hook refusing JSON nested deeper than the limit, before it is parsed: deep nesting costs the
 * parser seconds and the validators' recursion its stack, and no question needs it.
 */
export function refuseDeepJson(_request: IncomingMessage, _response: unknown, body: Buffer): void {
  if (jsonNestingOverflow(body, REQUEST_LIMITS.nesting_depth) !== undefined) {
    throw new RequestLimitExceeded(
      `the request body nests arrays and objects more than ${REQUEST_LIMITS.nesting_depth} deep; flatten the data, or put it in a dataset`,
      "nesting_depth",
      REQUEST_LIMITS.nesting_depth,
      400,
    );
  }
}

/**
 * How many live streams a client address may hold: `concurrent_streams` for one beyond this machine; no limit for this
 * machine's own loopback, which every local asker and every job of a network on one machine shares, so that a limit
 * there would hold the whole machine to one client's share.
 */
export function streamLimitFor(address: string | undefined): number {
  return isLoopbackAddress(address) ? Number.POSITIVE_INFINITY : REQUEST_LIMITS.concurrent_streams;
}

/**
 * Holds each client address to its number of live event streams at once (429 beyond, with `Retry-After`): a stream
 * holds a connection and polls the store, so one client must not be able to take them all.
 */
export function limitConcurrentStreams(
  limitFor: (address: string | undefined) => number = streamLimitFor,
): RequestHandler {
  const open = new Map<string, number>();
  return (request, response, next) => {
    if (request.method !== "GET" || !isEventStreamRequest(request.headers.accept)) return next();
    const client = request.socket.remoteAddress ?? "unknown";
    const count = open.get(client) ?? 0;
    const limit = limitFor(request.socket.remoteAddress);
    if (count >= limit) {
      response.setHeader("retry-after", "5");
      throw new RequestLimitExceeded(
        `this client has ${count} live event streams open, the most one client may hold at once; close one, or read events without following them (Accept: application/json)`,
        "concurrent_streams",
        limit,
        429,
      );
    }
    open.set(client, count + 1);
    response.once("close", () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left <= 0) open.delete(client);
      else open.set(client, left);
    });
    next();
  };
}

function isEventStreamRequest(accept: string | undefined): boolean {
  return accept?.toLowerCase().includes("text/event-stream") === true;
}
