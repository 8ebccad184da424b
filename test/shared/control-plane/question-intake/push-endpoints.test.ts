import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryEventBus } from "../../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { openSqliteStores } from "../../../../shared/adapters/embedded/sqlite/index.js";
import { questionsApi } from "../../../../shared/control-plane/http/apps.js";
import { topicNames } from "../../../../shared/control-plane/index.js";
import { PushEndpointGuard } from "../../../../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import { QuestionIntake } from "../../../../shared/control-plane/question-intake/handler.js";

/** Names and what they resolve to: nothing in this file resolves a real name. */
const DNS: Readonly<Record<string, readonly string[]>> = {
  "hooks.receiver.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
  "internal.receiver.test": ["10.1.2.3"],
  "sneaky.receiver.test": ["93.184.216.34", "169.254.169.254"],
  "rebound.receiver.test": ["::ffff:127.0.0.1"],
  "hooks.corp.example": ["10.20.0.7"],
};

const stores = openSqliteStores(":memory:");
const bus = new InMemoryEventBus();
const topics = topicNames("pushtest");
let server: Server;
let base: string;

beforeAll(async () => {
  for (const topic of Object.values(topics)) await bus.ensureTopic(topic);
  await stores.revisions.register(
    { namespace: "tests", name: "receiver", revisionTag: "1.0.0", twine: {}, source: { kind: "image", image: "x" } },
    { makeDefault: true },
  );
  // The deployed network's policy, with an allow-list.
  const intake = new QuestionIntake({
    questions: stores.questions,
    revisions: stores.revisions,
    bus,
    topics,
    pushEndpoints: new PushEndpointGuard({
      allowLoopback: false,
      allowList: ["hooks.corp.example"],
      allowListSetting: "TWINED_PUSH_ENDPOINT_ALLOW_LIST",
      resolve: async (host) => {
        const addresses = DNS[host];
        if (addresses === undefined) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" });
        return addresses;
      },
    }),
  });
  server = questionsApi({ intake, questions: stores.questions, publishEvent: async () => {} }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await bus.close();
  await stores.close();
});

async function ask(pushEndpoint: string) {
  const response = await fetch(`${base}/questions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ recipient: "tests/receiver", input_values: {}, push_endpoint: pushEndpoint }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { error?: { type: string; message: string; details: { pointer?: string } } },
  };
}

const storedQuestions = async () => (await stores.questions.list({})).length;

describe("POST /questions with a push endpoint", () => {
  it.each([
    [
      "http://hooks.receiver.test/twined",
      "push_endpoint http://hooks.receiver.test must use https; plain http is only allowed to loopback on a local network",
    ],
    ["https://alice:secret@hooks.receiver.test/", "push_endpoint must not carry credentials (user:password@)"],
    [
      "https://169.254.169.254/computeMetadata/v1/",
      "names 169.254.169.254, the cloud metadata server's address; it is never a push endpoint",
    ],
    [
      "https://metadata.google.internal/computeMetadata/v1/",
      "names the cloud metadata server, which is never a push endpoint",
    ],
    [
      "https://internal.receiver.test/hook",
      "push_endpoint https://internal.receiver.test resolves to 10.1.2.3, a private address; the network only pushes to public addresses unless its allow-list names the host or a range holding the address (TWINED_PUSH_ENDPOINT_ALLOW_LIST)",
    ],
    ["https://sneaky.receiver.test/hook", "resolves to 169.254.169.254, the cloud metadata server's address"],
    [
      "https://rebound.receiver.test/hook",
      "resolves to ::ffff:127.0.0.1 (which carries 127.0.0.1), a loopback address",
    ],
    ["https://127.0.0.1:8443/hook", "names 127.0.0.1, a loopback address"],
    ["https://2130706433/hook", "names 127.0.0.1, a loopback address"],
    ["https://0x7f.1/hook", "names 127.0.0.1, a loopback address"],
    ["https://[::ffff:7f00:1]/hook", "names ::ffff:7f00:1 (which carries 127.0.0.1), a loopback address"],
    ["https://192.168.0.10/hook", "names 192.168.0.10, a private address"],
    ["https://[fd00::1]/hook", "names fd00::1, a unique-local address"],
    ["https://100.64.1.1/hook", "names 100.64.1.1, a carrier-grade NAT address"],
    ["https://0.0.0.0/hook", "names 0.0.0.0, the unspecified address"],
    [
      "https://missing.receiver.test/hook",
      "its host missing.receiver.test does not resolve to any address (ENOTFOUND)",
    ],
  ])("refuses %s with a 400 at /push_endpoint, storing nothing", async (endpoint, message) => {
    const before = await storedQuestions();
    const { status, body } = await ask(endpoint);
    expect(status).toBe(400);
    expect(body.error?.type).toBe("InvalidQuestionRequest");
    expect(body.error?.details.pointer).toBe("/push_endpoint");
    expect(body.error?.message).toContain(message);
    expect(body.error?.message).not.toContain("secret");
    expect(await storedQuestions()).toBe(before);
  });

  it("accepts https to a public host, and to a host the allow-list names", async () => {
    const before = await storedQuestions();
    expect((await ask("https://hooks.receiver.test/twined?token=t")).status).toBe(202);
    expect((await ask("https://hooks.corp.example/twined")).status).toBe(202);
    expect(await storedQuestions()).toBe(before + 2);
  });
});
