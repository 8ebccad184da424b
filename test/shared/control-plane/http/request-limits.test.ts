import { mkdtempSync } from "node:fs";
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../../platform/embedded-network.js";
import { createHttpApi } from "../../../../platform/http-api.js";
import { jsonErrors } from "../../../../shared/control-plane/http/json-errors.js";
import { answerMalformedRequestsAsJson } from "../../../../shared/control-plane/http/malformed-requests.js";
import {
  limitConcurrentStreams,
  REQUEST_LIMITS,
  streamLimitFor,
} from "../../../../shared/control-plane/http/request-limits.js";
import { jsonNestingOverflow } from "../../../../shared/json/index.js";
import { storeQuestion } from "../../../support/stored-question.js";

const TOKEN = "a-token-long-enough-to-be-accepted-0123456789";

let network: EmbeddedNetwork;
let open: Server;
let guarded: Server;

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-limits-")),
    databasePath: ":memory:",
    cpuQuota: 1,
  });
  open = await listen(createHttpApi(network, { pollIntervalMs: 50 }).listen(0, "127.0.0.1"));
  guarded = await listen(createHttpApi(network, { token: TOKEN }).listen(0, "127.0.0.1"));
});

afterAll(async () => {
  for (const server of [open, guarded]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await network.close();
});

async function listen(server: Server): Promise<Server> {
  answerMalformedRequestsAsJson(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return server;
}

function base(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function call(
  server: Server,
  method: string,
  route: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${base(server)}${route}`, {
    method,
    headers: { "content-type": "application/json", ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> };
}

function nested(depth: number): string {
  return `{"recipient":"a/b","input_values":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
}

describe("the limits of the HTTP API", () => {
  it("answers a path, a query string or a parameter count over its limit with a 4xx naming the limit", async () => {
    const longPath = await call(open, "GET", `/questions/${"a".repeat(REQUEST_LIMITS.path_length)}`);
    expect(longPath).toMatchObject({
      status: 414,
      body: { error: { type: "RequestLimitExceeded", details: { limit: "path_length", maximum: 2048 } } },
    });
    const longQuery = await call(open, "GET", `/questions?status=${"x".repeat(REQUEST_LIMITS.query_length)}`);
    expect(longQuery).toMatchObject({ status: 414, body: { error: { details: { limit: "query_length" } } } });
    const parameters = Array.from({ length: REQUEST_LIMITS.query_parameters + 1 }, (_, index) => `p${index}=1`);
    expect(await call(open, "GET", `/questions?${parameters.join("&")}`)).toMatchObject({
      status: 400,
      body: { error: { details: { limit: "query_parameters", maximum: 32 } } },
    });
  });

  it("refuses JSON nested deeper than the limit before parsing it, and takes it at the limit", async () => {
    const tooDeep = await call(open, "POST", "/questions", { body: nested(REQUEST_LIMITS.nesting_depth + 1) });
    expect(tooDeep).toMatchObject({
      status: 400,
      body: { error: { type: "RequestLimitExceeded", details: { limit: "nesting_depth", maximum: 64 } } },
    });
    // A million brackets: refused at once, not after seconds of parsing.
    const huge = await call(open, "POST", "/questions", { body: `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}` });
    expect(huge.status).toBe(400);
    // At the limit the body is read, and the question is refused for what it is: an unknown service.
    const atLimit = await call(open, "POST", "/questions", { body: nested(REQUEST_LIMITS.nesting_depth) });
    expect(atLimit).toMatchObject({ status: 404, body: { error: { type: "RevisionNotFound" } } });
  });

  it("counts nesting outside strings only, in text and in bytes", () => {
    const cases: [string, number, number | undefined][] = [
      ['{"a":[[1],{"b":"[[[[{{"}]}', 3, undefined],
      ['{"a":[[1],{"b":"[[[[{{"}]}', 2, 6],
      ['["\\"[[[", [[]]]', 2, 11],
      ["[".repeat(100), 5, 5],
    ];
    for (const [text, limit, offset] of cases) {
      expect(jsonNestingOverflow(text, limit), text).toBe(offset);
      expect(jsonNestingOverflow(new TextEncoder().encode(text), limit), text).toBe(offset);
    }
  });

  it("holds a client beyond this machine to its number of live event streams (429), and frees a place when one closes", async () => {
    // Loopback has no limit (every local asker and job shares it): a network whose limit is 3 for this peer stands in
    // for a client elsewhere.
    const app = express();
    app.use(limitConcurrentStreams(() => 3));
    app.get("/stream", (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(": open\n\n");
    });
    app.use(jsonErrors());
    const limited = await listen(app.listen(0, "127.0.0.1"));
    const route = `${base(limited)}/stream`;
    const streams: AbortController[] = [];
    try {
      for (let index = 0; index < 3; index++) {
        const controller = new AbortController();
        streams.push(controller);
        const response = await fetch(route, { headers: { accept: "text/event-stream" }, signal: controller.signal });
        expect(response.status).toBe(200);
      }
      const refused = await call(limited, "GET", "/stream", { headers: { accept: "text/event-stream" } });
      expect(refused).toMatchObject({
        status: 429,
        body: { error: { type: "RequestLimitExceeded", details: { limit: "concurrent_streams", maximum: 3 } } },
      });
      expect(refused.headers.get("retry-after")).toBe("5");
      streams.pop()?.abort();
      await expect
        .poll(async () => {
          const again = await fetch(route, { headers: { accept: "text/event-stream" } });
          await again.body?.cancel();
          return again.status;
        })
        .toBe(200);
    } finally {
      for (const controller of streams) controller.abort();
      limited.closeAllConnections();
      await new Promise((resolve) => limited.close(resolve));
    }
  });

  it("sets the stream limit for clients elsewhere, and none for this machine's own", () => {
    expect(streamLimitFor("10.0.0.7")).toBe(REQUEST_LIMITS.concurrent_streams);
    expect(streamLimitFor("2001:db8::1")).toBe(64);
    for (const local of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) expect(streamLimitFor(local)).toBe(Infinity);
  });

  it("lets this machine follow more questions at once than a remote client may", async () => {
    const question = await storeQuestion(network.questions, {
      sender: "tests/asker:1",
      recipient: "tests/nobody:1.0.0",
      event: { kind: "question", input_values: {} },
    });
    const route = `${base(open)}/questions/${question.question_uuid}/events`;
    const streams: AbortController[] = [];
    try {
      for (let index = 0; index <= REQUEST_LIMITS.concurrent_streams; index++) {
        const controller = new AbortController();
        streams.push(controller);
        const response = await fetch(route, { headers: { accept: "text/event-stream" }, signal: controller.signal });
        expect(response.status).toBe(200);
      }
    } finally {
      for (const controller of streams) controller.abort();
    }
  });

  it("answers headers over Node's limit, and requests that are not HTTP, with a JSON error", async () => {
    const tooLarge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${base(open)}/healthz`,
        { headers: { "x-padding": "x".repeat(20_000) } },
        (response) => {
          let body = "";
          response.setEncoding("utf8").on("data", (chunk: string) => {
            body += chunk;
          });
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on("error", reject);
      request.end();
    });
    expect(tooLarge.status).toBe(431);
    expect(JSON.parse(tooLarge.body)).toMatchObject({ error: { details: { limit: "header_bytes" } } });
    const garbage = await new Promise<string>((resolve, reject) => {
      const socket = connect((open.address() as AddressInfo).port, "127.0.0.1", () => socket.write("NOT HTTP\r\n\r\n"));
      let text = "";
      socket.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      socket.on("end", () => resolve(text)).on("error", reject);
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage).toContain('"type":"MalformedRequest"');
  });
});

describe("a network that requires its token", () => {
  it("answers only requests that carry it, and lets health checks and signed storage URLs through", async () => {
    const missing = await call(guarded, "GET", "/questions");
    expect(missing).toMatchObject({ status: 401, body: { error: { type: "NetworkTokenRequired" } } });
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(JSON.stringify(missing.body)).toMatch(/TWINED_TOKEN/);
    const wrong = await call(guarded, "GET", "/questions", { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong).toMatchObject({ status: 401, body: { error: { type: "NetworkTokenRequired" } } });
    // Neither token is ever repeated back.
    expect(JSON.stringify(wrong.body)).not.toContain(TOKEN);
    const basic = await call(guarded, "GET", "/questions", { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    // A body is not even read without the token.
    const posted = await call(guarded, "POST", "/questions", { body: "{not json" });
    expect(posted.status).toBe(401);
    expect((await call(guarded, "GET", "/questions", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    expect((await call(guarded, "GET", "/healthz")).status).toBe(200);
    // A storage URL is checked by its own signature: an unsigned one is refused by that check, not by the token's.
    const storage = await fetch(`${base(guarded)}/storage/datasets/a.txt`);
    expect(storage.status).toBe(400);
    expect(await storage.text()).toMatch(/<Code>/);
  });
});
