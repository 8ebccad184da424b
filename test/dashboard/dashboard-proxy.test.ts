import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi, dashboardFolder } from "../../platform/http-api.js";
import { loopbackHosts } from "../../shared/control-plane/http/allowed-hosts.js";
import { dashboardProxy } from "../../shared/control-plane/http/dashboard-proxy.js";
import { storeQuestion } from "../support/stored-question.js";
import { CHROMIUM, CHROMIUM_AVAILABLE, chromiumArguments } from "./browser.js";

// The "deployed network": its API answers only this bearer token, as IAM answers only identity tokens.
const TOKEN = "dashboard-proxy-test-token-0123456789abcdef";

let network: EmbeddedNetwork;
const servers: Server[] = [];
let proxy = "";
let browser: Browser;

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  if (!CHROMIUM_AVAILABLE) return;
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dashboard-proxy-page-")),
    databasePath: ":memory:",
    cpuQuota: 1,
  });
  const networkPort = await listen(createServer(createHttpApi(network, { token: TOKEN })));
  let allowed: ReadonlySet<string> = new Set();
  const port = await listen(
    createServer(
      dashboardProxy({
        network: new URL(`http://127.0.0.1:${networkPort}`),
        bearerToken: async () => TOKEN,
        dashboard: dashboardFolder(),
        allowedHosts: () => allowed,
      }),
    ),
  );
  allowed = loopbackHosts(port);
  proxy = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArguments() });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await network?.close();
});

describe.skipIf(!CHROMIUM_AVAILABLE)("the dashboard of a network behind IAM, through twined dashboard", () => {
  it("lists the network's questions without asking the browser for any token", async () => {
    const { question_uuid: uuid } = await storeQuestion(network.questions, { recipient: "octue/svc:1.0.0" });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${proxy}/`);
    await page.locator(`tr[data-question="${uuid}"]`).waitFor({ timeout: 10_000 });
    expect(await page.getByRole("heading", { name: "This network needs its token" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
