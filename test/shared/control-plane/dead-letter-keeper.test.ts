import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import {
  deadLetterKeeperSubscription,
  isPermanentFailure,
  type NetworkHandlers,
} from "../../../platform/network-wiring.js";
import { InMemoryEventBus } from "../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { SqliteDeadLetterStore } from "../../../shared/adapters/embedded/sqlite/index.js";
import { deadLetterMessage as deadLetterMessageFor } from "../../../shared/control-plane/dead-letters/dead-letter-message.js";
import { DeadLetterKeeper } from "../../../shared/control-plane/dead-letters/handler.js";
import { encodeQuestionReference, topicNames } from "../../../shared/control-plane/index.js";
import {
  DeadLetterNotFound,
  DeadLetterNotRecorded,
  DeadLetterNotReplayable,
  InvalidEvent,
} from "../../../shared/errors/index.js";
import { assertWithinMessageLimits, createQuestionAttributes, PUBSUB_LIMITS } from "../../../shared/events/index.js";
import type { BusMessage, DeadLetterRecord, EventBus, PublishOptions } from "../../../shared/ports/index.js";
import { copyOfExample } from "../../scenarios/scenario-services.js";
import { rejectionOf } from "../../support/error-of.js";
import { storeQuestion } from "../../support/stored-question.js";
import { waitFor } from "../../support/wait-for.js";

const topics = topicNames("keeper");
const QUESTION = "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10";

/** A message as the dead-letters topic delivers it. */
function deadLetterMessage(id: string, attributes: Record<string, string>, data = "{}"): BusMessage {
  return {
    id,
    data: Buffer.from(data, "utf8"),
    attributes,
    orderingKey: undefined,
    publishTime: new Date(),
    deliveryAttempt: 1,
  };
}

describe("the dead-letter keeper", () => {
  let bus: InMemoryEventBus;
  let store: SqliteDeadLetterStore;
  let keeper: DeadLetterKeeper;
  /** What reached each topic's probe subscription. */
  let received: Map<string, BusMessage[]>;

  beforeEach(async () => {
    bus = new InMemoryEventBus();
    store = SqliteDeadLetterStore.open(":memory:");
    received = new Map();
    for (const topic of Object.values(topics)) {
      await bus.ensureTopic(topic);
      await bus.ensureSubscription(`${topic}.probe`, topic, { enableMessageOrdering: true });
      received.set(topic, []);
      bus.subscribe(`${topic}.probe`, (message) => {
        received.get(topic)?.push(message);
      });
    }
    keeper = new DeadLetterKeeper({
      store,
      bus,
      topics,
      topicOfSubscription: (subscription) => (subscription === "validated.launcher" ? topics.validated : undefined),
    });
    return async () => {
      await bus.close();
      await store.close();
    };
  });

  it("keeps a message Twined dead-lettered with its reason and topic, and its own attributes only", async () => {
    const letter = await keeper.record(
      deadLetterMessage(
        "7",
        {
          question_uuid: QUESTION,
          note: "a",
          twined_dead_letter_reason: "InvalidEvent: an internal question message is not JSON",
          twined_dead_letter_topic: topics.accepted,
        },
        "{not json",
      ),
    );
    expect(letter).toEqual({
      id: "7",
      reason: "InvalidEvent: an internal question message is not JSON",
      topic: topics.accepted,
      firstSeenAt: expect.any(String),
      attempts: 1,
      questionUuid: QUESTION,
      data: Buffer.from("{not json"),
      attributes: { question_uuid: QUESTION, note: "a" },
      replayedAt: undefined,
    });
    expect(await store.get("7")).toEqual(letter);
  });

  it("keeps a message Pub/Sub forwarded after its delivery attempts, finding its topic from its subscription", async () => {
    await bus.ensureSubscription("validated.launcher", topics.validated, {
      retryPolicy: { minimumBackoffSeconds: 0, maximumBackoffSeconds: 0 },
      deadLetterPolicy: { deadLetterTopic: topics.deadLetters, maxDeliveryAttempts: 5 },
    });
    bus.subscribe("validated.launcher", () => {
      throw new Error("the cluster is gone");
    });
    await bus.ensureSubscription("dead.kept", topics.deadLetters);
    const kept: DeadLetterRecord[] = [];
    bus.subscribe("dead.kept", async (message) => {
      kept.push(await keeper.record(message));
    });
    await bus.publish(topics.validated, encodeQuestionReference({ question_uuid: QUESTION }), {
      attributes: { origin: "test" },
    });
    await waitFor(() => kept.length === 1, { description: "the dead letter" });
    expect(kept[0]).toMatchObject({
      reason: "delivery attempts exhausted (5) on validated.launcher",
      topic: topics.validated,
      attempts: 5,
      // Named by the data, as the internal topics' messages do.
      questionUuid: QUESTION,
      attributes: { origin: "test" },
    });
  });

  it("keeps whatever else arrives, saying nothing knows why or where from, and records a redelivery once", async () => {
    const first = await keeper.record(deadLetterMessage("8", { any: "thing" }, "\u0000binary"));
    expect(first).toMatchObject({
      reason: "published on the dead-letters topic without a reason",
      topic: undefined,
      questionUuid: undefined,
    });
    const again = await keeper.record(deadLetterMessage("8", { twined_dead_letter_reason: "other" }));
    expect(again).toEqual(first);
    expect(await store.list()).toHaveLength(1);
  });

  it("replays a dead letter to its topic with its attributes, keyed by its question, once", async () => {
    await keeper.record(
      deadLetterMessage(
        "9",
        {
          question_uuid: QUESTION,
          sender_type: "CHILD",
          twined_dead_letter_reason: "r",
          twined_dead_letter_topic: topics.services,
        },
        '{"kind": "heartbeat"}',
      ),
    );
    const reports = await Promise.all(Array.from({ length: 5 }, () => keeper.replay({ ids: ["9"] })));
    expect(reports.flatMap((report) => report.replayed)).toEqual(["9"]);
    expect(reports.flatMap((report) => report.alreadyReplayed)).toEqual(["9", "9", "9", "9"]);
    await waitFor(() => (received.get(topics.services)?.length ?? 0) > 0);
    const [sent, ...more] = received.get(topics.services) ?? [];
    expect(more).toEqual([]);
    expect(sent?.data.toString()).toBe('{"kind": "heartbeat"}');
    expect(sent?.attributes).toEqual({ question_uuid: QUESTION, sender_type: "CHILD" });
    expect(sent?.orderingKey).toBe(QUESTION);
    expect((await store.get("9"))?.replayedAt).toEqual(expect.any(String));
    expect(await keeper.replay({ ids: ["9"] })).toEqual({ replayed: [], alreadyReplayed: ["9"], skipped: [] });
  });

  it("replays none of the named dead letters when one is unknown or has no known topic", async () => {
    await keeper.record(
      deadLetterMessage("1", { twined_dead_letter_reason: "r", twined_dead_letter_topic: topics.accepted }),
    );
    await keeper.record(deadLetterMessage("2", { twined_dead_letter_reason: "r" }));
    await keeper.record(
      deadLetterMessage("3", { twined_dead_letter_reason: "r", twined_dead_letter_topic: topics.deadLetters }),
    );
    const unknown = await rejectionOf(keeper.replay({ ids: ["1", "404"] }));
    expect(unknown).toBeInstanceOf(DeadLetterNotFound);
    expect(unknown).toMatchObject({ deadLetterId: "404" });
    const nowhere = await rejectionOf(keeper.replay({ ids: ["1", "2"] }));
    expect(nowhere).toBeInstanceOf(DeadLetterNotReplayable);
    expect(nowhere.message).toMatch(/Dead letter 2 cannot be replayed: nothing says which topic/);
    const itself = await rejectionOf(keeper.replay({ ids: ["3"] }));
    expect(itself.message).toMatch(/not one of this network's topics/);
    expect((await store.list({ pendingOnly: true })).map((letter) => letter.id)).toEqual(["3", "2", "1"]);
    expect(received.get(topics.accepted)).toEqual([]);
  });

  it("does not replay a dead letter kept only in part, saying what was cut", async () => {
    await keeper.record(
      deadLetterMessage("6", {
        twined_dead_letter_reason: "r",
        twined_dead_letter_topic: topics.services,
        twined_dead_letter_cut: "data cut from 10000005 to its first 10000000 bytes",
      }),
    );
    expect((await store.get("6"))?.attributes.twined_dead_letter_cut).toMatch(/^data cut/);
    const refused = await rejectionOf(keeper.replay({ ids: ["6"] }));
    expect(refused).toBeInstanceOf(DeadLetterNotReplayable);
    expect(refused.message).toMatch(/kept only in part, to fit in a message \(data cut from 10000005/);
    expect((await keeper.replay({ all: true })).skipped).toEqual([
      { id: "6", reason: expect.stringMatching(/in part/) },
    ]);
    expect(received.get(topics.services)).toEqual([]);
  });

  it("replays every pending dead letter, skipping those it cannot, and none already replayed", async () => {
    for (const id of ["1", "2", "3"]) {
      await keeper.record(
        deadLetterMessage(id, { twined_dead_letter_reason: "r", twined_dead_letter_topic: topics.cancellations }),
      );
    }
    await keeper.record(deadLetterMessage("4", {}));
    await keeper.replay({ ids: ["2"] });
    const report = await keeper.replay({ all: true });
    expect([...report.replayed].sort()).toEqual(["1", "3"]);
    expect(report.skipped).toEqual([{ id: "4", reason: expect.stringMatching(/nothing says which topic/) }]);
    await waitFor(() => received.get(topics.cancellations)?.length === 3);
    expect(await keeper.replay({ all: true })).toEqual({
      replayed: [],
      alreadyReplayed: [],
      skipped: [{ id: "4", reason: expect.any(String) }],
    });
  });

  it("leaves a dead letter pending when sending it fails, to be replayed later", async () => {
    let failures = 1;
    const flaky: EventBus = Object.assign(Object.create(bus) as EventBus, {
      publish: (topic: string, data: Buffer, options?: PublishOptions) => {
        if (failures-- > 0) return Promise.reject(new Error("Pub/Sub is unavailable"));
        return bus.publish(topic, data, options);
      },
    });
    const flakyKeeper = new DeadLetterKeeper({ store, bus: flaky, topics, topicOfSubscription: () => undefined });
    await flakyKeeper.record(
      deadLetterMessage("5", { twined_dead_letter_reason: "r", twined_dead_letter_topic: topics.accepted }),
    );
    expect((await rejectionOf(flakyKeeper.replay({ ids: ["5"] }))).message).toBe("Pub/Sub is unavailable");
    expect((await store.get("5"))?.replayedAt).toBeUndefined();
    expect((await flakyKeeper.replay({ ids: ["5"] })).replayed).toEqual(["5"]);
  });
});

describe("the message a dead letter is published as", () => {
  it("keeps a message within Pub/Sub's limits whole, with the reason and topic", () => {
    const letter = deadLetterMessageFor("InvalidEvent: bad", { data: Buffer.from("{}"), attributes: { a: "1" } }, "t");
    expect(letter.data.toString()).toBe("{}");
    expect(letter.attributes).toEqual({
      a: "1",
      twined_dead_letter_reason: "InvalidEvent: bad",
      twined_dead_letter_topic: "t",
    });
  });

  it("cuts what would not fit in a Pub/Sub message, and names the cut", () => {
    // Only what never came through Pub/Sub can be this large: a malformed push's body, say (fuzz surface
    // pubsub-push, run seed 156115441, found publishing its dead letter failing with MessageLimitExceeded: a 500).
    const attributes: Record<string, string> = { long: "é".repeat(600), [`k${"x".repeat(300)}`]: "v" };
    for (let index = 0; index < 120; index++) attributes[`a${index}`] = "v";
    const letter = deadLetterMessageFor(
      "InvalidPushRequest: no message",
      { data: Buffer.alloc(PUBSUB_LIMITS.maxDataBytes + 5, "x"), attributes },
      "t",
    );
    expect(() => assertWithinMessageLimits(letter.data, letter.attributes)).not.toThrow();
    expect(letter.data.byteLength).toBe(PUBSUB_LIMITS.maxDataBytes);
    expect(letter.attributes.long).toBe("é".repeat(512));
    expect(letter.attributes.twined_dead_letter_reason).toBe("InvalidPushRequest: no message");
    expect(letter.attributes.twined_dead_letter_topic).toBe("t");
    expect(letter.attributes.twined_dead_letter_cut).toBe(
      `attribute long cut to 1024 bytes; 25 attributes dropped (too many, or a name over 256 bytes); data cut from ${PUBSUB_LIMITS.maxDataBytes + 5} to its first ${PUBSUB_LIMITS.maxDataBytes} bytes`,
    );
  });
});

describe("the dead-letter keeper's subscription", () => {
  it("retries a dead letter it cannot record, rather than making a dead letter of it", async () => {
    const refusing = {
      deadLetters: { record: () => Promise.reject(new InvalidEvent("the store refused it")) },
    } as unknown as NetworkHandlers;
    const error = await rejectionOf(deadLetterKeeperSubscription(topics).handle(refusing, deadLetterMessage("3", {})));
    expect(error).toBeInstanceOf(DeadLetterNotRecorded);
    expect(isPermanentFailure(error)).toBe(false);
    expect(error.message).toMatch(/Dead letter 3 could not be recorded \(InvalidEvent: the store refused it\)/);
  });
});

describe("dead letters on the embedded network", () => {
  let network: EmbeddedNetwork;

  beforeEach(async () => {
    network = await startEmbeddedNetwork({
      dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dead-letters-")),
      databasePath: ":memory:",
      environment: "deadletters",
      cpuQuota: 1,
    });
    return () => network.close();
  });

  const pending = () => network.deadLetters.list({ pendingOnly: true });

  it("keeps a message no handler can process, and one that dies again on replay is a new dead letter", async () => {
    await network.bus.publish(network.topics.accepted, Buffer.from("{not json"), { attributes: { note: "a" } });
    await waitFor(async () => (await pending()).length === 1, { description: "the dead letter" });
    const [first] = await pending();
    expect(first).toMatchObject({
      reason: "InvalidEvent: an internal question message is not JSON",
      topic: network.topics.accepted,
      attributes: { note: "a" },
    });
    expect((await network.deadLetters.replay({ ids: [first?.id ?? ""] })).replayed).toEqual([first?.id]);
    await waitFor(async () => (await pending()).length === 1 && (await pending())[0]?.id !== first?.id, {
      description: "the replayed message to die again",
    });
    const [again] = await pending();
    expect(again).toMatchObject({ reason: first?.reason, topic: first?.topic, data: first?.data });
    expect((await network.deadLetters.get(first?.id ?? "")).replayedAt).toEqual(expect.any(String));
  });

  it("answers a question whose message came before the question was stored, once it is replayed", async () => {
    const service = copyOfExample("child-services/elevation");
    await network.revisions.register(
      {
        namespace: "examples",
        name: "elevation",
        revisionTag: "1.0.0",
        twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
        source: { kind: "directory", path: service },
      },
      { makeDefault: true },
    );
    const attributes = createQuestionAttributes({ sender: "local/local:local", recipient: "examples/elevation:1.0.0" });
    const questionUuid = attributes.question_uuid;
    await network.bus.publish(network.topics.accepted, encodeQuestionReference({ question_uuid: questionUuid }), {
      attributes: { question_uuid: questionUuid },
      orderingKey: questionUuid,
    });
    await waitFor(async () => (await pending()).length === 1, { description: "the dead letter" });
    const [letter] = await pending();
    expect(letter).toMatchObject({
      reason: `QuestionNotFound: No question ${questionUuid} is known. Check the UUID, or ask the question first.`,
      questionUuid,
    });

    await storeQuestion(network.questions, {
      attributes,
      event: { kind: "question", input_values: { locations: [{ longitude: 1, latitude: 1 }] } },
    });
    await network.deadLetters.replay({ all: true });
    await waitFor(async () => (await network.questions.get(questionUuid))?.status === "succeeded", {
      timeoutMs: 30_000,
      description: "the question to be answered",
    });
    expect((await network.questions.get(questionUuid))?.answer).toEqual({ output_values: [548] });
    expect(await pending()).toEqual([]);
  }, 40_000);
});
