import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import { isLoopbackAddress } from "../../../shared/control-plane/index.js";
import { RevisionRegistry } from "../../../shared/control-plane/revision-registry/handler.js";
import { RegistrationForbidden } from "../../../shared/errors/index.js";
import { rejectionOf } from "../../support/error-of.js";

let network: EmbeddedNetwork;
let server: Server;
let base: string;
let folder: string;
let twine: Record<string, unknown>;

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-registry-")),
    databasePath: ":memory:",
  });
  server = createHttpApi(network).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  folder = path.join(mkdtempSync(path.join(tmpdir(), "twined-registry-service-")), "elevation");
  cpSync(path.resolve("examples/child-services/elevation"), folder, { recursive: true });
  twine = JSON.parse(readFileSync(path.join(folder, "twine.json"), "utf8")) as Record<string, unknown>;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

async function put(route: string, body: unknown) {
  const response = await fetch(`${base}/registry${route}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { error?: { type: string; message: string; details: Record<string, unknown> } },
  };
}

describe("registering a revision", () => {
  it("refuses, before storing anything, a registration that is wrong in any part, saying where", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "twined-registry-empty-"));
    const broken = mkdtempSync(path.join(tmpdir(), "twined-registry-broken-"));
    writeFileSync(path.join(broken, "octue.yaml"), "services: [\n  - name: x\n");
    const cases: [unknown, number, string][] = [
      [{ twine, source: { kind: "directory", path: folder }, defualt: true }, 400, "/defualt"],
      [{ twine, source: { kind: "directory", path: folder, image: "x" } }, 400, "/source/image"],
      [{ twine, source: { kind: "image", image: "Registry.example/UPPER:tag" } }, 400, "/source/image"],
      [{ twine, source: { kind: "image", image: "example.com/a:b@sha256:12" } }, 400, "/source/image"],
      [{ twine, source: { kind: "directory", path: "relative/elevation" } }, 400, "/source/path"],
      [{ twine, source: { kind: "directory", path: empty } }, 400, "/source/path"],
      [{ twine, source: { kind: "directory", path: broken } }, 400, "/source/path"],
      [{ twine: { input_values_schema: { type: "nonsense" } }, source: { kind: "directory", path: folder } }, 400, ""],
    ];
    for (const [body, status, pointer] of cases) {
      const answer = await put("/examples/elevation/revisions/1.0.0", body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      if (pointer !== "") expect(answer.body.error?.details.pointer, JSON.stringify(answer.body)).toBe(pointer);
    }
    expect(await network.revisions.list({})).toEqual([]);
    // The message says what is wrong with the folder.
    const missing = await put("/examples/elevation/revisions/1.0.0", {
      twine,
      source: { kind: "directory", path: empty },
    });
    expect(missing.body.error?.message).toMatch(/octue\.yaml/);
  });

  it("takes a folder from this machine, and an image from anywhere", async () => {
    expect(
      (await put("/examples/elevation/revisions/1.0.0", { twine, source: { kind: "directory", path: folder } })).status,
    ).toBe(201);
    const image = { twine, source: { kind: "image", image: "europe-west1-docker.pkg.dev/p/r/elevation:1.0.1" } };
    const registry = new RevisionRegistry(network.revisions);
    const registered = await registry.register("examples", "elevation", "1.0.1", image, { fromThisMachine: false });
    expect(registered.source).toEqual(image.source);
  });

  it("refuses a service folder named from another machine, whose code the network would run", async () => {
    const registry = new RevisionRegistry(network.revisions);
    const error = await rejectionOf(
      registry.register(
        "examples",
        "elevation",
        "2.0.0",
        { twine, source: { kind: "directory", path: folder } },
        {
          fromThisMachine: false,
        },
      ),
    );
    expect(error).toBeInstanceOf(RegistrationForbidden);
    expect((error as RegistrationForbidden).message).toMatch(/--image/);
    expect(await registry.find("examples", "elevation", "2.0.0")).toBeUndefined();
  });

  it("knows this machine's addresses as a socket reports them", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(address)).toBe(true);
    for (const address of [undefined, "10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "0.0.0.0", "128.0.0.1"]) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});
