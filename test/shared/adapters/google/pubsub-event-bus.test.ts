import { PubSub, Subscription, Topic } from "@google-cloud/pubsub";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PubSubEventBus, type PubSubEventBusOptions } from "../../../../shared/adapters/google/pubsub/index.js";
import {
  EventBusClosed,
  InvalidSubscriptionFilter,
  MessageLimitExceeded,
  SubscriberAlreadyAttached,
  UnknownTopic,
} from "../../../../shared/errors/index.js";
import type { BusMessage } from "../../../../shared/ports/event-bus.js";
import { describeWithEmulators, uniqueName } from "../../../support/emulators.js";
import { rejectionOf } from "../../../support/error-of.js";
import { waitFor } from "../../../support/wait-for.js";
import { describeEventBusContract } from "../../ports/event-bus.contract.js";

/**
 * The emulator redelivers a nacked message on an unordered subscription about every 2 s after the first retry, so the
 * contract's dead-lettering check (5 attempts, then the forward) needs about 8.5 s.
 */
const TIMEOUT_MS = 12_000;

describeWithEmulators("PubSubEventBus on the emulator", (info) => {
  describeEventBusContract("Google Pub/Sub (emulator)", () => new PubSubEventBus({ projectId: info.projectId }), {
    timeoutMs: TIMEOUT_MS,
  });

  describe("adapter", () => {
    const buses: PubSubEventBus[] = [];
    let warnings: string[];

    function newBus(options: Partial<PubSubEventBusOptions> = {}): PubSubEventBus {
      const bus = new PubSubEventBus({
        projectId: info.projectId,
        onWarning: (warning) => warnings.push(warning),
        ...options,
      });
      buses.push(bus);
      return bus;
    }

    async function newTopic(bus: PubSubEventBus): Promise<string> {
      const topic = uniqueName("adapter-topic");
      await bus.ensureTopic(topic);
      return topic;
    }

    function record(bus: PubSubEventBus, subscription: string, decide?: (message: BusMessage) => void) {
      const received: BusMessage[] = [];
      const subscriber = bus.subscribe(subscription, (message) => {
        received.push(message);
        decide?.(message);
      });
      return { received, subscriber };
    }

    beforeEach(() => {
      warnings = [];
    });

    afterEach(async () => {
      vi.restoreAllMocks();
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
    });

    it("evaluates filters itself on the emulator, acking what does not match so it never comes back", async () => {
      const bus = newBus();
      const topic = await newTopic(bus);
      const subscription = uniqueName("adapter-sub");
      await bus.ensureSubscription(subscription, topic, {
        filter: 'attributes.recipient = "a"',
        enableMessageOrdering: true,
      });
      const publish = (recipient: string) =>
        bus.publish(topic, Buffer.from(recipient), { attributes: { recipient }, orderingKey: "k" });
      await publish("b");
      const matching = await publish("a");
      const filtered = record(bus, subscription);
      await waitFor(() => filtered.received.length >= 1, { timeoutMs: TIMEOUT_MS, description: "the match" });
      expect(filtered.received.map((message) => message.id)).toEqual([matching]);
      await filtered.subscriber.close();

      // The emulator applies no filter, so an unfiltered look shows whether "b" was acked or is still pending.
      const unfilteredBus = newBus({ evaluateFiltersLocally: false });
      const sentinel = await publish("a");
      const unfiltered = record(unfilteredBus, subscription);
      await waitFor(() => unfiltered.received.length >= 1, { timeoutMs: TIMEOUT_MS, description: "the sentinel" });
      expect(unfiltered.received.map((message) => message.id)).toEqual([sentinel]);
    });

    it("rejects an invalid filter before creating anything", async () => {
      const pubsub = new PubSub({ projectId: info.projectId });
      const bus = newBus({ pubsub });
      const topic = await newTopic(bus);
      const create = vi.spyOn(Topic.prototype, "createSubscription");
      const subscription = uniqueName("adapter-sub");
      const error = await rejectionOf(
        bus.ensureSubscription(subscription, topic, { filter: 'attributes.recipient == "a"' }),
      );
      expect(error).toBeInstanceOf(InvalidSubscriptionFilter);
      expect(create).not.toHaveBeenCalled();
      const [exists] = await pubsub.subscription(subscription).exists();
      expect(exists).toBe(false);
    });

    it("rejects an over-limit message before publishing it", async () => {
      const bus = newBus();
      const topic = await newTopic(bus);
      const publish = vi.spyOn(Topic.prototype, "publishMessage");
      const oversize = await rejectionOf(bus.publish(topic, Buffer.alloc(10_000_001)));
      expect(oversize).toBeInstanceOf(MessageLimitExceeded);
      const longValue = await rejectionOf(
        bus.publish(topic, Buffer.from("x"), { attributes: { a: "v".repeat(1025) } }),
      );
      expect(longValue).toBeInstanceOf(MessageLimitExceeded);
      expect(publish).not.toHaveBeenCalled();
    });

    it("sends the subscription options to Pub/Sub in its own units", async () => {
      const pubsub = new PubSub({ projectId: info.projectId });
      const bus = newBus({ pubsub });
      const topic = await newTopic(bus);
      const deadLetterTopic = await newTopic(bus);
      const subscription = uniqueName("adapter-sub");
      await bus.ensureSubscription(subscription, topic, {
        filter: 'attributes.kind = "x"',
        enableMessageOrdering: true,
        ackDeadlineSeconds: 30,
        retryPolicy: { minimumBackoffSeconds: 1.5, maximumBackoffSeconds: 60 },
        deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: 7 },
      });
      const [metadata] = await pubsub.subscription(subscription).getMetadata();
      expect(metadata.topic).toBe(`projects/${info.projectId}/topics/${topic}`);
      expect(metadata.filter).toBe('attributes.kind = "x"');
      expect(metadata.enableMessageOrdering).toBe(true);
      expect(metadata.ackDeadlineSeconds).toBe(30);
      expect(metadata.retryPolicy?.minimumBackoff).toMatchObject({ seconds: "1", nanos: 500_000_000 });
      expect(metadata.retryPolicy?.maximumBackoff).toMatchObject({ seconds: "60" });
      expect(metadata.deadLetterPolicy).toMatchObject({
        deadLetterTopic: `projects/${info.projectId}/topics/${deadLetterTopic}`,
        maxDeliveryAttempts: 7,
      });
      await bus.deleteSubscription(subscription);
    });

    it("names a missing dead-letter topic", async () => {
      const bus = newBus();
      const topic = await newTopic(bus);
      const deadLetterTopic = uniqueName("adapter-missing");
      const error = await rejectionOf(
        bus.ensureSubscription(uniqueName("adapter-sub"), topic, {
          deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: 5 },
        }),
      );
      expect(error).toBeInstanceOf(UnknownTopic);
      expect((error as UnknownTopic).topic).toBe(deadLetterTopic);
    });

    it("counts delivery attempts itself where Pub/Sub reports 0 (no dead-letter policy)", async () => {
      const bus = newBus();
      const topic = await newTopic(bus);
      const subscription = uniqueName("adapter-sub");
      await bus.ensureSubscription(subscription, topic);
      const { received } = record(bus, subscription, (message) => {
        if (message.deliveryAttempt === 1) throw new Error("once");
      });
      const id = await bus.publish(topic, Buffer.from("x"));
      await waitFor(() => received.length >= 2, { timeoutMs: TIMEOUT_MS, description: "the redelivery" });
      expect(received.map((message) => [message.id, message.deliveryAttempt])).toEqual([
        [id, 1],
        [id, 2],
      ]);
      await bus.deleteSubscription(subscription);
    });

    it("allows one subscriber per subscription at a time", async () => {
      const bus = newBus();
      const topic = await newTopic(bus);
      const subscription = uniqueName("adapter-sub");
      await bus.ensureSubscription(subscription, topic);
      const first = bus.subscribe(subscription, () => {});
      expect(() => bus.subscribe(subscription, () => {})).toThrow(SubscriberAlreadyAttached);
      await first.close();
      await bus.subscribe(subscription, () => {}).close();
      await bus.deleteSubscription(subscription);
    });

    it("warns when the subscription to pull from does not exist", async () => {
      const bus = newBus();
      const subscription = uniqueName("adapter-missing");
      bus.subscribe(subscription, () => {});
      await waitFor(() => warnings.length > 0, { timeoutMs: TIMEOUT_MS, description: "a warning" });
      expect(warnings[0]).toContain(`Subscription ${subscription} does not exist`);
    });

    it("returns from close() within its timeout when the client's close hangs", async () => {
      const pubsub = new PubSub({ projectId: info.projectId });
      const bus = newBus({ pubsub, closeTimeoutMs: 200 });
      const topic = await newTopic(bus);
      const subscription = uniqueName("adapter-sub");
      await bus.ensureSubscription(subscription, topic);
      const clients: Subscription[] = [];
      const makeClient = pubsub.subscription.bind(pubsub);
      vi.spyOn(pubsub, "subscription").mockImplementation((name, options) => {
        const client = makeClient(name, options);
        clients.push(client);
        return client;
      });
      const { received } = record(bus, subscription);
      await bus.publish(topic, Buffer.from("x"));
      await waitFor(() => received.length === 1, { timeoutMs: TIMEOUT_MS, description: "the message" });

      const never = () => new Promise<never>(() => {});
      vi.spyOn(Subscription.prototype, "close").mockImplementation(never);
      vi.spyOn(pubsub, "close").mockImplementation(never);
      const started = Date.now();
      await bus.close();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(warnings).toHaveLength(2);
      await expect(bus.publish(topic, Buffer.from("y"))).rejects.toBeInstanceOf(EventBusClosed);

      // Release what the hung closes left open, so the test run can end.
      vi.restoreAllMocks();
      for (const client of clients) await client.close();
      await pubsub.subscription(subscription).delete();
      await pubsub.close();
    });
  });
});
