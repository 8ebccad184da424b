import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BusTimers,
  DEAD_LETTER_ATTRIBUTES,
  InMemoryEventBus,
  type InMemoryEventBusOptions,
} from "../../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import {
  EventBusClosed,
  InvalidSubscriptionOptions,
  SubscriberAlreadyAttached,
  UnknownSubscription,
  UnknownTopic,
} from "../../../../shared/errors/index.js";
import type { BusMessage, SubscriptionOptions } from "../../../../shared/ports/event-bus.js";
import { seededRandom } from "../../../support/seeded-random.js";
import { deferred, waitFor } from "../../../support/wait-for.js";
import { describeEventBusContract } from "../../ports/event-bus.contract.js";

describeEventBusContract("in memory", () => new InMemoryEventBus());

const FAST_RETRY = { minimumBackoffSeconds: 0.001, maximumBackoffSeconds: 0.002 } as const;

/** Real timers, with every delay and every still-pending handle recorded. */
function recordingTimers(): BusTimers & { readonly delays: number[]; readonly active: Set<unknown> } {
  const delays: number[] = [];
  const active = new Set<unknown>();
  return {
    delays,
    active,
    setTimeout(callback, milliseconds) {
      delays.push(milliseconds);
      const handle = setTimeout(() => {
        active.delete(handle);
        callback();
      }, milliseconds);
      active.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      active.delete(handle);
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

describe("InMemoryEventBus", () => {
  const buses: InMemoryEventBus[] = [];

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  function makeBus(options: InMemoryEventBusOptions = {}): InMemoryEventBus {
    const bus = new InMemoryEventBus(options);
    buses.push(bus);
    return bus;
  }

  async function withSubscription(bus: InMemoryEventBus, options: SubscriptionOptions = {}): Promise<void> {
    await bus.ensureTopic("t");
    await bus.ensureSubscription("s", "t", options);
  }

  function isIdle(bus: InMemoryEventBus, subscription: string): boolean {
    const backlog = bus.backlog(subscription);
    return backlog.pending === 0 && backlog.inFlight === 0 && backlog.awaitingRetry === 0;
  }

  describe("messages", () => {
    it("numbers messages with increasing decimal IDs and starts deliveryAttempt at 1 without a dead-letter policy", async () => {
      const bus = makeBus();
      await withSubscription(bus);
      const ids = [];
      for (let n = 0; n < 12; n++) ids.push(await bus.publish("t", Buffer.from(String(n))));
      expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
      expect(ids.every((id) => /^[1-9][0-9]*$/.test(id))).toBe(true);

      const received: BusMessage[] = [];
      bus.subscribe("s", (message) => {
        received.push(message);
      });
      await waitFor(() => received.length === 12);
      expect(received.every((message) => message.deliveryAttempt === 1)).toBe(true);
      expect(Object.isFrozen(received[0])).toBe(true);
    });

    it("gives every delivery its own copy of the data", async () => {
      const bus = makeBus();
      await withSubscription(bus, { retryPolicy: FAST_RETRY });
      await bus.ensureSubscription("other", "t");
      const seen: string[] = [];
      bus.subscribe("s", (message) => {
        seen.push(message.data.toString());
        message.data.fill(0x21);
        if (message.deliveryAttempt === 1) throw new Error("mutated, then nacked");
      });
      const other: string[] = [];
      bus.subscribe("other", (message) => {
        other.push(message.data.toString());
      });
      await bus.publish("t", Buffer.from("pristine"));
      await waitFor(() => seen.length === 2 && other.length === 1);
      expect(seen).toEqual(["pristine", "pristine"]);
      expect(other).toEqual(["pristine"]);
    });

    it("refuses a message Pub/Sub would refuse", async () => {
      const bus = makeBus();
      await bus.ensureTopic("t");
      await expect(bus.publish("t", Buffer.alloc(10_000_001))).rejects.toThrow(/at most 10000000/);
    });

    it("tells onHandlerError about each failure and still redelivers when the reporter throws", async () => {
      const errors: [string, string, number][] = [];
      const bus = makeBus({
        onHandlerError: (error, message, subscription) => {
          errors.push([(error as Error).message, subscription, message.deliveryAttempt]);
          throw new Error("broken reporter");
        },
      });
      await withSubscription(bus, { retryPolicy: FAST_RETRY });
      let attempts = 0;
      bus.subscribe("s", (message) => {
        attempts = message.deliveryAttempt;
        if (message.deliveryAttempt < 3) throw new Error(`boom ${message.deliveryAttempt}`);
      });
      await bus.publish("t", Buffer.from("x"));
      await waitFor(() => attempts === 3 && isIdle(bus, "s"));
      expect(errors).toEqual([
        ["boom 1", "s", 1],
        ["boom 2", "s", 2],
      ]);
    });
  });

  describe("filters", () => {
    it("drops a non-matching message at publish time instead of retaining it", async () => {
      const bus = makeBus();
      await withSubscription(bus, { filter: 'hasPrefix(attributes.recipient, "octue.")' });
      await bus.publish("t", Buffer.from("x"), { attributes: { recipient: "other.service" } });
      await bus.publish("t", Buffer.from("x"));
      expect(bus.backlog("s").pending).toBe(0);
      await bus.publish("t", Buffer.from("x"), { attributes: { recipient: "octue.service" } });
      expect(bus.backlog("s").pending).toBe(1);
    });

    it("counts filters that differ only in spacing as the same filter", async () => {
      const bus = makeBus();
      await withSubscription(bus, { filter: 'attributes.a="x"  AND  attributes:b' });
      await expect(bus.ensureSubscription("s", "t", { filter: 'attributes.a = "x" AND attributes:b' })).resolves.toBe(
        undefined,
      );
    });
  });

  describe("provisioning", () => {
    it.each<[string, SubscriptionOptions]>([
      ["too few delivery attempts", { deadLetterPolicy: { deadLetterTopic: "dlt", maxDeliveryAttempts: 4 } }],
      ["too many delivery attempts", { deadLetterPolicy: { deadLetterTopic: "dlt", maxDeliveryAttempts: 101 } }],
      ["fractional delivery attempts", { deadLetterPolicy: { deadLetterTopic: "dlt", maxDeliveryAttempts: 5.5 } }],
      ["a short ack deadline", { ackDeadlineSeconds: 5 }],
      ["a long ack deadline", { ackDeadlineSeconds: 601 }],
      ["a negative backoff", { retryPolicy: { minimumBackoffSeconds: -1, maximumBackoffSeconds: 1 } }],
      ["a backoff over 600 s", { retryPolicy: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 601 } }],
      ["a minimum above the maximum", { retryPolicy: { minimumBackoffSeconds: 2, maximumBackoffSeconds: 1 } }],
    ])("refuses %s, as Pub/Sub does", async (_, options) => {
      const bus = makeBus();
      await bus.ensureTopic("t");
      await bus.ensureTopic("dlt");
      const error = await bus.ensureSubscription("s", "t", options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidSubscriptionOptions);
      expect((error as InvalidSubscriptionOptions).subscription).toBe("s");
      expect(() => bus.backlog("s")).toThrow(UnknownSubscription);
    });

    it("refuses a dead-letter topic that does not exist", async () => {
      const bus = makeBus();
      await bus.ensureTopic("t");
      const error = await bus
        .ensureSubscription("s", "t", { deadLetterPolicy: { deadLetterTopic: "nowhere", maxDeliveryAttempts: 5 } })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnknownTopic);
      expect((error as UnknownTopic).topic).toBe("nowhere");
    });

    it("refuses subscribing to, or inspecting, a subscription that does not exist", () => {
      const bus = makeBus();
      const error = (() => {
        try {
          bus.subscribe("nope", () => undefined);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(UnknownSubscription);
      expect((error as UnknownSubscription).subscription).toBe("nope");
      expect(() => bus.backlog("nope")).toThrow(UnknownSubscription);
    });

    it("allows one subscriber per subscription at a time", async () => {
      const bus = makeBus();
      await withSubscription(bus);
      const first = bus.subscribe("s", () => undefined);
      expect(() => bus.subscribe("s", () => undefined)).toThrow(SubscriberAlreadyAttached);
      await first.close();
      const received: string[] = [];
      bus.subscribe("s", (message) => {
        received.push(message.data.toString());
      });
      await bus.publish("t", Buffer.from("to the second"));
      await waitFor(() => received.length === 1);
      expect(received).toEqual(["to the second"]);
    });

    it("ignores the outcome of a handler whose subscription was deleted while it ran", async () => {
      const bus = makeBus();
      await withSubscription(bus, { retryPolicy: FAST_RETRY });
      const release = deferred();
      let finished = false;
      const subscriber = bus.subscribe("s", async () => {
        await release.promise;
        finished = true;
        throw new Error("nack after deletion");
      });
      await bus.publish("t", Buffer.from("x"));
      await waitFor(() => bus.backlog("s").inFlight === 1);
      await bus.deleteSubscription("s");
      await bus.ensureSubscription("s", "t");
      release.resolve();
      await subscriber.close();
      expect(finished).toBe(true);
      expect(bus.backlog("s")).toEqual({ pending: 0, inFlight: 0, awaitingRetry: 0 });
    });
  });

  describe("redelivery", () => {
    it("backs off exponentially from the minimum to the maximum backoff", async () => {
      const timers = recordingTimers();
      const bus = makeBus({ timers });
      await withSubscription(bus, { retryPolicy: { minimumBackoffSeconds: 0.002, maximumBackoffSeconds: 0.01 } });
      let attempts = 0;
      bus.subscribe("s", (message) => {
        attempts = message.deliveryAttempt;
        if (message.deliveryAttempt <= 5) throw new Error("again");
      });
      await bus.publish("t", Buffer.from("x"));
      await waitFor(() => attempts === 6 && isIdle(bus, "s"));
      // Zero-delay timers are the bus scheduling deliveries; the others are the retry backoffs.
      const backoffs = timers.delays.filter((delay) => delay > 0);
      expect(backoffs).toHaveLength(5);
      [2, 4, 8, 10, 10].forEach((expected, index) => {
        expect(backoffs[index]).toBeCloseTo(expected, 6);
      });
    });

    it("waits Pub/Sub's default 10 s before the first redelivery when no retry policy is given", async () => {
      const timers = recordingTimers();
      const bus = makeBus({ timers });
      await withSubscription(bus);
      bus.subscribe("s", () => {
        throw new Error("nack");
      });
      await bus.publish("t", Buffer.from("x"));
      await waitFor(() => bus.backlog("s").awaitingRetry === 1);
      expect(timers.delays.filter((delay) => delay > 0)).toEqual([10_000]);
    });

    it("never redelivers a message while its handler is still running", async () => {
      const timers = recordingTimers();
      const bus = makeBus({ timers });
      await withSubscription(bus, { ackDeadlineSeconds: 10 });
      const release = deferred();
      let deliveries = 0;
      bus.subscribe("s", async () => {
        deliveries += 1;
        await release.promise;
      });
      await bus.publish("t", Buffer.from("x"));
      await waitFor(() => bus.backlog("s").inFlight === 1);
      // No ack-deadline timer was armed: only zero-delay delivery scheduling.
      expect(timers.delays.every((delay) => delay === 0)).toBe(true);
      release.resolve();
      await waitFor(() => isIdle(bus, "s"));
      expect(deliveries).toBe(1);
    });

    it("dead-letters with the source subscription's project and the original publish time", async () => {
      const publishTime = new Date("2024-05-06T07:08:09.123Z");
      const bus = makeBus({ projectId: "my-project", now: () => publishTime });
      await bus.ensureTopic("dlt");
      await bus.ensureSubscription("dlt-sub", "dlt");
      await withSubscription(bus, {
        retryPolicy: FAST_RETRY,
        deadLetterPolicy: { deadLetterTopic: "dlt", maxDeliveryAttempts: 5 },
      });
      bus.subscribe("s", () => {
        throw new Error("never");
      });
      const deadLetters: BusMessage[] = [];
      bus.subscribe("dlt-sub", (message) => {
        deadLetters.push(message);
      });
      const id = await bus.publish("t", Buffer.from("x"), { attributes: { a: "1" }, orderingKey: "k" });
      await waitFor(() => deadLetters.length === 1 && isIdle(bus, "s"));
      const [deadLetter] = deadLetters;
      expect(deadLetter?.attributes).toEqual({
        a: "1",
        [DEAD_LETTER_ATTRIBUTES.deliveryCount]: "5",
        [DEAD_LETTER_ATTRIBUTES.subscription]: "s",
        [DEAD_LETTER_ATTRIBUTES.subscriptionProject]: "my-project",
        [DEAD_LETTER_ATTRIBUTES.topicPublishTime]: "2024-05-06T07:08:09.123Z",
      });
      expect(deadLetter?.orderingKey).toBe("k");
      expect(Number(deadLetter?.id)).toBeGreaterThan(Number(id));
    });
  });

  describe("closing", () => {
    it("clears every timer and discards retained messages", async () => {
      const timers = recordingTimers();
      const bus = makeBus({ timers });
      await withSubscription(bus, { retryPolicy: { minimumBackoffSeconds: 60, maximumBackoffSeconds: 60 } });
      await bus.ensureSubscription("idle", "t");
      bus.subscribe("s", () => {
        throw new Error("nack");
      });
      await bus.publish("t", Buffer.from("x"));
      await waitFor(() => bus.backlog("s").awaitingRetry === 1);
      expect(bus.backlog("idle").pending).toBe(1);
      expect(timers.active.size).toBe(1);

      await bus.close();
      expect(timers.active.size).toBe(0);
      expect(() => bus.backlog("idle")).toThrow(UnknownSubscription);
    });

    it("refuses every call but close once closed", async () => {
      const bus = makeBus();
      await withSubscription(bus);
      await bus.close();
      await expect(bus.ensureTopic("t")).rejects.toBeInstanceOf(EventBusClosed);
      await expect(bus.ensureSubscription("s", "t")).rejects.toBeInstanceOf(EventBusClosed);
      await expect(bus.deleteSubscription("s")).rejects.toBeInstanceOf(EventBusClosed);
      const error = await bus.publish("t", Buffer.from("x")).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EventBusClosed);
      expect((error as EventBusClosed).operation).toBe("publish");
      expect(() => bus.subscribe("s", () => undefined)).toThrow(EventBusClosed);
    });
  });

  describe("chaos options", () => {
    it("delivers every message exactly twice with duplicateDeliveries", async () => {
      const bus = makeBus({ duplicateDeliveries: true });
      await withSubscription(bus, { enableMessageOrdering: true });
      const counts = new Map<string, number>();
      bus.subscribe("s", (message) => {
        counts.set(message.id, (counts.get(message.id) ?? 0) + 1);
      });
      const ids = [];
      for (let n = 0; n < 10; n++) {
        ids.push(await bus.publish("t", Buffer.from(String(n)), n % 2 === 0 ? { orderingKey: "k" } : {}));
      }
      await waitFor(() => isIdle(bus, "s") && counts.size === 10);
      expect([...counts.keys()].sort()).toEqual([...ids].sort());
      expect([...counts.values()].every((count) => count === 2)).toBe(true);
    });

    async function shuffledOrder(seed: number): Promise<string[]> {
      const bus = makeBus({ shuffle: true, random: seededRandom(seed) });
      await withSubscription(bus, { enableMessageOrdering: true });
      for (let n = 0; n < 10; n++) await bus.publish("t", Buffer.from(String(n)), { orderingKey: "k" });
      const order: string[] = [];
      bus.subscribe("s", (message) => {
        order.push(message.data.toString());
      });
      await waitFor(() => order.length === 10);
      return order;
    }

    it("delivers in a random order with shuffle, ignoring ordering keys, repeatably for a seeded generator", async () => {
      const inOrder = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
      const first = await shuffledOrder(42);
      expect([...first].sort()).toEqual(inOrder);
      expect(first).not.toEqual(inOrder);
      expect(await shuffledOrder(42)).toEqual(first);
    });

    it("keeps every message when duplicating and shuffling together", async () => {
      const bus = makeBus({ duplicateDeliveries: true, shuffle: true, random: seededRandom(7) });
      await withSubscription(bus);
      const payloads: string[] = [];
      bus.subscribe("s", (message) => {
        payloads.push(message.data.toString());
      });
      await Promise.all(["a", "b", "c", "d"].map((payload) => bus.publish("t", Buffer.from(payload))));
      await waitFor(() => payloads.length === 8 && isIdle(bus, "s"));
      expect(payloads.sort()).toEqual(["a", "a", "b", "b", "c", "c", "d", "d"]);
    });
  });

  describe("property: no message is lost", () => {
    const MAX_ATTEMPTS = 5;
    const scenario = fc.record({
      ordered: fc.boolean(),
      duplicateDeliveries: fc.boolean(),
      shuffle: fc.boolean(),
      seed: fc.integer(),
      messages: fc.array(
        fc.record({
          orderingKey: fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }),
          /** Ack (true) or nack (false) on attempt 1, 2, …; attempts beyond the list ack. */
          outcomes: fc.array(fc.boolean(), { maxLength: MAX_ATTEMPTS + 1 }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    });

    it("acks or dead-letters every message, whatever the handler decides", async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ ordered, duplicateDeliveries, shuffle, seed, messages }) => {
          const bus = new InMemoryEventBus({ duplicateDeliveries, shuffle, random: seededRandom(seed) });
          try {
            await bus.ensureTopic("t");
            await bus.ensureTopic("dlt");
            await bus.ensureSubscription("dlt-sub", "dlt");
            await bus.ensureSubscription("s", "t", {
              enableMessageOrdering: ordered,
              retryPolicy: FAST_RETRY,
              deadLetterPolicy: { deadLetterTopic: "dlt", maxDeliveryAttempts: MAX_ATTEMPTS },
            });
            const copies = duplicateDeliveries ? 2 : 1;
            const acked = messages.map(() => 0);
            const deadLettered = messages.map(() => 0);
            const firstDeliveries: number[] = [];
            bus.subscribe("s", (message) => {
              const index = Number(message.data.toString());
              if (message.deliveryAttempt === 1) firstDeliveries.push(index);
              if (messages[index]?.outcomes[message.deliveryAttempt - 1] === false) throw new Error("nack");
              acked[index] = (acked[index] ?? 0) + 1;
            });
            const deadLetterCounts = new Set<string | undefined>();
            // Count distinct dead-letter messages: with duplicateDeliveries each one also reaches dlt-sub twice.
            const deadLetterIds = new Set<string>();
            bus.subscribe("dlt-sub", (message) => {
              deadLetterCounts.add(message.attributes[DEAD_LETTER_ATTRIBUTES.deliveryCount]);
              if (deadLetterIds.has(message.id)) return;
              deadLetterIds.add(message.id);
              const index = Number(message.data.toString());
              deadLettered[index] = (deadLettered[index] ?? 0) + 1;
            });
            for (const [index, message] of messages.entries()) {
              await bus.publish("t", Buffer.from(String(index)), { orderingKey: message.orderingKey });
            }
            await waitFor(
              () =>
                acked.every((count, index) => count + (deadLettered[index] ?? 0) === copies) &&
                isIdle(bus, "s") &&
                isIdle(bus, "dlt-sub"),
              {
                timeoutMs: 3000,
                description: () => `every message settled: acked ${acked}, dead-lettered ${deadLettered}`,
              },
            );

            messages.forEach((message, index) => {
              const succeedsInTime = Array.from({ length: MAX_ATTEMPTS }, (_, attempt) => attempt).some(
                (attempt) => message.outcomes[attempt] !== false,
              );
              expect([acked[index], deadLettered[index]]).toEqual(succeedsInTime ? [copies, 0] : [0, copies]);
            });
            if (deadLettered.some((count) => count > 0)) {
              expect([...deadLetterCounts]).toEqual([String(MAX_ATTEMPTS)]);
            }
            if (ordered && !shuffle) {
              for (const key of ["a", "b", "c"]) {
                const sequence = firstDeliveries.filter((index) => messages[index]?.orderingKey === key);
                expect(sequence).toEqual([...sequence].sort((x, y) => x - y));
              }
            }
          } finally {
            await bus.close();
          }
        }),
        { numRuns: 40 },
      );
    });
  });
});
