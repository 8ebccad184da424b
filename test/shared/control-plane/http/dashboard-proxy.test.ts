import { mkdtempSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../../platform/embedded-network.js";
import { createHttpApi, dashboardFolder } from "../../../../platform/http-api.js";
import { NetworkClient } from "../../../../shared/client/index.js";
import { loopbackHosts } from "../../../../shared/control-plane/http/allowed-hosts.js";
import { dashboardProxy, isDashboardApiRoute } from "../../../../shared/control-plane/http/dashboard-proxy.js";
import { IdentityTokenUnavailable } from "../../../../shared/errors/index.js";
import { testService } from "../../../scenarios/scenario-services.js";
import { waitFor } from "../../../support/wait-for.js";

/** The "deployed network": an embedded network whose API needs this token, as IAM needs an identity token. */
const TOKEN = "an-identity-token-standing-in-for-iam-0123456789";

/** Logs a line, then takes its time, so its event stream is live while it runs. */
const SLOW_APP = `import logging, time

def run(analysis):
    logging.getLogger("slow").info("started")
    time.sleep(float((analysis.input_values or {}).get("seconds", 20)))
    analysis.output_values = {"done": True}
`;

let network: EmbeddedNetwork;
let networkUrl = "";
/** The headers of every request the network received, in order. */
const received: { url: string; headers: IncomingHttpHeaders }[] = [];
const servers: Server[] = [];

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The proxy in front of `network`, on loopback with `twined dashboard`'s host checks. */
async function proxyTo(
  network: string,
  bearerToken: (audience: URL) => Promise<string | undefined> = async () => TOKEN,
  registry?: string,
) {
  let allowed: ReadonlySet<string> = new Set();
  const base = await listen(
    createServer(
      dashboardProxy({
        network: new URL(network),
        ...(registry === undefined ? {} : { registry: new URL(registry) }),
        bearerToken,
        dashboard: dashboardFolder(),
        allowedHosts: () => allowed,
      }),
    ),
  );
  allowed = loopbackHosts(Number(new URL(base).port));
  return base;
}

/** A GET with the headers given as they are (fetch would not let a test set Host). */
function rawGet(
  base: string,
  pathname: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const url = new URL(pathname, base);
    const outgoing = request(url, { headers }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text || "null") }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

let proxy = "";

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dashboard-proxy-")),
    databasePath: ":memory:",
    cpuQuota: 2,
  });
  const api = createHttpApi(network, { token: TOKEN, pollIntervalMs: 50 });
  networkUrl = await listen(
    createServer((incoming, response) => {
      received.push({ url: incoming.url ?? "", headers: { ...incoming.headers } });
      api(incoming, response);
    }),
  );
  network.setNetworkUrl(networkUrl);
  const directory = testService("slow", SLOW_APP);
  await new NetworkClient(networkUrl, { identityToken: TOKEN }).registerRevision("scenarios", "slow", "1.0.0", {
    twine: { input_values_schema: {}, output_values_schema: {} },
    source: { kind: "directory", path: directory },
    default: true,
  });
  proxy = await proxyTo(networkUrl);
}, 60_000);

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await network.close();
});

describe("the dashboard proxy", () => {
  it("serves the page's own files, with the same policy as twined dev", async () => {
    const page = await fetch(`${proxy}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(await page.text()).toContain('src="dashboard.js"');
    expect((await fetch(`${proxy}/dashboard.js`)).status).toBe(200);
    expect((await fetch(`${proxy}/dashboard.css`)).status).toBe(200);
  });

  it("passes the page's calls on with its token, never the browser's credentials", async () => {
    // The network refuses a caller without the token, as IAM does.
    expect((await fetch(`${networkUrl}/questions`)).status).toBe(401);
    received.length = 0;
    const listed = await fetch(`${proxy}/questions?limit=5`, {
      headers: { authorization: "Bearer the-browsers-own", cookie: "session=secret", "x-forwarded-for": "1.2.3.4" },
    });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({ questions: expect.any(Array) });
    const seen = received.at(-1);
    expect(seen?.url).toBe("/questions?limit=5");
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen?.headers.cookie).toBeUndefined();
    expect(seen?.headers.origin).toBeUndefined();
    expect(seen?.headers["x-forwarded-for"]).toBeUndefined();
    expect(seen?.headers.host).toBe(new URL(networkUrl).host);
    expect(JSON.stringify(received)).not.toContain("the-browsers-own");

    expect((await fetch(`${proxy}/questions/counts`)).status).toBe(200);
    expect((await fetch(`${proxy}/registry`)).status).toBe(200);
  });

  it("passes the network's status codes and JSON errors through", async () => {
    const missing = await fetch(`${proxy}/questions/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: "QuestionNotFound" } });
    const malformed = await fetch(`${proxy}/questions?limit=many`);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { details: { pointer: expect.any(String) } } });
    const unauthorised = await proxyTo(networkUrl, async () => "a-wrong-token-of-sufficient-length");
    const refused = await fetch(`${unauthorised}/questions`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBeNull();
    expect(await refused.json()).toMatchObject({ error: { type: "NetworkTokenRequired" } });
  });

  it("streams a live question's events as they happen, and passes a cancel on", async () => {
    const asked = await new NetworkClient(networkUrl, { identityToken: TOKEN }).ask({
      recipient: "scenarios/slow",
      input_values: { seconds: 30 },
    });
    const uuid = asked.question_uuid;
    const controller = new AbortController();
    const stream = await fetch(`${proxy}/questions/${uuid}/events?after=0`, {
      headers: { accept: "text/event-stream" },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (stream.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    await waitFor(
      async () => {
        const { value } = await reader.read();
        text += value ?? "";
        return /"started"/.test(text);
      },
      { timeoutMs: 30_000, intervalMs: 0, description: () => `the log record through the proxy (got ${text})` },
    );
    // The log record came through while the question still runs.
    const running = (await (await fetch(`${proxy}/questions/${uuid}`)).json()) as { status: string };
    expect(running.status).toBe("running");

    const cancelled = await fetch(`${proxy}/questions/${uuid}/cancel`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reason: "cancelled through the dashboard proxy" }),
    });
    expect(cancelled.status).toBe(202);
    controller.abort();
    await reader.cancel().catch(() => undefined);
    await waitFor(
      async () =>
        ((await (await fetch(`${proxy}/questions/${uuid}`)).json()) as { status: string }).status === "cancelled",
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }, 60_000);

  it("refuses requests addressed elsewhere and pages of other sites, as twined dev does", async () => {
    const port = new URL(proxy).port;
    expect(await rawGet(proxy, "/questions", { host: "evil.example:7071" })).toMatchObject({
      status: 403,
      body: { error: { type: "HostNotAllowed" } },
    });
    expect(await rawGet(proxy, "/", { host: "evil.example:7071" })).toMatchObject({ status: 403 });
    expect(await rawGet(proxy, "/questions", { origin: "http://evil.example" })).toMatchObject({
      status: 403,
      body: { error: { type: "OriginNotAllowed" } },
    });
    expect(await rawGet(proxy, "/questions", { host: `localhost:${port}` })).toMatchObject({ status: 200 });
  });

  it("passes on only the calls the page makes", async () => {
    received.length = 0;
    for (const [method, pathname] of [
      ["GET", "/healthz"],
      ["GET", "/dead-letters"],
      ["PUT", "/registry/scenarios/slow/revisions/2.0.0"],
      ["POST", "/questions"],
      ["POST", "/questions/00000000-0000-4000-8000-000000000000/events"],
      ["GET", "/questions/..%2f..%2fhealthz"],
      ["GET", "/storage/anything"],
    ] as const) {
      const response = await fetch(`${proxy}${pathname}`, { method });
      expect(response.status, `${method} ${pathname}`).toBe(404);
      expect(await response.json()).toMatchObject({ error: { type: "NotFound" } });
    }
    expect(received).toEqual([]);
    expect(isDashboardApiRoute("GET", "/questions/abc-123/output-manifest")).toBe(true);
    expect(isDashboardApiRoute("POST", "/questions/abc-123/cancel")).toBe(true);
    expect(isDashboardApiRoute("DELETE", "/questions/abc-123")).toBe(false);
  });

  it("holds requests to the network's limits", async () => {
    const long = await fetch(`${proxy}/questions?recipient=${"a".repeat(5000)}`);
    expect(long.status).toBe(414);
    expect(await long.json()).toMatchObject({ error: { details: { limit: "query_length" } } });
    const big = await fetch(`${proxy}/questions/00000000-0000-4000-8000-000000000000/cancel`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reason: "x".repeat(11 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { details: { limit: "request_body_bytes" } } });
  });

  it("reads the registry from a function of its own when given one, with a token for that function", async () => {
    const registryCalls: { url: string; authorization: string | undefined }[] = [];
    const registry = await listen(
      createServer((incoming, response) => {
        registryCalls.push({ url: incoming.url ?? "", authorization: incoming.headers.authorization });
        response.writeHead(200, { "content-type": "application/json" }).end('{"revisions": []}');
      }),
    );
    const audiences: string[] = [];
    const split = await proxyTo(
      `${networkUrl}/`,
      async (audience) => {
        audiences.push(audience.href);
        return audience.href.startsWith(registry) ? "registry-token" : TOKEN;
      },
      `${registry}/main-twined-revision-registry`,
    );
    expect(await (await fetch(`${split}/registry?namespace=scenarios`)).json()).toEqual({ revisions: [] });
    expect(registryCalls).toEqual([
      { url: "/main-twined-revision-registry/registry?namespace=scenarios", authorization: "Bearer registry-token" },
    ]);
    expect((await fetch(`${split}/questions`)).status).toBe(200);
    expect(audiences).toEqual([`${registry}/main-twined-revision-registry`, `${networkUrl}/`]);
  });

  it("answers 502 NetworkUnreachable, naming the network, when it cannot be reached", async () => {
    const closed = createServer();
    const gone = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await proxyTo(gone);
    const response = await fetch(`${unreachable}/questions`);
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("NetworkUnreachable");
    expect(body.error.message).toContain(gone);
  });

  it("answers 502 when it has no token to send, without the network hearing of it", async () => {
    received.length = 0;
    const tokenless = await proxyTo(networkUrl, async () => {
      throw new IdentityTokenUnavailable(networkUrl, "no credentials found");
    });
    const response = await fetch(`${tokenless}/questions`);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { type: "IdentityTokenUnavailable" } });
    expect(received).toEqual([]);
  });
});
