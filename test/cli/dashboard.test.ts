import { mkdtempSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRegistry } from "../../cli/actions/dashboard.js";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { runTwined } from "./run-cli.js";

/** The fake deployed network's "IAM": its API answers only requests with this bearer token. */
const TOKEN = "an-identity-token-standing-in-for-iam-0123456789";

let network: EmbeddedNetwork;
let server: Server;
let networkUrl = "";
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dashboard-cli-")),
    databasePath: ":memory:",
    cpuQuota: 1,
  });
  const api = createHttpApi(network, { token: TOKEN });
  server = createServer((request, response) => {
    received.push({ ...request.headers });
    api(request, response);
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  networkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

describe("twined dashboard --network", () => {
  it("serves the page on loopback, passes its calls on with TWINED_ID_TOKEN, and stops cleanly on Ctrl-C", async () => {
    const { TWINED_TOKEN: _ignored, ...env } = process.env;
    const dashboard = startTwined(["dashboard", "--network", networkUrl, "--port", "0"], undefined, {
      ...env,
      TWINED_ID_TOKEN: TOKEN,
    });
    try {
      await waitFor(() => /at (http:\/\/\S+)\/ /.test(dashboard.output.stdout), {
        timeoutMs: 30_000,
        intervalMs: 50,
        description: () => `the dashboard's address (stderr: ${dashboard.output.stderr})`,
      });
      const base = /at (http:\/\/\S+)\/ /.exec(dashboard.output.stdout)?.[1] ?? "";
      expect(new URL(base).hostname).toBe("127.0.0.1");
      expect(dashboard.output.stdout).toContain(networkUrl);
      expect(dashboard.output.stdout).toContain("TWINED_ID_TOKEN");
      expect(dashboard.output.stdout + dashboard.output.stderr).not.toContain(TOKEN);

      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      received.length = 0;
      const listed = await fetch(`${base}/questions`, { headers: { authorization: "Bearer the-browsers-own" } });
      expect(listed.status).toBe(200);
      expect(received.map((headers) => headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
      expect((await fetch(`${base}/dead-letters`)).status).toBe(404);
    } finally {
      dashboard.kill("SIGINT");
    }
    expect(await dashboard.exited).toBe(0);
    expect(dashboard.output.stdout).toContain("Stopping (SIGINT)");
  }, 60_000);

  it("reads a deployed network's registry from the function beside its questions API", () => {
    const intake = new URL("https://europe-west1-p.cloudfunctions.net/main-twined-question-intake");
    expect(defaultRegistry(intake).href).toBe(
      "https://europe-west1-p.cloudfunctions.net/main-twined-revision-registry",
    );
    const dev = new URL("http://10.0.0.5:7070/");
    expect(defaultRegistry(dev)).toBe(dev);
  });

  it("refuses to listen beyond loopback, and a --network that is not an http(s) URL", async () => {
    const beyond = await runTwined(["dashboard", "--network", networkUrl, "--host", "0.0.0.0"]);
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toContain("loopback only");
    const notUrl = await runTwined(["dashboard", "--network", "not a url"]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain("expected the network's URL");
    const withCredentials = await runTwined(["dashboard", "--network", "https://user:pw@example.com"]);
    expect(withCredentials.code).toBe(2);
    const missing = await runTwined(["dashboard"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--network");
  });
});
