import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeadLetterNotFound, InvalidStoreQuery, StoreClosed } from "../../../shared/errors/index.js";
import { DEFAULT_DEAD_LETTER_LIMIT, type DeadLetterStore, type NewDeadLetter } from "../../../shared/ports/index.js";
import { rejectionOf } from "../../support/error-of.js";

/**
 * The behaviour every {@link DeadLetterStore} adapter must have, written against the port alone so the SQLite and
 * Firestore adapters run the same suite. `makeStore` must return an empty store using the given clock.
 */
export function describeDeadLetterStoreContract(
  name: string,
  makeStore: (now: () => Date) => DeadLetterStore | Promise<DeadLetterStore>,
) {
  describe(`DeadLetterStore contract: ${name}`, () => {
    let store: DeadLetterStore;
    let clock: Date;

    beforeEach(async () => {
      clock = new Date("2025-03-04T05:06:07.000Z");
      store = await makeStore(() => clock);
    });

    afterEach(async () => {
      await store.close();
    });

    /** Moves the store's clock on by `seconds`. */
    const tick = (seconds = 1) => {
      clock = new Date(clock.getTime() + seconds * 1000);
    };

    it("records a dead letter that reads back as given, first seen now and not replayed", async () => {
      const letter = newDeadLetter("1001");
      const { created, letter: recorded } = await store.record(letter);
      expect(created).toBe(true);
      expect(recorded).toEqual({ ...letter, firstSeenAt: "2025-03-04T05:06:07.000Z", replayedAt: undefined });
      expect(await store.get("1001")).toEqual(recorded);
    });

    it("records each ID once: a redelivered dead letter changes nothing", async () => {
      const first = await store.record(newDeadLetter("1001"));
      tick();
      const again = await store.record({ ...newDeadLetter("1001"), reason: "something else", attempts: 7 });
      expect(again).toEqual({ created: false, letter: first.letter });
      expect(await store.list()).toEqual([first.letter]);
    });

    it("records a dead letter once however many recordings race", async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => store.record(newDeadLetter("1001"))));
      expect(results.filter((result) => result.created)).toHaveLength(1);
      for (const result of results) expect(result.letter).toEqual(results[0]?.letter);
      expect(await store.list()).toHaveLength(1);
    });

    it("keeps binary, empty and large data byte for byte, and attributes of any name", async () => {
      const binary = Buffer.from([0, 255, 254, 0xc3, 0x28, 10, 0]);
      const large = randomBytes(3_000_000);
      const attributes = { "a.b": "dotted", "with space": "", "ünï/cødé": "x".repeat(1024), "`quote`": '"' };
      await store.record({ ...newDeadLetter("1"), data: binary, attributes });
      await store.record({ ...newDeadLetter("2"), data: Buffer.alloc(0), attributes: {} });
      await store.record({ ...newDeadLetter("3"), data: large, topic: undefined, questionUuid: undefined });
      const [first, empty, big] = await Promise.all(["1", "2", "3"].map((id) => store.get(id)));
      expect(first?.data.equals(binary)).toBe(true);
      expect(first?.attributes).toEqual(attributes);
      expect(empty?.data.byteLength).toBe(0);
      expect(empty?.attributes).toEqual({});
      expect(big?.data.equals(large)).toBe(true);
      expect(big).toMatchObject({ topic: undefined, questionUuid: undefined });
      expect((await store.list()).find((letter) => letter.id === "3")?.data.equals(large)).toBe(true);
    });

    it("finds nothing for an unknown ID, or one that could never be a message ID", async () => {
      await store.record(newDeadLetter("1001"));
      expect(await store.get("1002")).toBeUndefined();
      expect(await store.get("a/b")).toBeUndefined();
      expect(await store.get("")).toBeUndefined();
    });

    it("lists newest first seen first, ties by ID highest first, up to the limit", async () => {
      await store.record(newDeadLetter("7"));
      tick();
      await store.record(newDeadLetter("5"));
      await store.record(newDeadLetter("6"));
      tick();
      await store.record(newDeadLetter("4"));
      expect((await store.list()).map((letter) => letter.id)).toEqual(["4", "6", "5", "7"]);
      expect((await store.list({ limit: 2 })).map((letter) => letter.id)).toEqual(["4", "6"]);
      expect(await store.list({ limit: 0 })).toEqual([]);
    });

    it(`lists at most ${DEFAULT_DEAD_LETTER_LIMIT} without a limit, and refuses a limit that is not a count`, async () => {
      await Promise.all(
        Array.from({ length: DEFAULT_DEAD_LETTER_LIMIT + 1 }, (_, index) => store.record(newDeadLetter(`${index}`))),
      );
      expect(await store.list()).toHaveLength(DEFAULT_DEAD_LETTER_LIMIT);
      for (const limit of [-1, 1.5, Number.NaN]) {
        const error = await rejectionOf(store.list({ limit }));
        expect(error).toBeInstanceOf(InvalidStoreQuery);
        expect(error).toMatchObject({ field: "limit" });
      }
    });

    it("lists only pending ones, and only those first seen by a time, when asked", async () => {
      await store.record(newDeadLetter("1"));
      tick();
      await store.record(newDeadLetter("2"));
      const secondSeen = clock.toISOString();
      tick();
      await store.record(newDeadLetter("3"));
      expect(await store.markReplayed("2", clock.toISOString())).toBe(true);
      const ids = async (query: Parameters<DeadLetterStore["list"]>[0]) =>
        (await store.list(query)).map((letter) => letter.id);
      expect(await ids({ pendingOnly: true })).toEqual(["3", "1"]);
      expect(await ids({ seenNoLaterThan: secondSeen })).toEqual(["2", "1"]);
      expect(await ids({ pendingOnly: true, seenNoLaterThan: secondSeen, limit: 5 })).toEqual(["1"]);
      expect(await ids({ pendingOnly: true, limit: 1 })).toEqual(["3"]);
    });

    it("marks a dead letter replayed once: compare-and-set", async () => {
      await store.record(newDeadLetter("1001"));
      tick();
      const at = clock.toISOString();
      expect(await store.markReplayed("1001", at)).toBe(true);
      expect(await store.markReplayed("1001", new Date(clock.getTime() + 5000).toISOString())).toBe(false);
      expect((await store.get("1001"))?.replayedAt).toBe(at);
      expect(await rejectionOf(store.markReplayed("999", at))).toBeInstanceOf(DeadLetterNotFound);
      expect(await rejectionOf(store.markReplayed("999", at))).toMatchObject({ deadLetterId: "999" });
    });

    it("lets exactly one of several racing replays mark it", async () => {
      await store.record(newDeadLetter("1001"));
      const marks = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          store.markReplayed("1001", new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toISOString()),
        ),
      );
      expect(marks.filter(Boolean)).toHaveLength(1);
    });

    it("takes back only its own mark, leaving the dead letter pending again", async () => {
      await store.record(newDeadLetter("1001"));
      const at = "2025-03-04T06:00:00.000Z";
      await store.markReplayed("1001", at);
      await store.clearReplayed("1001", "2025-03-04T06:00:01.000Z");
      expect((await store.get("1001"))?.replayedAt).toBe(at);
      await store.clearReplayed("1001", at);
      expect((await store.get("1001"))?.replayedAt).toBeUndefined();
      expect((await store.list({ pendingOnly: true })).map((letter) => letter.id)).toEqual(["1001"]);
      await store.clearReplayed("unknown", at);
      expect(await store.markReplayed("1001", at)).toBe(true);
    });

    it("refuses every call once closed", async () => {
      await store.close();
      expect(await rejectionOf(store.get("1"))).toBeInstanceOf(StoreClosed);
      expect(await rejectionOf(store.record(newDeadLetter("1")))).toBeInstanceOf(StoreClosed);
      expect(await rejectionOf(store.list())).toBeInstanceOf(StoreClosed);
    });
  });
}

function newDeadLetter(id: string): NewDeadLetter {
  return {
    id,
    reason: "InvalidEvent: an internal question message is not JSON",
    topic: "main.twined.questions.accepted",
    attempts: 1,
    questionUuid: "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10",
    data: Buffer.from('{"question_uuid": "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10"', "utf8"),
    attributes: { question_uuid: "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10", note: "a" },
  };
}
