import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { pubsubTrigger } from "../../functions/pubsub-trigger.js";
import { InvalidEvent, NonRetryableError } from "../../shared/errors/index.js";
import type { BusMessage } from "../../shared/ports/index.js";

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

async function serve(handle: (message: BusMessage) => Promise<void>) {
  const deadLetters: { reason: string; data: string }[] = [];
  const app = express();
  app.use(express.raw({ type: () => true }));
  app.post(
    "/",
    pubsubTrigger({
      handle,
      deadLetter: async (reason, message) => {
        deadLetters.push({ reason, data: message.data.toString("utf8") });
      },
    }),
  );
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server?.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const post = (body: string) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { deadLetters, post };
}

const push = (text: string) =>
  JSON.stringify({ message: { data: Buffer.from(text).toString("base64"), messageId: "1" }, subscription: "s" });

describe("a Pub/Sub-triggered function", () => {
  it("acknowledges a handled message with 204", async () => {
    const handled: string[] = [];
    const { post, deadLetters } = await serve(async (message) => {
      handled.push(message.data.toString());
    });
    expect((await post(push("hello"))).status).toBe(204);
    expect(handled).toEqual(["hello"]);
    expect(deadLetters).toEqual([]);
  });

  it("acknowledges, and records as a dead letter, a message that can never be processed", async () => {
    const { post, deadLetters } = await serve(async () => {
      throw new InvalidEvent("the event is missing 'kind'", { pointer: "/event/kind" });
    });
    expect((await post(push("bad event"))).status).toBe(204);
    expect(deadLetters).toEqual([{ reason: "InvalidEvent: the event is missing 'kind'", data: "bad event" }]);
    const refused = await serve(async () => {
      throw new NonRetryableError("the revision is gone");
    });
    expect((await refused.post(push("x"))).status).toBe(204);
    expect(refused.deadLetters[0]?.reason).toBe("NonRetryableError: the revision is gone");
  });

  it("acknowledges, and records as a dead letter, a request that is not a Pub/Sub delivery", async () => {
    const { post, deadLetters } = await serve(async () => {});
    expect((await post("{not json")).status).toBe(204);
    expect(deadLetters).toEqual([
      { reason: expect.stringMatching(/^InvalidPushRequest: .*not JSON/), data: "{not json" },
    ]);
  });

  it("answers 500 on a transient failure so that Pub/Sub redelivers", async () => {
    const { post, deadLetters } = await serve(async () => {
      throw new Error("the store is unavailable");
    });
    const response = await post(push("later"));
    expect(response.status).toBe(500);
    expect(await response.text()).toMatch(/the store is unavailable/);
    expect(deadLetters).toEqual([]);
  });
});
