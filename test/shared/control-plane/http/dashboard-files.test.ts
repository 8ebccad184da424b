import { mkdtempSync, readFileSync } from "node:fs";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../../platform/embedded-network.js";
import { createHttpApi, type HttpApiOptions } from "../../../../platform/http-api.js";

const TOKEN = "a-network-token-long-enough-to-be-accepted";

let network: EmbeddedNetwork;
const servers: Server[] = [];

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dashboard-files-")),
    databasePath: ":memory:",
    cpuQuota: 1,
  });
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await network.close();
});

/** Serves the API on loopback; with `checkHosts`, answering only requests addressed to its own address. */
async function serve(options: HttpApiOptions, checkHosts = false): Promise<string> {
  const allowed = new Set<string>();
  const server = createHttpApi(network, { ...options, ...(checkHosts ? { allowedHosts: () => allowed } : {}) });
  const listening = server.listen(0, "127.0.0.1");
  await new Promise((resolve) => listening.once("listening", resolve));
  servers.push(listening);
  const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  allowed.add(new URL(base).host);
  return base;
}

describe("the dashboard's files", () => {
  it("are served at / with a policy that loads nothing from elsewhere, only when the dashboard is on", async () => {
    const on = await serve({ dashboard: true });
    const page = await fetch(`${on}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    expect(html).toContain('src="dashboard.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${on}/dashboard.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(await script.text()).not.toMatch(/innerHTML|insertAdjacentHTML|outerHTML|document\.write|eval\(/);
    expect((await fetch(`${on}/dashboard.css`)).status).toBe(200);
    // Anything else goes on to the API.
    expect((await fetch(`${on}/../package.json`)).status).toBe(404);
    expect((await fetch(`${on}/.gitignore`)).status).toBe(404);
    expect((await fetch(`${on}/healthz`)).status).toBe(200);

    const off = await serve({});
    expect(await (await fetch(`${off}/`)).json()).toMatchObject({ error: { type: "NotFound" } });
    expect((await fetch(`${off}/dashboard.js`)).status).toBe(404);
  });

  it("need no token (they hold no data), while the API they call does", async () => {
    const base = await serve({ dashboard: true, token: TOKEN });
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/dashboard.js`)).status).toBe(200);
    expect((await fetch(`${base}/questions`)).status).toBe(401);
    expect((await fetch(`${base}/questions/counts`)).status).toBe(401);
    const authorised = { headers: { authorization: `Bearer ${TOKEN}` } };
    expect((await fetch(`${base}/questions/counts`, authorised)).status).toBe(200);
  });

  it("stay behind the host and origin checks of a network on loopback", async () => {
    const base = await serve({ dashboard: true }, true);
    expect((await fetch(`${base}/`)).status).toBe(200);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const url = new URL(base);
      request(
        { host: url.hostname, port: url.port, path: "/", headers: { host: "attacker.example:80" } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      )
        .on("error", reject)
        .end();
    });
    expect(status).toBe(403);
    const crossSite = await fetch(`${base}/questions`, { headers: { origin: "http://attacker.example" } });
    expect(crossSite.status).toBe(403);
  });
});

describe("the dashboard's copy of the question statuses", () => {
  it("names every status the network has, and the same terminal ones (the page has no build step to import them)", async () => {
    const { QUESTION_STATUSES, isTerminal } = await import("../../../../shared/questions/index.js");
    const source = readFileSync(path.resolve("dashboard/dashboard.js"), "utf8");
    const list = (name: string) =>
      [
        ...(new RegExp(`const ${name} = (?:new Set\\()?\\[([^\\]]*)\\]`).exec(source)?.[1] ?? "").matchAll(/"(\w+)"/g),
      ].map((match) => match[1]);
    expect(list("STATUSES")).toEqual([...QUESTION_STATUSES]);
    expect(list("TERMINAL")).toEqual(QUESTION_STATUSES.filter((status) => isTerminal(status)));
  });
});
