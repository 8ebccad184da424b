import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetworkClient } from "../../../shared/client/index.js";

const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
const server = createServer((request, response) => {
  seen.push({ url: request.url ?? "", headers: request.headers });
  if (request.url?.includes("/events")) {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.end('event: status\ndata: {"status":"succeeded","at":"2026-11-29T12:00:00Z"}\n\n');
    return;
  }
  response.writeHead(200, { "content-type": "application/json" }).end('{"question_uuid": "q", "status": "queued"}');
});
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("NetworkClient's identity token, for a network behind IAM", () => {
  it("sends it as a bearer token on every request, live streams included", async () => {
    seen.length = 0;
    const client = new NetworkClient(base, { identityToken: "token-123" });
    await client.question("q");
    for await (const update of client.follow("q")) expect(update.type).toBe("status");
    expect(seen.map((each) => each.headers.authorization)).toEqual(["Bearer token-123", "Bearer token-123"]);
    expect(seen[1]?.headers.accept).toBe("text/event-stream");
  });

  it("asks a token source for a fresh one before each request", async () => {
    seen.length = 0;
    let minted = 0;
    const client = new NetworkClient(base, { identityToken: async () => `minted-${++minted}` });
    await client.question("q");
    await client.question("q");
    expect(seen.map((each) => each.headers.authorization)).toEqual(["Bearer minted-1", "Bearer minted-2"]);
  });

  it("takes it from TWINED_ID_TOKEN by default, and sends none without one", async () => {
    seen.length = 0;
    const saved = process.env.TWINED_ID_TOKEN;
    try {
      process.env.TWINED_ID_TOKEN = "from-env";
      await new NetworkClient(base).question("q");
      delete process.env.TWINED_ID_TOKEN;
      await new NetworkClient(base).question("q");
    } finally {
      if (saved === undefined) delete process.env.TWINED_ID_TOKEN;
      else process.env.TWINED_ID_TOKEN = saved;
    }
    expect(seen.map((each) => each.headers.authorization)).toEqual(["Bearer from-env", undefined]);
  });
});
