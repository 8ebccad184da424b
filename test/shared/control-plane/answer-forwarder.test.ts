import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStores } from "../../../shared/adapters/embedded/sqlite/index.js";
import { AnswerForwarder, SIGNATURE_HEADER } from "../../../shared/control-plane/answer-forwarder/handler.js";
import {
  createQuestionAttributes,
  deriveResponseAttributes,
  encodeEvent,
  renewEventIdentity,
} from "../../../shared/events/index.js";
import type { BusMessage } from "../../../shared/ports/index.js";
import { storeQuestion } from "../../support/stored-question.js";

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
  const message = (event: object): BusMessage => {
    const encoded = encodeEvent({
      event,
      attributes: renewEventIdentity(deriveResponseAttributes(attributes)),
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
});
