import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";

/** One POST of one event to a push endpoint. */
export interface PushRequest {
  readonly url: URL;
  /** The host to connect to, as `PushTarget.host` gives it (an IPv6 address without brackets). */
  readonly host: string;
  /** Resolves `host` for the connection, failing when the guard refuses what it resolves to. */
  readonly lookup: LookupFunction;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** How long the whole exchange may take, from resolving to the end of the response. */
  readonly timeoutMs: number;
}

export interface PushResponse {
  readonly status: number;
  /** Where a redirect points, which is reported, never followed. */
  readonly location: string | undefined;
}

/** Sends a push; rejects when no response came (refused, unresolvable, unreachable, timed out). */
export type PushSender = (request: PushRequest) => Promise<PushResponse>;

/**
 * Sends with `node:http(s)` rather than `fetch`, which follows redirects (a public receiver could send the push on to
 * a private address) and connects wherever its own resolver says. No keep-alive pool either: a pooled socket would skip
 * the lookup that checks where it goes. The response body is read and thrown away.
 */
export const sendPush: PushSender = (push) =>
  new Promise<PushResponse>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const send = push.url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      {
        protocol: push.url.protocol,
        hostname: push.host,
        ...(push.url.port === "" ? {} : { port: Number(push.url.port) }),
        path: `${push.url.pathname}${push.url.search}`,
        method: "POST",
        headers: { ...push.headers, "content-length": String(Buffer.byteLength(push.body)) },
        lookup: push.lookup,
        agent: false,
      },
      (response: IncomingMessage) => {
        const answer: PushResponse = { status: response.statusCode ?? 0, location: response.headers.location };
        response.on("error", (error) => settle(() => reject(error)));
        response.on("end", () => settle(() => resolve(answer)));
        response.on("close", () => settle(() => reject(new Error("the connection closed before the response ended"))));
        response.resume();
      },
    );
    timer = setTimeout(() => {
      request.destroy(new Error(`no response within ${push.timeoutMs / 1000} s`));
    }, push.timeoutMs);
    request.on("error", (error) => settle(() => reject(error)));
    request.end(push.body);
  });
