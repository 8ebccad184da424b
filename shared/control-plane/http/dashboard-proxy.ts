import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import express, { type Express, type Response } from "express";
import { createProxyServer } from "httpxy";
import { RequestLimitExceeded } from "../../errors/index.js";
import { allowOnlyHosts } from "./allowed-hosts.js";
import { dashboardFiles } from "./dashboard-files.js";
import { jsonErrors } from "./json-errors.js";
import { limitConcurrentStreams, limitUrls, REQUEST_LIMITS } from "./request-limits.js";

export interface DashboardProxyOptions {
  /** The network whose API the page's calls go to (a deployed questions API, or a `twined dev` elsewhere). */
  readonly network: URL;
  /**
   * Where `/registry…` goes: a deployed network's revision-registry function, which is not its questions API. By
   * default the network itself (`twined dev` serves both).
   */
  readonly registry?: URL;
  /**
   * The bearer token a call to `audience` (the network or the registry, as given) carries: an identity token for IAM,
   * or a `twined dev`'s token.
   */
  readonly bearerToken: (audience: URL) => Promise<string | undefined>;
  /** The folder of the dashboard's static files, served at `/`. */
  readonly dashboard: string;
  /** Answers only requests addressed to these `host:port`s, and pages from them (see `allowOnlyHosts`). */
  readonly allowedHosts: () => ReadonlySet<string> | undefined;
}

/** A question UUID (or any plain id) as one path segment: never `..`, never an encoded slash. */
const ID = "[A-Za-z0-9][A-Za-z0-9-]{0,63}";

/**
 * The calls the dashboard makes, and nothing else: everything the proxy forwards carries the asker's identity, so it
 * must not become a general way into the network (registering revisions, replaying dead letters, posting events).
 */
export const DASHBOARD_API_ROUTES: readonly { readonly method: string; readonly path: RegExp }[] = [
  { method: "GET", path: /^\/questions$/ },
  { method: "GET", path: /^\/questions\/counts$/ },
  { method: "GET", path: new RegExp(`^/questions/${ID}$`) },
  { method: "GET", path: new RegExp(`^/questions/${ID}/(events|question|output-manifest|diagnostics)$`) },
  { method: "POST", path: new RegExp(`^/questions/${ID}/cancel$`) },
  { method: "GET", path: /^\/registry$/ },
  { method: "GET", path: /^\/registry(\/[A-Za-z0-9._-]{1,128}){1,5}$/ },
];

export function isDashboardApiRoute(method: string, path: string): boolean {
  return DASHBOARD_API_ROUTES.some((route) => route.method === method && route.path.test(path));
}

/**
 * What the browser sends that the network must not see: connection headers, and the browser's own credentials and
 * provenance. The network sees the proxy as its caller, with the proxy's bearer token and nothing of the browser's.
 */
/** Headers that belong to one connection (RFC 9110 §7.6.1), never passed on in either direction. */
const HOP_BY_HOP = ["connection", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];

const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  "proxy-authorization",
  "proxy-authenticate",
  "authorization",
  "cookie",
  "origin",
  "referer",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-proto",
]);

/** What the network answers that must not reach the browser: connection headers, cookies, auth challenges. */
const NOT_RETURNED = new Set([
  ...HOP_BY_HOP,
  "proxy-authenticate",
  "set-cookie",
  // A Basic challenge would open the browser's own login prompt; the page explains a 401 itself.
  "www-authenticate",
]);

/**
 * `twined dashboard`: the question dashboard's files, and the API calls the page makes passed on to a network that is
 * behind IAM (or a token), each with the proxy's bearer token. Bodies stream both ways, so a live event stream arrives
 * event by event. On loopback, the same host and origin checks as `twined dev`; the same URL, body and stream limits.
 */
export function dashboardProxy(options: DashboardProxyOptions): Express {
  const network = withoutTrailingSlash(options.network);
  const registry = withoutTrailingSlash(options.registry ?? options.network);
  // The target is chosen per call: the options given here would override those of each call.
  const proxy = createProxyServer({ changeOrigin: true, xfwd: false, followRedirects: false });
  const forwarded = new WeakMap<IncomingMessage, ClientRequest>();
  proxy.on("proxyReq", (proxyRequest, request) => {
    forwarded.set(request, proxyRequest);
  });
  proxy.on("proxyRes", (proxyResponse) => {
    stripHeaders(proxyResponse.headers, NOT_RETURNED);
  });
  proxy.on("error", (error, _request, response, target) => {
    if (response === undefined || !("headersSent" in response)) return;
    const reply = response as ServerResponse;
    // Already answered (a body over the limit abandons its forwarded request).
    if (reply.writableEnded) return;
    if (reply.headersSent) {
      reply.destroy();
      return;
    }
    const unreachable = target instanceof URL && target.origin === new URL(registry).origin ? registry : network;
    reply.statusCode = 502;
    reply.setHeader("content-type", "application/json; charset=utf-8");
    reply.end(
      JSON.stringify({
        error: {
          type: "NetworkUnreachable",
          message: `the network at ${unreachable} cannot be reached (${describe(error)}); check the URL and your connection`,
          details: { network: unreachable },
        },
      }),
    );
  });

  const app = express();
  app.disable("x-powered-by");
  app.use(allowOnlyHosts(options.allowedHosts));
  app.use(dashboardFiles(options.dashboard));
  app.use(limitUrls());
  app.use((request, response, next) => {
    if (isDashboardApiRoute(request.method, request.path)) return next();
    response.status(404).json({
      error: {
        type: "NotFound",
        message: `no route for ${request.method} ${request.path}: the dashboard passes on only the calls its page makes`,
        details: {},
      },
    });
  });
  app.use(limitConcurrentStreams());
  app.use(async (request, response, next) => {
    try {
      const declared = Number(request.headers["content-length"] ?? 0);
      if (declared > REQUEST_LIMITS.request_body_bytes) throw bodyTooLarge();
      const target = REGISTRY_PATH.test(request.path) ? registry : network;
      let token: string | undefined;
      try {
        token = await options.bearerToken(new URL(target));
      } catch (error) {
        response.status(502).json({
          error: {
            type: error instanceof Error ? error.name : "IdentityTokenUnavailable",
            message: `no token to call the network at ${target} with: ${describe(error)}`,
            details: { network: target },
          },
        });
        return;
      }
      stripHeaders(request.headers, NOT_FORWARDED);
      // A compressed event stream would arrive in the compressor's chunks, not event by event.
      if (request.headers.accept?.includes("text/event-stream") === true)
        request.headers["accept-encoding"] = "identity";
      const body = limitedBody(request, response, () => forwarded.get(request));
      await proxy.web(request, response, {
        target,
        buffer: body,
        ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
      });
    } catch (error) {
      next(error);
    }
  });
  app.use(jsonErrors());
  return app;
}

const REGISTRY_PATH = /^\/registry(\/|$)/;

function withoutTrailingSlash(url: URL): string {
  return url.href.replace(/\/+$/, "");
}

function stripHeaders(headers: IncomingHttpHeaders, names: ReadonlySet<string>): void {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "");
  for (const name of [...names, ...named]) delete headers[name];
}

/**
 * The request body as it streams to the network, cut off at `request_body_bytes` (a chunked body declares no length):
 * the browser gets 413, and the half-sent request to the network is abandoned.
 */
function limitedBody(
  request: IncomingMessage,
  response: Response,
  forwarded: () => ClientRequest | undefined,
): Transform {
  let bytes = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      bytes += chunk.length;
      if (bytes > REQUEST_LIMITS.request_body_bytes) callback(bodyTooLarge());
      else callback(null, chunk);
    },
  });
  body.once("error", (error) => {
    forwarded()?.destroy();
    request.unpipe(body);
    if (!response.headersSent && error instanceof RequestLimitExceeded) {
      response.setHeader("connection", "close");
      response.status(413).json({
        error: { type: error.name, message: error.message, details: { limit: error.limit, maximum: error.maximum } },
      });
    } else response.destroy();
  });
  request.pipe(body);
  return body;
}

function bodyTooLarge(): RequestLimitExceeded {
  return new RequestLimitExceeded(
    `the request body is over the limit of ${REQUEST_LIMITS.request_body_bytes} bytes`,
    "request_body_bytes",
    REQUEST_LIMITS.request_body_bytes,
    413,
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
