import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStores } from "../../../shared/adapters/embedded/sqlite/index.js";
import { AnswerForwarder, SIGNATURE_HEADER } from "../../../shared/control-plane/answer-forwarder/handler.js";
import { PushEndpointGuard } from "../../../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import {
  createQuestionAttributes,
  deriveResponseAttributes,
  encodeEvent,
  renewEventIdentity,
} from "../../../shared/events/index.js";
import type { BusMessage } from "../../../shared/ports/index.js";
import { storeQuestion } from "../../support/stored-question.js";

/** An embedded network's policy, which lets these loopback endpoints through; they name addresses, so nothing resolves. */
const LOCAL_PUSH_ENDPOINTS = new PushEndpointGuard({
  allowLoopback: true,
  resolve: async (host) => {
    throw new Error(`${host} should not need resolving`);
  },
});

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A push endpoint on loopback that answers with the given statuses in turn and records what it received. */
async function endpoint(statuses: number[]): Promise<{ url: string; received: { body: string; signature: string }[] }> {
  const received: { body: string; signature: string }[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      received.push({ body, signature: String(request.headers[SIGNATURE_HEADER]) });
      response.statusCode = statuses.shift() ?? 200;
      response.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

async function setUp(pushEndpoint: string | undefined) {
  const stores = openSqliteStores(":memory:");
  const attributes = await storeQuestion(stores.questions, { pushEndpoint });
  // As if validated and handed to a launcher, which is when a job's events start to arrive.
  await stores.questions.transition(attributes.question_uuid, "validated");
  await stores.questions.transition(attributes.question_uuid, "dispatched");
  let order = 0;
  const message = (event: object): BusMessage => {
    const encoded = encodeEvent({
      event,
      attributes: { ...renewEventIdentity(deriveResponseAttributes(attributes)), order: order++ },
    } as never);
    return {
      id: "1",
      data: encoded.data,
      attributes: encoded.attributes,
      orderingKey: encoded.orderingKey,
      publishTime: new Date(),
      deliveryAttempt: 1,
    };
  };
  return { stores, questionUuid: attributes.question_uuid, message };
}

describe("AnswerForwarder", () => {
  it("records events once, ends the question with the result, and never overwrites its terminal state", async () => {
    const { stores, questionUuid, message } = await setUp(undefined);
    const forwarder = new AnswerForwarder({ questions: stores.questions, pushSecret: "s" });
    const ack = message({ kind: "delivery_acknowledgement" });
    await forwarder.handle(ack);
    await forwarder.handle(ack);
    expect((await stores.questions.get(questionUuid))?.status).toBe("running");
    await forwarder.handle(message({ kind: "result", output_values: [1] }));
    await forwarder.handle(
      message({ kind: "exception", exception_type: "ValueError", exception_message: "late", exception_traceback: [] }),
    );
    const question = await stores.questions.get(questionUuid);
    expect(question?.status).toBe("succeeded");
    expect(question?.answer).toEqual({ output_values: [1] });
    const events = await stores.questions.events({ questionUuid });
    expect(events.map((each) => each.envelope.event.kind)).toEqual(["delivery_acknowledgement", "result", "exception"]);
    await stores.close();
  });

  it("pushes each event to the push endpoint, signed with the network's secret, retrying server errors", async () => {
    const hook = await endpoint([503, 200]);
    const { stores, message } = await setUp(hook.url);
    const failures: string[] = [];
    const forwarder = new AnswerForwarder({
      questions: stores.questions,
      pushSecret: "network-secret",
      pushEndpoints: LOCAL_PUSH_ENDPOINTS,
      pushRetries: { retries: 2, firstDelayMs: 10 },
      onPushFailure: (_uuid, reason) => failures.push(reason),
    });
    await forwarder.handle(message({ kind: "result", output_values: { answer: 42 } }));
    expect(hook.received).toHaveLength(2);
    const [, delivered] = hook.received;
    const expected = `sha256=${createHmac("sha256", "network-secret")
      .update(delivered?.body ?? "")
      .digest("hex")}`;
    expect(delivered?.signature).toBe(expected);
    expect(JSON.parse(delivered?.body ?? "{}")).toMatchObject({
      event: { kind: "result", output_values: { answer: 42 } },
    });
    expect(failures).toEqual([]);
    await stores.close();
  });

  it("gives up on a client error at once and reports the failure", async () => {
    const hook = await endpoint([404]);
    const { stores, message } = await setUp(hook.url);
    const failures: string[] = [];
    const forwarder = new AnswerForwarder({
      questions: stores.questions,
      pushSecret: "s",
      pushEndpoints: LOCAL_PUSH_ENDPOINTS,
      pushRetries: { retries: 2, firstDelayMs: 10 },
      onPushFailure: (_uuid, reason) => failures.push(reason),
    });
    await forwarder.handle(message({ kind: "heartbeat" }));
    expect(hook.received).toHaveLength(1);
    expect(failures[0]).toMatch(/HTTP 404/);
    await stores.close();
  });

  it("ignores events of questions this network did not ask", async () => {
    const { stores } = await setUp(undefined);
    const other = createQuestionAttributes({ sender: "octue/a:1", recipient: "octue/b:1" });
    const encoded = encodeEvent({ event: { kind: "heartbeat" }, attributes: deriveResponseAttributes(other) });
    const forwarder = new AnswerForwarder({ questions: stores.questions, pushSecret: "s" });
    await expect(
      forwarder.handle({
        id: "9",
        data: encoded.data,
        attributes: encoded.attributes,
        orderingKey: encoded.orderingKey,
        publishTime: new Date(),
        deliveryAttempt: 1,
      }),
    ).resolves.toBeUndefined();
    await stores.close();
  });

  it("writes the events of one question that arrive together in one write, with the status they announce", async () => {
    const { stores, questionUuid, message } = await setUp(undefined);
    const writes: { events: number; change: string | undefined }[] = [];
    const questions = new Proxy(stores.questions, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "recordEvents" || typeof value !== "function") return value;
        return (uuid: string, envelopes: readonly unknown[], change?: { to: string }) => {
          writes.push({ events: envelopes.length, change: change?.to });
          return value.call(target, uuid, envelopes, change);
        };
      },
    });
    const forwarder = new AnswerForwarder({ questions, pushSecret: "s" });
    const logs = Array.from({ length: 5 }, (_, line) =>
      message({ kind: "log_record", log_record: { msg: `line ${line}`, levelname: "INFO" } }),
    );
    const [acknowledgement, ...rest] = [message({ kind: "delivery_acknowledgement" }), ...logs];
    await forwarder.handle(acknowledgement as BusMessage);
    // Delivered together and in reverse: one write, placed by their order, the question already known to be running.
    await Promise.all([...rest].reverse().map((each) => forwarder.handle(each)));
    await Promise.all([
      forwarder.handle(message({ kind: "heartbeat" })),
      forwarder.handle(message({ kind: "result" })),
    ]);
    expect(writes).toEqual([
      { events: 1, change: "running" },
      { events: 5, change: undefined },
      { events: 2, change: "succeeded" },
    ]);
    const events = await stores.questions.events({ questionUuid });
    expect(events.map((each) => each.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await stores.questions.get(questionUuid))?.status).toBe("succeeded");
    await stores.close();
  });

  it("fails every delivery of a write that fails, so the bus delivers them again", async () => {
    const { stores, questionUuid, message } = await setUp(undefined);
    let failing = true;
    const questions = new Proxy(stores.questions, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "recordEvents" || typeof value !== "function") return value;
        return (...args: unknown[]) =>
          failing ? Promise.reject(new Error("store unavailable")) : value.apply(target, args);
      },
    });
    const forwarder = new AnswerForwarder({ questions, pushSecret: "s" });
    const deliveries = [message({ kind: "delivery_acknowledgement" }), message({ kind: "heartbeat" })];
    const outcomes = await Promise.allSettled(deliveries.map((each) => forwarder.handle(each)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    failing = false;
    await Promise.all(deliveries.map((each) => forwarder.handle(each)));
    expect(await stores.questions.events({ questionUuid })).toHaveLength(2);
    await stores.close();
  });
});
