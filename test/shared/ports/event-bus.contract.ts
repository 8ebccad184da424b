import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  EventBusClosed,
  InvalidSubscriptionFilter,
  SubscriptionMismatch,
  UnknownTopic,
} from "../../../shared/errors/index.js";
import type { BusMessage, BusSubscriber, EventBus, SubscriptionOptions } from "../../../shared/ports/event-bus.js";
import { deferred, waitFor } from "../../support/wait-for.js";

export interface EventBusContractOptions {
  /** How long to wait for an expected delivery; raise it for a real broker. Defaults to 5 s. */
  readonly timeoutMs?: number;
}

/** The smallest backoff Pub/Sub accepts that still exercises the retry path. */
const FAST_RETRY = { minimumBackoffSeconds: 0.001, maximumBackoffSeconds: 0.004 } as const;
/** Pub/Sub's minimum. */
const MAX_ATTEMPTS = 5;

interface Recording {
  readonly received: BusMessage[];
  readonly subscriber: BusSubscriber;
}

/**
 * The behaviour every `EventBus` adapter must show, written against the port alone so that the in-memory bus and the
 * Google Pub/Sub adapter run the same checks. `makeBus` is called once per test; the suite closes each bus. Names are
 * unique per run, so a real project can be reused; subscriptions are deleted afterwards (topics cannot be, via the
 * port). Negative checks ("never delivered") publish a sentinel behind the message on an ordered subscription and
 * assert once the sentinel arrives, so nothing depends on sleeping.
 */
export function describeEventBusContract(
  name: string,
  makeBus: () => EventBus | Promise<EventBus>,
  options: EventBusContractOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const runId = Math.random().toString(36).slice(2, 8);
  let counter = 0;
  const uniqueName = (kind: string): string => `contract-${runId}-${kind}-${++counter}`;

  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus;
    let createdSubscriptions: string[];

    beforeEach(async () => {
      bus = await makeBus();
      createdSubscriptions = [];
    });

    afterEach(async () => {
      for (const subscription of createdSubscriptions) {
        await bus.deleteSubscription(subscription).catch(() => undefined);
      }
      await bus.close();
    });

    async function newTopic(): Promise<string> {
      const topic = uniqueName("topic");
      await bus.ensureTopic(topic);
      return topic;
    }

    async function newSubscription(topic: string, subscriptionOptions: SubscriptionOptions = {}): Promise<string> {
      const subscription = uniqueName("sub");
      await bus.ensureSubscription(subscription, topic, subscriptionOptions);
      createdSubscriptions.push(subscription);
      return subscription;
    }

    /** A dead-letter policy, so that `deliveryAttempt` is populated (Pub/Sub leaves it 0 without one). */
    async function deadLetterOptions(): Promise<
      SubscriptionOptions & { deadLetterPolicy: { deadLetterTopic: string } }
    > {
      return {
        retryPolicy: FAST_RETRY,
        deadLetterPolicy: { deadLetterTopic: await newTopic(), maxDeliveryAttempts: MAX_ATTEMPTS },
      };
    }

    function record(subscription: string, decide?: (message: BusMessage) => void | Promise<void>): Recording {
      const received: BusMessage[] = [];
      const subscriber = bus.subscribe(subscription, async (message) => {
        received.push(message);
        await decide?.(message);
      });
      return { received, subscriber };
    }

    function until(condition: () => boolean, description: string): Promise<void> {
      return waitFor(condition, { timeoutMs, description });
    }

    const text = (message: BusMessage): string => message.data.toString("utf8");

    describe("publishing and delivery", () => {
      it("delivers a message with its ID, data, attributes, ordering key and publish time", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic);
        const { received } = record(subscription);
        const before = Date.now();
        const keyed = await bus.publish(topic, Buffer.from("hello"), { attributes: { a: "1" }, orderingKey: "k" });
        const keyless = await bus.publish(topic, Buffer.from("plain"));
        await until(() => received.length >= 2, "both messages");

        const first = received.find((message) => message.id === keyed);
        const second = received.find((message) => message.id === keyless);
        expect(first).toBeDefined();
        expect(second).toBeDefined();
        expect(first?.data.equals(Buffer.from("hello"))).toBe(true);
        expect(first?.attributes).toEqual({ a: "1" });
        expect(first?.orderingKey).toBe("k");
        expect(second?.orderingKey).toBeUndefined();
        expect(second?.attributes).toEqual({});
        // Generous bounds: a real broker stamps publish times with its own clock.
        expect(first?.publishTime).toBeInstanceOf(Date);
        expect(Math.abs((first?.publishTime.getTime() ?? 0) - before)).toBeLessThan(5 * 60_000);
      });

      it("publishes a batch in one call, in order, each message with its own attributes and key", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic);
        const { received } = record(subscription);
        const ids = await bus.publishAll(topic, [
          { data: Buffer.from("one"), options: { attributes: { n: "1" }, orderingKey: "k" } },
          { data: Buffer.from("two"), options: { attributes: { n: "2" }, orderingKey: "k" } },
          { data: Buffer.from("three") },
        ]);
        expect(new Set(ids).size).toBe(3);
        await until(() => received.length >= 3, "the batch");
        const byId = (id: string | undefined) => received.find((message) => message.id === id);
        expect(ids.map((id) => (byId(id) === undefined ? undefined : text(byId(id) as BusMessage)))).toEqual([
          "one",
          "two",
          "three",
        ]);
        expect(byId(ids[1])?.attributes).toEqual({ n: "2" });
        expect(byId(ids[1])?.orderingKey).toBe("k");
        expect(byId(ids[2])?.orderingKey).toBeUndefined();
        expect(await bus.publishAll(topic, [])).toEqual([]);
      });

      it("returns distinct decimal message IDs", async () => {
        const topic = await newTopic();
        const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => bus.publish(topic, Buffer.from(`m${n}`))));
        for (const id of ids) expect(id).toMatch(/^[0-9]+$/);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it("delivers what was published even if the publisher then reuses its buffer", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic);
        const { received } = record(subscription);
        const buffer = Buffer.from("original");
        const publishing = bus.publish(topic, buffer);
        buffer.fill(0);
        await publishing;
        await until(() => received.length === 1, "the message");
        expect(received[0] ? text(received[0]) : undefined).toBe("original");
      });

      it("fans every message out to every subscription of the topic", async () => {
        const topic = await newTopic();
        const first = record(await newSubscription(topic));
        const second = record(await newSubscription(topic));
        const ids = [];
        for (const n of [1, 2, 3]) ids.push(await bus.publish(topic, Buffer.from(`m${n}`)));
        await until(() => first.received.length >= 3 && second.received.length >= 3, "three messages on each");
        expect(new Set(first.received.map((message) => message.id))).toEqual(new Set(ids));
        expect(new Set(second.received.map((message) => message.id))).toEqual(new Set(ids));
      });

      it("rejects publishing to a topic that does not exist", async () => {
        const topic = uniqueName("missing");
        const error = await bus.publish(topic, Buffer.from("x")).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(UnknownTopic);
        expect((error as UnknownTopic).topic).toBe(topic);
      });
    });

    describe("retention", () => {
      it("keeps messages published before anyone subscribes and delivers them on subscribe", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic);
        const ids = [
          await bus.publish(topic, Buffer.from("early-1")),
          await bus.publish(topic, Buffer.from("early-2")),
        ];
        const { received } = record(subscription);
        await until(() => received.length >= 2, "both retained messages");
        expect(new Set(received.map((message) => message.id))).toEqual(new Set(ids));
      });

      it("gives a subscription only the messages published after it was created", async () => {
        const topic = await newTopic();
        await bus.publish(topic, Buffer.from("before"), { orderingKey: "k" });
        const subscription = await newSubscription(topic, { enableMessageOrdering: true });
        const after = await bus.publish(topic, Buffer.from("after"), { orderingKey: "k" });
        const { received } = record(subscription);
        await until(() => received.length >= 1, "the later message");
        expect(received.map((message) => message.id)).toEqual([after]);
      });
    });

    describe("filters", () => {
      it("delivers only the messages whose attributes match the filter", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, {
          filter: 'attributes.recipient = "a" AND NOT attributes:skip',
          enableMessageOrdering: true,
        });
        const { received } = record(subscription);
        const publish = (attributes: Record<string, string>) =>
          bus.publish(topic, Buffer.from(JSON.stringify(attributes)), { attributes, orderingKey: "k" });
        await publish({ recipient: "b" });
        const matching = await publish({ recipient: "a" });
        await publish({ recipient: "a", skip: "yes" });
        await publish({});
        const sentinel = await publish({ recipient: "a", last: "yes" });
        // In publish order on one key: anything wrongly delivered would have arrived before the sentinel.
        await until(() => received.some((message) => message.id === sentinel), "the sentinel");
        expect(received.map((message) => message.id)).toEqual([matching, sentinel]);
      });

      it("rejects an invalid filter without creating the subscription", async () => {
        const topic = await newTopic();
        const subscription = uniqueName("sub");
        const error = await bus
          .ensureSubscription(subscription, topic, { filter: 'attributes.recipient == "a"' })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidSubscriptionFilter);
        // Had the invalid one been created, a different filter would now be a mismatch.
        createdSubscriptions.push(subscription);
        await expect(
          bus.ensureSubscription(subscription, topic, { filter: 'attributes.recipient = "a"' }),
        ).resolves.toBeUndefined();
      });
    });

    describe("acknowledgement and redelivery", () => {
      it("does not redeliver a message whose handler returned", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, { enableMessageOrdering: true });
        const { received } = record(subscription);
        const first = await bus.publish(topic, Buffer.from("one"), { orderingKey: "k" });
        const second = await bus.publish(topic, Buffer.from("two"), { orderingKey: "k" });
        await until(() => received.length >= 2, "both messages");
        expect(received.map((message) => message.id)).toEqual([first, second]);
      });

      it("redelivers a message whose handler threw, with a growing delivery attempt", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, await deadLetterOptions());
        const { received } = record(subscription, (message) => {
          if (message.deliveryAttempt < 3) throw new Error(`failing attempt ${message.deliveryAttempt}`);
        });
        const id = await bus.publish(topic, Buffer.from("retry me"));
        await until(() => received.length >= 3, "three attempts");
        expect(received.map((message) => message.id)).toEqual([id, id, id]);
        expect(received.map((message) => message.deliveryAttempt)).toEqual([1, 2, 3]);
        expect(received.map(text)).toEqual(["retry me", "retry me", "retry me"]);
      });

      it("redelivers a message whose handler rejected", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, await deadLetterOptions());
        const { received } = record(subscription, async (message) => {
          if (message.deliveryAttempt === 1) throw new Error("rejected once");
        });
        const id = await bus.publish(topic, Buffer.from("x"));
        await until(() => received.length >= 2, "a redelivery");
        expect(received.map((message) => [message.id, message.deliveryAttempt])).toEqual([
          [id, 1],
          [id, 2],
        ]);
      });

      it(`dead-letters a message after ${MAX_ATTEMPTS} failed attempts, with Pub/Sub's attributes`, async () => {
        const topic = await newTopic();
        const options = await deadLetterOptions();
        const deadLetters = record(await newSubscription(options.deadLetterPolicy.deadLetterTopic));
        const subscription = await newSubscription(topic, options);
        const source = record(subscription, () => {
          throw new Error("always failing");
        });
        const id = await bus.publish(topic, Buffer.from("doomed"), { attributes: { kind: "test" } });
        await until(() => deadLetters.received.length >= 1, "the dead-lettered message");

        expect(source.received.map((message) => message.id)).toEqual(Array.from({ length: MAX_ATTEMPTS }, () => id));
        expect(source.received.map((message) => message.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
        const [deadLetter] = deadLetters.received;
        expect(deadLetter ? text(deadLetter) : undefined).toBe("doomed");
        expect(deadLetter?.attributes).toMatchObject({
          kind: "test",
          CloudPubSubDeadLetterSourceDeliveryCount: String(MAX_ATTEMPTS),
        });
        expect(deadLetter?.attributes.CloudPubSubDeadLetterSourceSubscription?.endsWith(subscription)).toBe(true);
        expect(deadLetter?.attributes).toHaveProperty("CloudPubSubDeadLetterSourceTopicPublishTime");
      });
    });

    describe("ordering", () => {
      it("delivers each key's messages one at a time in publish order while keys run concurrently", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, { enableMessageOrdering: true });
        const keys = ["a", "b", "c"];
        const published = new Map<string, string[]>(keys.map((key) => [key, []]));
        const delivered = new Map<string, string[]>(keys.map((key) => [key, []]));
        const running = new Map<string, number>();
        const overlaps: string[] = [];
        const otherKeyStarted = deferred();
        let crossKeyConcurrency = false;

        record(subscription, async (message) => {
          const key = message.orderingKey ?? "";
          if (key !== "a") otherKeyStarted.resolve();
          if ((running.get(key) ?? 0) > 0) overlaps.push(message.id);
          running.set(key, (running.get(key) ?? 0) + 1);
          delivered.get(key)?.push(message.id);
          // By content, not by ID: a subscriber may get the message before its publisher has the ID back.
          if (key === "a" && message.data.toString() === "0") {
            // Key a's first message waits for another key to start: proof that keys do not wait for each other.
            let timer: ReturnType<typeof setTimeout> | undefined;
            crossKeyConcurrency = await Promise.race([
              otherKeyStarted.promise.then(() => true),
              new Promise<boolean>((resolve) => {
                timer = setTimeout(() => resolve(false), timeoutMs / 2);
              }),
            ]);
            clearTimeout(timer);
          }
          await new Promise((resolve) => setTimeout(resolve, 1 + (Number(message.data.toString()) % 3)));
          running.set(key, (running.get(key) ?? 1) - 1);
        });

        for (let n = 0; n < 12; n++) {
          const key = keys[n % keys.length] as string;
          published.get(key)?.push(await bus.publish(topic, Buffer.from(String(n)), { orderingKey: key }));
        }
        await until(() => keys.every((key) => delivered.get(key)?.length === 4), "every key's four messages");

        for (const key of keys) expect(delivered.get(key)).toEqual(published.get(key));
        expect(overlaps).toEqual([]);
        expect(crossKeyConcurrency).toBe(true);
      });

      it("holds a key behind a nacked message until it is redelivered and acked, while keyless ones proceed", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, {
          ...(await deadLetterOptions()),
          enableMessageOrdering: true,
        });
        const keylessArrived = deferred();
        let keylessBeforeRetry = false;
        const deliveries: string[] = [];
        record(subscription, async (message) => {
          const label = message.data.toString();
          deliveries.push(`${label}#${message.deliveryAttempt}`);
          if (label === "free") keylessArrived.resolve();
          if (label === "first" && message.deliveryAttempt === 1) {
            await keylessArrived.promise;
            keylessBeforeRetry = true;
          }
          if (label === "first" && message.deliveryAttempt < 3) throw new Error("not yet");
        });

        await bus.publish(topic, Buffer.from("first"), { orderingKey: "k" });
        await bus.publish(topic, Buffer.from("second"), { orderingKey: "k" });
        await bus.publish(topic, Buffer.from("free"));
        await until(
          () => deliveries.includes("first#3") && deliveries.some((delivery) => delivery.startsWith("second#")),
          "the first message's third attempt and the second message of the key",
        );

        expect(keylessBeforeRetry).toBe(true);
        // Pub/Sub may hand out "second" while "first" awaits redelivery (it then redelivers the later messages of
        // the key too), so the promise is the order of the first message's attempts, not where "second" falls.
        const firsts = deliveries.filter((delivery) => delivery.startsWith("first#"));
        expect(firsts.slice(0, 3)).toEqual(["first#1", "first#2", "first#3"]);
      });
    });

    describe("provisioning", () => {
      it("treats repeated ensureTopic and ensureSubscription as no-ops that keep retained messages", async () => {
        const topic = await newTopic();
        await bus.ensureTopic(topic);
        const filter = 'attributes.kind = "x"';
        const subscription = await newSubscription(topic, { filter });
        const id = await bus.publish(topic, Buffer.from("kept"), { attributes: { kind: "x" } });
        await bus.ensureTopic(topic);
        await bus.ensureSubscription(subscription, topic, { filter });
        const { received } = record(subscription);
        await until(() => received.length >= 1, "the retained message");
        expect(received.map((message) => message.id)).toEqual([id]);
      });

      it("refuses an existing subscription name for another topic, naming both", async () => {
        const topic = await newTopic();
        const otherTopic = await newTopic();
        const subscription = await newSubscription(topic);
        const error = await bus.ensureSubscription(subscription, otherTopic).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(SubscriptionMismatch);
        expect((error as SubscriptionMismatch).subscription).toBe(subscription);
        expect((error as Error).message).toContain(topic);
        expect((error as Error).message).toContain(otherTopic);
      });

      it("refuses an existing subscription name with another filter, naming both", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, { filter: 'attributes.kind = "x"' });
        const error = await bus
          .ensureSubscription(subscription, topic, { filter: 'attributes.kind = "y"' })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(SubscriptionMismatch);
        expect((error as Error).message).toContain('attributes.kind = \\"x\\"');
        expect((error as Error).message).toContain('attributes.kind = \\"y\\"');
        const unfiltered = await bus.ensureSubscription(subscription, topic).catch((caught: unknown) => caught);
        expect(unfiltered).toBeInstanceOf(SubscriptionMismatch);
      });

      it("refuses a subscription to a topic that does not exist", async () => {
        const topic = uniqueName("missing");
        const error = await bus.ensureSubscription(uniqueName("sub"), topic).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(UnknownTopic);
        expect((error as UnknownTopic).topic).toBe(topic);
      });

      it("drops a deleted subscription's pending messages; deleting it again is a no-op", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic, { enableMessageOrdering: true });
        await bus.publish(topic, Buffer.from("dropped"), { orderingKey: "k" });
        await bus.deleteSubscription(subscription);
        await bus.deleteSubscription(subscription);
        await bus.ensureSubscription(subscription, topic, { enableMessageOrdering: true });
        const kept = await bus.publish(topic, Buffer.from("kept"), { orderingKey: "k" });
        const { received } = record(subscription);
        await until(() => received.length >= 1, "the message published after re-creation");
        expect(received.map(text)).toEqual(["kept"]);
        expect(received[0]?.id).toBe(kept);
      });
    });

    describe("closing", () => {
      it("lets a subscriber's close wait for its running handler, and keeps later messages for the next one", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic);
        const release = deferred();
        let handlerFinished = false;
        const first = record(subscription, async () => {
          await release.promise;
          handlerFinished = true;
        });
        await bus.publish(topic, Buffer.from("slow"));
        await until(() => first.received.length === 1, "the slow message");

        let closed = false;
        const closing = first.subscriber.close().then(() => {
          closed = true;
        });
        await new Promise((resolve) => setImmediate(resolve));
        expect(closed).toBe(false);
        release.resolve();
        await closing;
        expect(handlerFinished).toBe(true);

        const later = await bus.publish(topic, Buffer.from("later"));
        const second = record(subscription);
        await until(() => second.received.some((message) => message.id === later), "the later message");
        expect(first.received).toHaveLength(1);
      });

      it("waits for running handlers on close and refuses to publish afterwards", async () => {
        const topic = await newTopic();
        const subscription = await newSubscription(topic);
        const release = deferred();
        let handlerFinished = false;
        const { received } = record(subscription, async () => {
          await release.promise;
          handlerFinished = true;
        });
        await bus.publish(topic, Buffer.from("x"));
        await until(() => received.length === 1, "the message");

        let closed = false;
        const closing = bus.close().then(() => {
          closed = true;
        });
        await new Promise((resolve) => setImmediate(resolve));
        expect(closed).toBe(false);
        release.resolve();
        await closing;
        expect(handlerFinished).toBe(true);

        await expect(bus.publish(topic, Buffer.from("too late"))).rejects.toBeInstanceOf(EventBusClosed);
        await expect(bus.close()).resolves.toBeUndefined();
      });
    });
  });
}
