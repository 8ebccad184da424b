import { describe, expect, it } from "vitest";
import { parsePushedMessage } from "../../../shared/control-plane/pushed-message.js";
import { InvalidPushRequest } from "../../../shared/errors/index.js";

const data = Buffer.from('{"question_uuid": "q"}').toString("base64");
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("parsePushedMessage", () => {
  it("reads a wrapped push as the emulator sends it, with camelCase and snake_case fields", () => {
    const { message, subscription } = parsePushedMessage({
      headers: { "content-type": "application/json", "user-agent": "Java/17.0.15" },
      rawBody: json({
        subscription: "projects/p/subscriptions/s",
        message: {
          publishTime: "2026-11-28T12:00:00.123Z",
          data,
          publish_time: "2026-11-28T12:00:00.123Z",
          messageId: "7",
          attributes: { question_uuid: "q", sender_type: "CHILD" },
          message_id: "7",
        },
      }),
    });
    expect(message).toEqual({
      id: "7",
      data: Buffer.from('{"question_uuid": "q"}'),
      attributes: { question_uuid: "q", sender_type: "CHILD" },
      orderingKey: undefined,
      publishTime: new Date("2026-11-28T12:00:00.123Z"),
      deliveryAttempt: 1,
    });
    expect(subscription).toBe("s");
  });

  it("reads a production push with an ordering key and a delivery attempt", () => {
    const { message } = parsePushedMessage({
      headers: { "content-type": "application/json" },
      rawBody: json({
        message: { data, messageId: "8", orderingKey: "q", publishTime: "2026-11-28T12:00:00Z" },
        subscription: "projects/p/subscriptions/s",
        deliveryAttempt: 3,
      }),
    });
    expect(message).toMatchObject({ id: "8", orderingKey: "q", deliveryAttempt: 3, attributes: {} });
  });

  it("reads an Eventarc CloudEvent in binary mode", () => {
    const { message, topic } = parsePushedMessage({
      headers: {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "1234",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/p/topics/t",
      },
      rawBody: json({
        message: { data, attributes: { recipient: "x" }, messageId: "m1", orderingKey: "k1" },
        subscription: "projects/p/subscriptions/eventarc-sub",
      }),
    });
    expect(message).toMatchObject({ id: "m1", attributes: { recipient: "x" }, orderingKey: "k1" });
    expect(topic).toBe("t");
    expect(message.data.toString()).toBe('{"question_uuid": "q"}');
  });

  it("reads an Eventarc CloudEvent in structured mode", () => {
    const { message, topic } = parsePushedMessage({
      headers: { "content-type": "application/cloudevents+json; charset=utf-8" },
      rawBody: json({
        specversion: "1.0",
        id: "1",
        type: "google.cloud.pubsub.topic.v1.messagePublished",
        source: "//pubsub.googleapis.com/projects/p/topics/t",
        data: { message: { data, messageId: "m2" } },
      }),
    });
    expect(message).toMatchObject({ id: "m2" });
    expect(topic).toBe("t");
  });

  it("reads an unwrapped push: the body is the data and the other headers are the attributes", () => {
    const { message, subscription } = parsePushedMessage({
      headers: {
        host: "localhost:8091",
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "22",
        "user-agent": "Java/17.0.15",
        question_uuid: "q",
        sender_type: "PARENT",
        "x-goog-pubsub-message-id": "9",
        "x-goog-pubsub-publish-time": "2026-11-28T12:00:00Z",
        "x-goog-pubsub-subscription-name": "projects/p/subscriptions/s",
        "x-goog-ordering-key": "q",
      },
      rawBody: Buffer.from('{"question_uuid": "q"}'),
    });
    expect(message).toMatchObject({
      id: "9",
      attributes: { question_uuid: "q", sender_type: "PARENT" },
      orderingKey: "q",
      publishTime: new Date("2026-11-28T12:00:00Z"),
    });
    expect(message.data.toString()).toBe('{"question_uuid": "q"}');
    expect(subscription).toBe("s");
  });

  it.each([
    ["a body that is not JSON", { "content-type": "application/json" }, Buffer.from("{nope"), /not JSON/],
    [
      "JSON without a message",
      { "content-type": "application/json" },
      json({ foo: 1 }),
      /'message' must be a JSON object/,
    ],
    ["a message without an id", { "content-type": "application/json" }, json({ message: { data } }), /no messageId/],
    [
      "an attribute that is not a string",
      { "content-type": "application/json" },
      json({ message: { data, messageId: "1", attributes: { retry_count: 0 } } }),
      /retry_count must be a string/,
    ],
    [
      "a CloudEvent of another type",
      { "ce-type": "google.cloud.storage.object.v1.finalized" },
      json({}),
      /not google\.cloud\.pubsub\.topic\.v1\.messagePublished/,
    ],
  ])("refuses %s, saying what was expected", (_case, headers, rawBody, message) => {
    expect(() => parsePushedMessage({ headers, rawBody })).toThrow(InvalidPushRequest);
    expect(() => parsePushedMessage({ headers, rawBody })).toThrow(message);
  });
});
