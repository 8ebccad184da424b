import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { storeQuestion } from "../support/stored-question.js";
import { CHROMIUM, CHROMIUM_AVAILABLE, chromiumArguments } from "./browser.js";

// A network that requires its token, as `twined dev` beyond loopback does; served here on loopback only.
const TOKEN = "dashboard-test-token-0123456789abcdef";

let network: EmbeddedNetwork;
let server: Server;
let base = "";
let browser: Browser;

beforeAll(async () => {
  if (!CHROMIUM_AVAILABLE) return;
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dashboard-token-")),
    databasePath: ":memory:",
    cpuQuota: 1,
  });
  server = createHttpApi(network, { token: TOKEN, dashboard: true }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArguments() });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await network?.close();
});

describe.skipIf(!CHROMIUM_AVAILABLE)("the dashboard on a network that requires its token", () => {
  it("asks for the token once, keeps it for the tab, and sends it on every call", async () => {
    const { question_uuid: uuid } = await storeQuestion(network.questions, { recipient: "octue/svc:1.0.0" });
    const page = await browser.newPage();
    const authorisations = new Set<string>();
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/questions")) {
        authorisations.add(request.headers().authorization ?? "none");
      }
    });
    await page.goto(`${base}/`);
    await page.getByRole("heading", { name: "This network needs its token" }).waitFor({ timeout: 10_000 });

    await page.getByLabel("Token").fill("wrong-token");
    await page.getByRole("button", { name: "Use the token" }).click();
    await page.getByText("That token was refused.").waitFor({ timeout: 10_000 });

    await page.getByLabel("Token").fill(TOKEN);
    await page.getByRole("button", { name: "Use the token" }).click();
    await page.locator(`tr[data-question="${uuid}"]`).waitFor({ timeout: 10_000 });
    expect(authorisations).toEqual(new Set(["none", "Bearer wrong-token", `Bearer ${TOKEN}`]));

    // A question's page streams its events with the token too (fetch, not EventSource).
    await page.goto(`${base}/#/question/${uuid}`);
    await page.getByRole("heading", { name: `Question ${uuid}` }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator("#connection").textContent(), { timeout: 10_000 }).toContain("live");
    await page.close();
  }, 60_000);
});
