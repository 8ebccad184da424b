/**
 * The HTTP side: a node:http server on 127.0.0.1 that checks the bearer token, records every request, turns errors
 * into Status bodies, and streams watches as JSON lines.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { definedProperties } from "../../../shared/objects/index.js";
import type { Api, WatchRequest } from "./api.js";
import { type JsonObject, stringAt } from "./json.js";
import type { ObjectStore, StoreEvent } from "./object-store.js";
import { ApiError, badRequest, gone, unauthorized } from "./status.js";

type Send = (type: string, object: unknown) => void;

export interface RecordedRequest {
  readonly method: string;
  /** Path and query string, as sent: `/apis/batch/v1/namespaces/ns/jobs/x?propagationPolicy=Background`. */
  readonly path: string;
  readonly body?: unknown;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

export class HttpFrontEnd {
  private readonly log: RecordedRequest[] = [];
  /** Open watches, with how to send each one an event. */
  private readonly watches = new Map<ServerResponse, { readonly watch: WatchRequest; readonly send: Send }>();
  private server: Server | undefined;

  constructor(
    private readonly api: Api,
    private readonly store: ObjectStore,
    private readonly token: string,
  ) {}

  requests(): readonly RecordedRequest[] {
    return [...this.log];
  }

  async listen(): Promise<string> {
    const server = createServer((request, response) => {
      this.serve(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          sendJson(response, 500, new ApiError(500, "InternalError", String(error)).toStatus());
        else response.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /**
   * Sends a BOOKMARK (the object's kind with only `metadata.resourceVersion`, the current version) to every open
   * watch that allowed bookmarks, as the apiserver does about once a minute.
   */
  bookmark(): void {
    for (const { watch, send } of this.watches.values()) {
      if (!watch.bookmarks) continue;
      send("BOOKMARK", {
        apiVersion: watch.resource.apiVersion,
        kind: watch.resource.kind,
        metadata: { resourceVersion: this.store.resourceVersion },
      });
    }
  }

  /** Ends every open watch's response, as when the apiserver restarts or a proxy closes idle connections. */
  dropWatches(): void {
    for (const response of [...this.watches.keys()]) response.end();
  }

  async close(): Promise<void> {
    for (const response of this.watches.keys()) response.end();
    this.watches.clear();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    const raw = await readBody(request);
    const text = raw.toString("utf8");
    let body: unknown;
    let parseError: string | undefined;
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch (error) {
        parseError = error instanceof Error ? error.message : String(error);
      }
    }
    const method = request.method ?? "GET";
    this.log.push({ method, path: `${url.pathname}${url.search}`, ...definedProperties({ body }) });
    try {
      if (request.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
      if (parseError !== undefined) throw badRequest(`the body of the request is not valid JSON: ${parseError}`);
      const contentType = request.headers["content-type"]?.split(";")[0]?.trim();
      const answer = this.api.handle({
        method,
        path: url.pathname,
        query: url.searchParams,
        ...definedProperties({ contentType, body }),
      });
      if ("watch" in answer) this.watch(response, answer.watch);
      else sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (error instanceof ApiError) sendJson(response, error.code, error.toStatus());
      else throw error;
    }
  }

  private watch(response: ServerResponse, watch: WatchRequest): void {
    const inScope = (object: JsonObject): boolean =>
      (watch.namespace === undefined || stringAt(object, "metadata", "namespace") === watch.namespace) &&
      watch.matches(object);
    let backlog: { type: string; object: unknown }[];
    const version = watch.resourceVersion;
    if (version === undefined || version === "" || version === "0") {
      // No version: the current state as ADDED events first, then changes.
      backlog = this.store
        .list(watch.resource, watch.namespace)
        .filter(inScope)
        .map((object) => ({ type: "ADDED", object }));
    } else {
      const since = Number(version);
      if (!Number.isInteger(since)) throw badRequest(`invalid resourceVersion "${version}"`);
      const events = this.store.eventsAfter(since);
      if (events === undefined) {
        const status = gone(`too old resource version: ${since} (${this.store.resourceVersion})`).toStatus();
        backlog = [{ type: "ERROR", object: status }];
      } else {
        backlog = events
          .filter((event) => event.resource === watch.resource && inScope(event.object))
          .map((event) => ({ type: event.type, object: event.object }));
      }
    }
    response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    // Without this the client's fetch does not resolve until the first event.
    response.flushHeaders();
    const send: Send = (type, object) => {
      response.write(`${JSON.stringify({ type, object })}\n`);
    };
    for (const event of backlog) send(event.type, event.object);
    if (backlog.some((event) => event.type === "ERROR")) {
      response.end();
      return;
    }
    const unsubscribe = this.store.subscribe((event: StoreEvent) => {
      if (event.resource === watch.resource && inScope(event.object)) send(event.type, event.object);
    });
    this.watches.set(response, { watch, send });
    let timer: NodeJS.Timeout | undefined;
    if (watch.timeoutSeconds !== undefined) timer = setTimeout(() => response.end(), watch.timeoutSeconds * 1000);
    // The response's close, not the request's: Node fires the request's as soon as its body has been read.
    response.on("close", () => {
      unsubscribe();
      this.watches.delete(response);
      if (timer !== undefined) clearTimeout(timer);
    });
  }
}
