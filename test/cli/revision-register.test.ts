import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { InvalidImageReference } from "../../shared/errors/index.js";
import { checkImageReference } from "../../shared/identity/index.js";
import { errorOf } from "../support/error-of.js";
import { runTwined } from "./run-cli.js";

const scratch = mkdtempSync(path.join(tmpdir(), "twined-revision-register-"));
const IMAGE = "europe-west1-docker.pkg.dev/my-project/services/elevation:0.2.0";
let network: EmbeddedNetwork;
let server: Server;
let base: string;
let elevation: string;

beforeAll(async () => {
  network = await startEmbeddedNetwork({ dataDirectory: path.join(scratch, ".twined"), databasePath: ":memory:" });
  server = createHttpApi(network).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  elevation = path.join(scratch, "elevation");
  cpSync(path.resolve("examples/child-services/elevation"), elevation, { recursive: true });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

/** A server that records what reaches it and answers every request with `status` and `body`. */
async function recordingServer(status: number, body: unknown) {
  const requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const recorder = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on("end", () => {
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: text });
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => recorder.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => recorder.close(resolve)),
  };
}

describe("twined revision register", () => {
  it("registers the service here as an image revision and prints its SRUID", async () => {
    const result = await runTwined(
      ["revision", "register", "--image", IMAGE, "--tag", "0.2.0", "--network", base],
      elevation,
    );
    expect(result).toMatchObject({ code: 0, stdout: "examples/elevation:0.2.0\n" });
    expect(result.stderr).toContain(`Registered examples/elevation:0.2.0: its jobs run ${IMAGE}.`);
    const revision = await network.revisions.get("examples", "elevation", "0.2.0");
    expect(revision).toMatchObject({ source: { kind: "image", image: IMAGE }, isDefault: false });
    expect(revision?.twine).toHaveProperty("input_values_schema");
  });

  it("makes it the default with --default, and registering again updates it", async () => {
    const args = ["revision", "register", "--image", IMAGE, "--tag", "0.3.0", "--default", "--network", base];
    expect((await runTwined(args, elevation)).code).toBe(0);
    const again = await runTwined(args, elevation);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      /^Updated examples\/elevation:0\.3\.0: .*; it is now the default revision of examples\/elevation\.$/m,
    );
    expect(await network.revisions.getDefault("examples", "elevation")).toMatchObject({ revisionTag: "0.3.0" });
  });

  it("sends TWINED_ID_TOKEN as a bearer token, for a registry behind IAM", async () => {
    const registry = await recordingServer(201, { sruid: "examples/elevation:1.0.0" });
    process.env.TWINED_ID_TOKEN = "a-token";
    try {
      const result = await runTwined(
        ["revision", "register", "--image", IMAGE, "--tag", "1.0.0", "--network", `${registry.url}/`],
        elevation,
      );
      expect(result.code).toBe(0);
      expect(registry.requests).toHaveLength(1);
      expect(registry.requests[0]).toMatchObject({
        method: "PUT",
        url: "/registry/examples/elevation/revisions/1.0.0",
        headers: { authorization: "Bearer a-token" },
      });
      expect(JSON.parse(registry.requests[0]?.body ?? "")).toMatchObject({
        source: { kind: "image", image: IMAGE },
        default: false,
      });
    } finally {
      delete process.env.TWINED_ID_TOKEN;
      await registry.close();
    }
  });

  it("says a refusing registry wants a token", async () => {
    const registry = await recordingServer(403, "Forbidden");
    try {
      const result = await runTwined(
        ["revision", "register", "--image", IMAGE, "--tag", "1.0.0", "--network", registry.url],
        elevation,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/HTTP 403/);
      expect(result.stderr).toMatch(/TWINED_ID_TOKEN/);
    } finally {
      await registry.close();
    }
  });

  it("refuses an invalid twine with where it is wrong, before any request", async () => {
    const broken = mkdtempSync(path.join(scratch, "broken-"));
    writeFileSync(path.join(broken, "octue.yaml"), "services:\n  - namespace: examples\n    name: broken\n");
    writeFileSync(path.join(broken, "twine.json"), '{\n  "children": {}\n}\n');
    writeFileSync(path.join(broken, "app.py"), "def run(analysis):\n    pass\n");
    const registry = await recordingServer(201, {});
    try {
      const result = await runTwined(
        ["revision", "register", "--image", IMAGE, "--tag", "1.0.0", "--network", registry.url],
        broken,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^twine\.json:2:\d+: InvalidTwineContents: /m);
      expect(registry.requests).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it.each([
    ["an image with an uppercase path", ["--image", "gcr.io/Project/app:1", "--tag", "1.0.0"], /must be lowercase/],
    ["an image with a bad tag", ["--image", "app:-latest", "--tag", "1.0.0"], /the tag '-latest'/],
    ["an image with a short digest", ["--image", "app@sha256:abc", "--tag", "1.0.0"], /the digest/],
    ["an invalid revision tag", ["--image", IMAGE, "--tag", "not a tag"], /InvalidServiceID/],
  ])("refuses %s as a usage error", async (_case, args, message) => {
    const result = await runTwined(["revision", "register", ...args, "--network", "http://127.0.0.1:9"], elevation);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("says so clearly when the network cannot be reached", async () => {
    const gone = await recordingServer(200, {});
    await gone.close();
    const result = await runTwined(
      ["revision", "register", "--image", IMAGE, "--tag", "1.0.0", "--network", gone.url],
      elevation,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot reach the Twined network at ${gone.url} (`);
    expect(result.stderr).toMatch(/start one with 'twined dev' or set --network \/ TWINED_NETWORK_URL/);
  });

  it("needs --image and --tag", async () => {
    expect((await runTwined(["revision", "register", "--tag", "1.0.0"], elevation)).code).toBe(2);
    expect((await runTwined(["revision", "register", "--image", IMAGE], elevation)).code).toBe(2);
  });
});

describe("image references", () => {
  it.each([
    "app",
    "app:1.0",
    "library/python:3.12-slim",
    "localhost:5000/team/app",
    "europe-west1-docker.pkg.dev/my-project/services/elevation:0.2.0",
    "ghcr.io/octue/twined_service__v2:latest",
    `registry.example.com/app@sha256:${"a".repeat(64)}`,
    `registry.example.com/app:1.0@sha256:${"0123456789abcdef".repeat(4)}`,
    "[::1]:5000/app",
  ])("accepts %s", (image) => {
    expect(() => checkImageReference(image)).not.toThrow();
  });

  it.each([
    ["", /it is empty/],
    ["my app", /white space/],
    ["App", /must be lowercase/],
    ["gcr.io//app", /an empty part/],
    ["gcr.io/app-/x", /'app-' must be/],
    ["bad_host.example/app", /is not a registry host/],
    ["app:", /the tag ''/],
    [`app:${"x".repeat(129)}`, /the tag/],
    [`app@sha256:${"A".repeat(64)}`, /the digest/],
    ["app@one@two", /more than one '@'/],
  ])("refuses %j", (image, message) => {
    const error = errorOf(() => checkImageReference(image));
    expect(error).toBeInstanceOf(InvalidImageReference);
    expect(String(error)).toMatch(message);
  });
});
