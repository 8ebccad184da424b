import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import type { BusMessage } from "../../../shared/ports/index.js";
import { waitFor } from "../../support/wait-for.js";

let network: EmbeddedNetwork;
let server: Server;
let base: string;

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dead-letter-routes-")),
    databasePath: ":memory:",
    environment: "routes",
    cpuQuota: 1,
  });
  server = createHttpApi(network).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

/** Keeps a dead letter as if it had arrived on the dead-letters topic. */
function keep(id: string, data: Buffer, attributes: Record<string, string>) {
  const message: BusMessage = {
    id,
    data,
    attributes,
    orderingKey: undefined,
    publishTime: new Date(),
    deliveryAttempt: 1,
  };
  return network.deadLetters.record(message);
}

describe("GET /dead-letters", () => {
  it("lists dead letters newest first, their data as text or base64, cut short in a listing", async () => {
    const big = `"${"x".repeat(20_000)}é"`;
    await keep("100", Buffer.from([0xff, 0x00, 0xfe]), {
      twined_dead_letter_reason: "InvalidEvent: not JSON",
      twined_dead_letter_topic: network.topics.accepted,
    });
    await keep("101", Buffer.from(big, "utf8"), {
      question_uuid: "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10",
      CloudPubSubDeadLetterSourceDeliveryCount: "10",
      CloudPubSubDeadLetterSourceSubscription: `${network.topics.validated}.kueue-launcher`,
    });
    const listed = await call("GET", "/dead-letters?limit=2");
    expect(listed.status).toBe(200);
    const [newest, older] = (listed.body as { dead_letters: Record<string, unknown>[] }).dead_letters;
    expect(newest).toMatchObject({
      id: "101",
      reason: `delivery attempts exhausted (10) on ${network.topics.validated}.kueue-launcher`,
      topic: network.topics.validated,
      attempts: 10,
      question_uuid: "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10",
      attributes: { question_uuid: "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10" },
      data_encoding: "utf-8",
      data_size: Buffer.byteLength(big),
      data_truncated: true,
      replayed_at: null,
    });
    expect(String(newest?.data)).toHaveLength(16 * 1024);
    expect(older).toMatchObject({
      id: "100",
      topic: network.topics.accepted,
      question_uuid: null,
      data: Buffer.from([0xff, 0x00, 0xfe]).toString("base64"),
      data_encoding: "base64",
      data_truncated: false,
    });
    const whole = await call("GET", "/dead-letters/101");
    expect(whole.body).toMatchObject({ id: "101", data: big, data_truncated: false });
  });

  it("lists only pending ones with pending=true", async () => {
    await keep("200", Buffer.from("{}"), { twined_dead_letter_topic: network.topics.cancellations });
    await network.deadLetters.replay({ ids: ["200"] });
    const all = (await call("GET", "/dead-letters?pending=false")).body as { dead_letters: { id: string }[] };
    const pending = (await call("GET", "/dead-letters?pending=true")).body as { dead_letters: { id: string }[] };
    expect(all.dead_letters.map((letter) => letter.id)).toContain("200");
    expect(pending.dead_letters.map((letter) => letter.id)).not.toContain("200");
  });

  it.each([
    ["limit=-1", "/limit"],
    ["limit=1001", "/limit"],
    ["limit=ten", "/limit"],
    ["limit=1&limit=2", "/limit"],
    ["pending=maybe", "/pending"],
  ])("answers 400 naming the parameter for ?%s", async (query, pointer) => {
    const answer = await call("GET", `/dead-letters?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { type: "InvalidDeadLetterRequest", details: { pointer } } });
  });

  it("answers 404 for a dead letter it does not keep", async () => {
    const answer = await call("GET", "/dead-letters/404");
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { type: "DeadLetterNotFound", details: { dead_letter_id: "404" } } });
  });
});

describe("POST /dead-letters/replay", () => {
  it("replays named dead letters to their topics once, and all pending ones", async () => {
    await network.bus.publish(network.topics.accepted, Buffer.from("{not json"), { attributes: { n: "1" } });
    let id = "";
    await waitFor(async () => {
      const [letter] = await network.deadLetters.list({ pendingOnly: true });
      id = letter?.attributes.n === "1" ? letter.id : "";
      return id !== "";
    });
    const first = await call("POST", "/dead-letters/replay", { ids: [id] });
    expect(first).toEqual({ status: 200, body: { replayed: [id], already_replayed: [], skipped: [] } });
    const again = await call("POST", "/dead-letters/replay", { ids: [id] });
    expect(again.body).toEqual({ replayed: [], already_replayed: [id], skipped: [] });
    // It dies again (it is still not JSON): a new dead letter, which a replay of all sends again.
    let died = "";
    await waitFor(async () => {
      const letters = await network.deadLetters.list({ pendingOnly: true });
      died = letters.find((each) => each.attributes.n === "1")?.id ?? "";
      return died !== "";
    });
    expect(died).not.toBe(id);
    const all = await call("POST", "/dead-letters/replay", { all: true });
    expect(all.status).toBe(200);
    expect((all.body as { replayed: string[] }).replayed).toContain(died);
    expect((await network.deadLetters.get(died)).replayedAt).toEqual(expect.any(String));
  });

  it.each([
    [{}, ""],
    ["[1]", ""],
    [{ ids: [] }, "/ids"],
    [{ ids: "1" }, "/ids"],
    [{ ids: ["1", 2] }, "/ids/1"],
    [{ ids: [""] }, "/ids/0"],
    [{ all: false }, "/all"],
    [{ ids: ["1"], all: true }, ""],
    [{ everything: true }, "/everything"],
  ])("answers 400 for the body %j, saying where", async (body, pointer) => {
    const answer = await call("POST", "/dead-letters/replay", body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { type: "InvalidDeadLetterRequest", details: { pointer } } });
  });

  it("answers 400 for a body that is not JSON", async () => {
    const answer = await call("POST", "/dead-letters/replay", "{ids");
    expect(answer).toMatchObject({ status: 400, body: { error: { type: "InvalidJson" } } });
  });

  it("answers 404 for an unknown dead letter and 409 for one whose topic is unknown, sending none", async () => {
    await keep("300", Buffer.from("{}"), { twined_dead_letter_topic: network.topics.accepted });
    await keep("301", Buffer.from("{}"), {});
    const unknown = await call("POST", "/dead-letters/replay", { ids: ["300", "nope"] });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { type: "DeadLetterNotFound", details: { dead_letter_id: "nope" } } });
    const nowhere = await call("POST", "/dead-letters/replay", { ids: ["300", "301"] });
    expect(nowhere.status).toBe(409);
    expect(nowhere.body).toMatchObject({
      error: { type: "DeadLetterNotReplayable", details: { dead_letter_id: "301" } },
    });
    expect((await network.deadLetters.get("300")).replayedAt).toBeUndefined();
  });
});
