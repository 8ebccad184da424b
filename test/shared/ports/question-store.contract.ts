import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CorruptStoreRecord,
  EventUuidConflict,
  InvalidEvent,
  InvalidStoreQuery,
  QuestionNotFound,
} from "../../../shared/errors/index.js";
import {
  type ChildEvent,
  type ChildEventEnvelope,
  createQuestionAttributes,
  deriveResponseAttributes,
  eventSequence,
} from "../../../shared/events/index.js";
import type { NewQuestion, QuestionRecord, QuestionStore } from "../../../shared/ports/index.js";
import { canTransition, isTerminal, QUESTION_STATUSES, type QuestionStatus } from "../../../shared/questions/index.js";

/** How a test reaches past an adapter into what it stored, to check that reading back refuses a damaged record. */
export interface StoredQuestionTamper {
  /** Replaces the stored `resources` of a question with `resources`, as raw data in the adapter's own format. */
  rewriteResources(store: QuestionStore, questionUuid: string, resources: unknown): Promise<void>;
}

/**
 * The behaviour every {@link QuestionStore} adapter must have, written against the port alone so the SQLite and
 * Firestore adapters run the same suite. `makeStore` must return an empty store each time.
 */
export function describeQuestionStoreContract(
  name: string,
  makeStore: () => QuestionStore | Promise<QuestionStore>,
  tamper: StoredQuestionTamper,
) {
  describe(`QuestionStore contract: ${name}`, () => {
    let store: QuestionStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    describe("reading a record back", () => {
      // The adapters once checked different shapes (one let a numeric memory through): every adapter refuses each.
      it.each([
        ["a CPU count that is text", { cpus: "2" }],
        ["memory that is a number", { cpus: 2, memory: 512 }],
        ["disk that is a list", { cpus: 2, ephemeralStorage: ["1Gi"] }],
        ["a list", [2]],
      ])("refuses stored resources with %s, as a corrupt record naming the question", async (_, resources) => {
        const question = newQuestion();
        await store.create(question);
        await tamper.rewriteResources(store, question.questionUuid, resources);
        await expect(store.get(question.questionUuid)).rejects.toMatchObject({
          constructor: CorruptStoreRecord,
          recordType: "question",
          key: question.questionUuid,
        });
      });

      it("reads back stored resources with memory and disk as given", async () => {
        const question = newQuestion();
        await store.create(question);
        const resources = { cpus: 2, memory: "2Gi", ephemeralStorage: "1Gi" };
        await tamper.rewriteResources(store, question.questionUuid, resources);
        expect((await store.get(question.questionUuid))?.resources).toEqual(resources);
      });
    });

    describe("create", () => {
      it("creates a received question whose fields read back as given", async () => {
        const question = newQuestion();
        const { created, question: record } = await store.create(question);
        expect(created).toBe(true);
        expect(record).toMatchObject(question);
        expect(record.status).toBe("received");
        expect(record.createdAt).toMatch(ISO_UTC);
        expect(record.updatedAt).toBe(record.createdAt);
        expect(record.statusTimes).toEqual({ received: record.createdAt });
        expect(record.answer).toBeUndefined();
        expect(record.error).toBeUndefined();
        expect(await store.get(question.questionUuid)).toEqual(record);
      });

      it("is idempotent by question UUID: a repeat returns the first record and adds no row", async () => {
        const question = newQuestion();
        const first = await store.create(question);
        await nextMillisecond();
        const again = await store.create({ ...question, priority: 99, recipient: "octue/other-service:2.0.0" });
        expect(again.created).toBe(false);
        expect(again.question).toEqual(first.question);
        expect(await store.list({})).toHaveLength(1);
      });

      it("does not reset a question's progress when its creation is redelivered", async () => {
        const question = newQuestion();
        await store.create(question);
        await store.transition(question.questionUuid, "validated");
        const again = await store.create(question);
        expect(again.created).toBe(false);
        expect(again.question.status).toBe("validated");
      });

      it("returns undefined for an unknown question", async () => {
        expect(await store.get(randomQuestionUuid())).toBeUndefined();
      });

      it("preserves falsy and empty JSON values exactly", async () => {
        const question = newQuestion({
          question: {
            kind: "question",
            input_values: { zero: 0, no: false, empty: "", object: {}, array: [], nothing: null, nested: [0, [], {}] },
          },
          priority: 0,
          timeoutSeconds: 0,
          pushEndpoint: "",
        });
        await store.create(question);
        const record = await store.get(question.questionUuid);
        expect(record?.question).toEqual(question.question);
        expect(record?.question.input_values).toStrictEqual(question.question.input_values);
        expect(record?.priority).toBe(0);
        expect(record?.timeoutSeconds).toBe(0);
        expect(record?.pushEndpoint).toBe("");
        expect(record?.attributes).toStrictEqual(question.attributes);
      });

      it("keeps absent optional fields absent", async () => {
        const question = newQuestion({ pushEndpoint: undefined, timeoutSeconds: undefined });
        const { question: record } = await store.create(question);
        expect(record.parentQuestionUuid).toBeUndefined();
        expect(record.pushEndpoint).toBeUndefined();
        expect(record.timeoutSeconds).toBeUndefined();
        expect(record.resources).toEqual({ cpus: 1 });
      });

      it("keeps a question's trace ID, the first one when it is asked again, and none for a question without", async () => {
        const traced = newQuestion({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736" });
        const { question: record } = await store.create(traced);
        expect(record.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
        expect(await store.get(traced.questionUuid)).toEqual(record);

        const again = await store.create({ ...traced, traceId: "0af7651916cd43dd8448eb211c80319c" });
        expect(again.created).toBe(false);
        expect(again.question.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
        const moved = await store.transition(traced.questionUuid, "validated");
        expect(moved.question.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
        expect((await store.list({})).map((question) => question.traceId)).toEqual([
          "4bf92f3577b34da6a3ce929d0e0e4736",
        ]);

        const untraced = newQuestion();
        const { question: plain } = await store.create(untraced);
        expect(plain).not.toHaveProperty("traceId");
        expect(await store.get(untraced.questionUuid)).not.toHaveProperty("traceId");
        // A question asked again under a trace does not gain one: the record is the first one.
        expect((await store.create({ ...untraced, traceId: "0af7651916cd43dd8448eb211c80319c" })).question).toEqual(
          plain,
        );
      });
    });

    describe("transition", () => {
      it("follows the happy path, recording when each status was reached", async () => {
        const question = await created(store);
        let previous = question;
        for (const status of ["validated", "dispatched", "queued", "running", "succeeded"] as const) {
          await nextMillisecond();
          const { applied, question: record } = await store.transition(question.questionUuid, status);
          expect(applied).toBe(true);
          expect(record.status).toBe(status);
          expect(record.statusTimes[status]).toBe(record.updatedAt);
          expect(record.updatedAt > previous.updatedAt).toBe(true);
          expect(record.createdAt).toBe(question.createdAt);
          previous = record;
        }
        expect(Object.keys(previous.statusTimes).sort()).toEqual(
          ["dispatched", "queued", "received", "running", "succeeded", "validated"].sort(),
        );
      });

      it("applies exactly the moves the state machine allows, from every status to every status", async () => {
        for (const from of QUESTION_STATUSES) {
          for (const to of QUESTION_STATUSES) {
            const question = await created(store);
            const before = await driveTo(store, question.questionUuid, from);
            const { applied, question: after } = await store.transition(question.questionUuid, to);
            expect({ from, to, applied }).toEqual({ from, to, applied: canTransition(from, to) });
            if (applied) {
              expect(after.status).toBe(to);
              expect(after.statusTimes[to]).toBeDefined();
            } else {
              expect(after).toEqual(before);
            }
            expect(await store.get(question.questionUuid)).toEqual(after);
          }
        }
      });

      it("refuses a repeated status, so a redelivered update is harmless", async () => {
        const question = await created(store);
        const first = await store.transition(question.questionUuid, "validated");
        const again = await store.transition(question.questionUuid, "validated");
        expect(first.applied).toBe(true);
        expect(again).toEqual({ applied: false, question: first.question });
      });

      it("refuses moves backwards, so a late update cannot undo progress", async () => {
        const question = await created(store);
        const running = await driveTo(store, question.questionUuid, "running");
        const late = await store.transition(question.questionUuid, "queued");
        expect(late).toEqual({ applied: false, question: running });
      });

      it("records the answer with a success", async () => {
        const question = await created(store);
        await driveTo(store, question.questionUuid, "running");
        const answer = { output_values: { zero: 0, no: false, empty: "", list: [] }, output_manifest: undefined };
        const { applied, question: record } = await store.transition(question.questionUuid, "succeeded", { answer });
        expect(applied).toBe(true);
        expect(record.answer).toEqual(answer);
        expect(record.error).toBeUndefined();
        expect((await store.get(question.questionUuid))?.answer?.output_values).toStrictEqual(answer.output_values);
      });

      it("records a falsy answer", async () => {
        const question = await created(store);
        await driveTo(store, question.questionUuid, "running");
        const { question: record } = await store.transition(question.questionUuid, "succeeded", {
          answer: { output_values: 0 },
        });
        expect(record.answer).toStrictEqual({ output_values: 0 });
      });

      it("records the error with a failure", async () => {
        const question = await created(store);
        await driveTo(store, question.questionUuid, "dispatched");
        const error = { type: "ValueError", message: "height must be positive", traceback: ["  File app.py", ""] };
        const { applied, question: record } = await store.transition(question.questionUuid, "failed", { error });
        expect(applied).toBe(true);
        expect(record.status).toBe("failed");
        expect(record.error).toEqual(error);
        expect(record.answer).toBeUndefined();
      });

      it("ignores an outcome given with a status that does not end the question", async () => {
        const question = await created(store);
        const { applied, question: record } = await store.transition(question.questionUuid, "validated", {
          error: { type: "Oops", message: "too early" },
        });
        expect(applied).toBe(true);
        expect(record.error).toBeUndefined();
      });

      it("never overwrites a terminal state or its outcome", async () => {
        const question = await created(store);
        await driveTo(store, question.questionUuid, "running");
        const answer = { output_values: [1, 2, 3] };
        const done = await store.transition(question.questionUuid, "succeeded", { answer });
        for (const status of QUESTION_STATUSES) {
          const late = await store.transition(question.questionUuid, status, {
            error: { type: "Late", message: "arrived after the answer" },
            answer: { output_values: "replaced" },
          });
          expect(late).toEqual({ applied: false, question: done.question });
        }
        expect((await store.get(question.questionUuid))?.answer).toEqual(answer);
      });

      it("throws QuestionNotFound, with the UUID, for an unknown question", async () => {
        const questionUuid = randomQuestionUuid();
        const error = await rejection(store.transition(questionUuid, "validated"));
        expect(error).toBeInstanceOf(QuestionNotFound);
        expect((error as QuestionNotFound).questionUuid).toBe(questionUuid);
      });

      it("leaves any sequence of (duplicated, reordered) updates in a state the machine can reach", async () => {
        const update = fc.record({
          to: fc.constantFrom(...QUESTION_STATUSES),
          withError: fc.boolean(),
          times: fc.integer({ min: 1, max: 2 }),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(update, { maxLength: 12 }), async (updates) => {
            const question = await created(store);
            let expected: QuestionStatus = "received";
            const reached = new Set<QuestionStatus>(["received"]);
            let terminal: QuestionRecord | undefined;
            for (const { to, withError, times } of updates) {
              for (let attempt = 0; attempt < times; attempt++) {
                const allowed = canTransition(expected, to);
                const outcome = withError ? { error: { type: "E", message: `${to} ${attempt}` } } : undefined;
                const { applied, question: record } = await store.transition(question.questionUuid, to, outcome);
                expect(applied).toBe(allowed);
                if (allowed) {
                  expected = to;
                  reached.add(to);
                }
                expect(record.status).toBe(expected);
                if (terminal !== undefined) expect(record).toEqual(terminal);
                if (isTerminal(record.status)) terminal ??= record;
                expect(Object.keys(record.statusTimes).every((status) => reached.has(status as QuestionStatus))).toBe(
                  true,
                );
              }
            }
            expect((await store.get(question.questionUuid))?.status).toBe(expected);
          }),
          { numRuns: 60 },
        );
      });
    });

    describe("appendEvent", () => {
      it("places a question's events 1, 2, 3… as their sender numbered them", async () => {
        const question = await created(store);
        const envelopes = [ack(question), log(question, "one"), result(question, 1)];
        const results = [];
        for (const envelope of envelopes) results.push(await store.appendEvent(envelope));
        expect(results).toEqual([
          { appended: true, sequence: 1 },
          { appended: true, sequence: 2 },
          { appended: true, sequence: 3 },
        ]);
        const stored = await store.events({ questionUuid: question.questionUuid });
        expect(stored.map((event) => event.sequence)).toEqual([1, 2, 3]);
        expect(stored.map((event) => event.envelope)).toEqual(envelopes);
        for (const event of stored) {
          expect(event.questionUuid).toBe(question.questionUuid);
          expect(event.recordedAt).toMatch(ISO_UTC);
        }
      });

      it("numbers each question separately", async () => {
        const first = await created(store);
        const second = await created(store);
        expect(await store.appendEvent(ack(first))).toEqual({ appended: true, sequence: 1 });
        expect(await store.appendEvent(ack(second))).toEqual({ appended: true, sequence: 1 });
        expect(await store.appendEvent(log(first, "x"))).toEqual({ appended: true, sequence: 2 });
      });

      it("records a redelivered event once and returns its first sequence number", async () => {
        const question = await created(store);
        const [acknowledgement, envelope, answer] = [ack(question), log(question, "hello"), result(question, 0)];
        await store.appendEvent(acknowledgement);
        expect(await store.appendEvent(envelope)).toEqual({ appended: true, sequence: 2 });
        expect(await store.appendEvent(envelope)).toEqual({ appended: false, sequence: 2 });
        // A redelivery with a different body is still the same event: the first copy wins.
        const altered = { ...envelope, event: { kind: "heartbeat" } as ChildEvent };
        expect(await store.appendEvent(altered)).toEqual({ appended: false, sequence: 2 });
        expect(await store.appendEvent(acknowledgement)).toEqual({ appended: false, sequence: 1 });
        expect(await store.appendEvent(answer)).toEqual({ appended: true, sequence: 3 });
        const stored = await store.events({ questionUuid: question.questionUuid });
        expect(stored.map((event) => event.envelope)).toEqual([acknowledgement, envelope, answer]);
      });

      it("gives each distinct event one row, in its sender's order, whatever the delivery order and duplicates", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 20 }),
            async (deliveries) => {
              const question = await created(store);
              const envelopes = [0, 1, 2, 3, 4, 5].map((index) => log(question, `message ${index}`));
              const delivered = new Set<number>();
              for (const index of deliveries) {
                const envelope = envelopes[index] as ChildEventEnvelope;
                const outcome = await store.appendEvent(envelope);
                expect(outcome).toEqual({ appended: !delivered.has(index), sequence: index + 1 });
                delivered.add(index);
              }
              const stored = await store.events({ questionUuid: question.questionUuid });
              const expected = [...delivered].sort((a, b) => a - b);
              expect(stored.map((event) => event.sequence)).toEqual(expected.map((index) => index + 1));
              expect(stored.map((event) => event.envelope)).toEqual(expected.map((index) => envelopes[index]));
            },
          ),
          { numRuns: 40 },
        );
      });

      it("places events their sender did not number after the numbered ones, by the time they were sent", async () => {
        const question = await created(store);
        const numbered = log(question, "numbered");
        const early = unnumbered(log(question, "sent first"), "2026-01-01T10:00:00.000001+00:00");
        const late = unnumbered(log(question, "sent second"), "2026-01-01T10:00:00.000002+00:00");
        expect(await store.appendEvent(late)).toEqual({ appended: true, sequence: eventSequence(late.attributes) });
        expect(await store.appendEvent(early)).toEqual({ appended: true, sequence: eventSequence(early.attributes) });
        await store.appendEvent(numbered);
        const stored = await store.events({ questionUuid: question.questionUuid });
        expect(stored.map((event) => event.envelope)).toEqual([numbered, early, late]);
        expect(eventSequence(early.attributes)).toBe(Date.parse("2026-01-01T10:00:00Z") * 1000 + 1);
      });

      it("keeps events that share a place in the order they arrived", async () => {
        const question = await created(store);
        const [first, second] = [log(question, "a"), log(question, "b")];
        const twins = [first, second].map((envelope) => ({
          ...envelope,
          attributes: { ...envelope.attributes, order: 7 },
        }));
        await store.appendEvent(twins[1] as ChildEventEnvelope);
        await nextMillisecond();
        await store.appendEvent(twins[0] as ChildEventEnvelope);
        const stored = await store.events({ questionUuid: question.questionUuid });
        expect(stored.map((event) => [event.sequence, event.envelope])).toEqual([
          [8, twins[1]],
          [8, twins[0]],
        ]);
      });

      it("records the question's own parent events (question, cancellation) too", async () => {
        const question = await created(store);
        const envelope = { event: question.question, attributes: question.attributes };
        expect(await store.appendEvent(envelope)).toEqual({
          appended: true,
          sequence: eventSequence(question.attributes),
        });
        const [stored] = await store.events({ questionUuid: question.questionUuid });
        expect(stored?.envelope).toEqual(envelope);
      });

      it("throws QuestionNotFound for an event of an unknown question, recording nothing", async () => {
        const stranger = newQuestion();
        const error = await rejection(store.appendEvent(ack(stranger)));
        expect(error).toBeInstanceOf(QuestionNotFound);
        expect((error as QuestionNotFound).questionUuid).toBe(stranger.questionUuid);
        await store.create(stranger);
        expect(await store.events({ questionUuid: stranger.questionUuid })).toEqual([]);
      });
    });

    describe("recordEvents", () => {
      it("records a batch once per event, against what is stored and within itself", async () => {
        const question = await created(store);
        const [acknowledgement, first, second] = [ack(question), log(question, "1"), log(question, "2")];
        await store.appendEvent(first);
        const recorded = await store.recordEvents(question.questionUuid, [acknowledgement, first, second, second]);
        expect(recorded.events).toEqual([
          { appended: true, sequence: 1 },
          { appended: false, sequence: 2 },
          { appended: true, sequence: 3 },
          { appended: false, sequence: 3 },
        ]);
        expect(recorded.applied).toBe(false);
        expect(recorded.question).toEqual(question);
        const stored = await store.events({ questionUuid: question.questionUuid });
        expect(stored.map((event) => event.envelope)).toEqual([acknowledgement, first, second]);
      });

      it("makes a status change in the same write, as transition would, and leaves the record alone otherwise", async () => {
        const question = await created(store);
        await store.transition(question.questionUuid, "validated");
        await store.transition(question.questionUuid, "dispatched");
        const answer = result(question, 3);
        const finished = await store.recordEvents(question.questionUuid, [ack(question), answer], {
          to: "succeeded",
          outcome: { answer: { output_values: 3 } },
        });
        expect(finished.applied).toBe(true);
        expect(finished.question.status).toBe("succeeded");
        expect(finished.question.answer).toEqual({ output_values: 3 });
        expect(await store.get(question.questionUuid)).toEqual(finished.question);
        // A late event still gets recorded; the change it asks for cannot undo the end.
        const late = await store.recordEvents(question.questionUuid, [heartbeat(question)], { to: "running" });
        expect(late.applied).toBe(false);
        expect(late.events).toEqual([{ appended: true, sequence: 3 }]);
        expect(late.question).toEqual(finished.question);
      });

      it("refuses events of another question, and an unknown question, recording nothing", async () => {
        const question = await created(store);
        const other = await created(store);
        const mixed = await rejection(store.recordEvents(question.questionUuid, [ack(question), ack(other)]));
        expect(mixed).toBeInstanceOf(InvalidEvent);
        expect((mixed as InvalidEvent).pointer).toBe("/attributes/question_uuid");
        const stranger = newQuestion();
        const unknown = await rejection(store.recordEvents(stranger.questionUuid, [ack(stranger)], { to: "running" }));
        expect(unknown).toBeInstanceOf(QuestionNotFound);
        expect(await store.events({ questionUuid: question.questionUuid })).toEqual([]);
      });

      it("refuses an event UUID another question's event has", async () => {
        const question = await created(store);
        const other = await created(store);
        const original = ack(question);
        await store.appendEvent(original);
        const reused = { ...ack(other), attributes: { ...ack(other).attributes, uuid: original.attributes.uuid } };
        const error = await rejection(store.recordEvents(other.questionUuid, [reused]));
        expect(error).toBeInstanceOf(EventUuidConflict);
        expect(await store.events({ questionUuid: other.questionUuid })).toEqual([]);
      });
    });

    describe("events", () => {
      it("filters one question's events by kind, excluded kind, sequence and limit", async () => {
        const question = await created(store);
        const envelopes = [
          ack(question),
          log(question, "a"),
          heartbeat(question),
          log(question, "b"),
          result(question, 2),
        ];
        for (const envelope of envelopes) await store.appendEvent(envelope);
        const select = async (query: object) =>
          (await store.events({ questionUuid: question.questionUuid, ...query })).map((event) => event.sequence);
        expect(await select({})).toEqual([1, 2, 3, 4, 5]);
        expect(await select({ kinds: ["log_record"] })).toEqual([2, 4]);
        expect(await select({ kinds: ["log_record", "result"] })).toEqual([2, 4, 5]);
        expect(await select({ excludeKinds: ["log_record", "heartbeat"] })).toEqual([1, 5]);
        expect(await select({ kinds: ["log_record", "result"], excludeKinds: ["result"] })).toEqual([2, 4]);
        expect(await select({ afterSequence: 2 })).toEqual([3, 4, 5]);
        expect(await select({ afterSequence: 0 })).toEqual([1, 2, 3, 4, 5]);
        expect(await select({ afterSequence: 5 })).toEqual([]);
        expect(await select({ limit: 2 })).toEqual([1, 2]);
        expect(await select({ afterSequence: 1, kinds: ["log_record"], limit: 1 })).toEqual([2]);
        expect(await select({ kinds: [] })).toEqual([]);
        expect(await select({ excludeKinds: [] })).toEqual([1, 2, 3, 4, 5]);
        expect(await select({ kinds: ["monitor_message"] })).toEqual([]);
      });

      it("returns nothing for a question with no events", async () => {
        expect(await store.events({ questionUuid: randomQuestionUuid() })).toEqual([]);
      });

      it("gathers the events of a parent's children, in the order they were recorded", async () => {
        const parent = await created(store);
        const first = await created(store, { parent });
        const second = await created(store, { parent });
        const unrelated = await created(store);
        const order = [ack(first), ack(second), log(second, "s"), log(first, "f"), result(second, 1), result(first, 2)];
        await store.appendEvent(log(parent, "the parent's own"));
        await store.appendEvent(ack(unrelated));
        for (const envelope of order) {
          await nextMillisecond();
          await store.appendEvent(envelope);
        }
        const stored = await store.events({ parentQuestionUuid: parent.questionUuid });
        expect(stored.map((event) => event.envelope)).toEqual(order);
        expect(stored.map((event) => [event.questionUuid, event.sequence])).toEqual([
          [first.questionUuid, 1],
          [second.questionUuid, 1],
          [second.questionUuid, 2],
          [first.questionUuid, 2],
          [second.questionUuid, 3],
          [first.questionUuid, 3],
        ]);
        const recorded = stored.map((event) => event.recordedAt);
        expect([...recorded].sort()).toEqual(recorded);

        const results = await store.events({ parentQuestionUuid: parent.questionUuid, kinds: ["result"], limit: 1 });
        expect(results.map((event) => event.envelope)).toEqual([order[4]]);
        const quiet = await store.events({ parentQuestionUuid: parent.questionUuid, excludeKinds: ["log_record"] });
        expect(quiet).toHaveLength(4);
      });

      it("gathers every event of a question tree by its originator", async () => {
        const root = await created(store);
        const child = await created(store, { parent: root });
        const grandchild = await created(store, { parent: child });
        const elsewhere = await created(store);
        const order = [log(root, "r"), ack(child), ack(grandchild), result(grandchild, 1), result(child, 2)];
        await store.appendEvent(ack(elsewhere));
        for (const envelope of order) {
          await nextMillisecond();
          await store.appendEvent(envelope);
        }
        const stored = await store.events({ originatorQuestionUuid: root.questionUuid });
        expect(stored.map((event) => event.envelope)).toEqual(order);
        const withoutRoot = await store.events({
          originatorQuestionUuid: root.questionUuid,
          kinds: ["delivery_acknowledgement", "result"],
          excludeKinds: ["delivery_acknowledgement"],
        });
        expect(withoutRoot.map((event) => event.questionUuid)).toEqual([grandchild.questionUuid, child.questionUuid]);
      });

      it("requires exactly one of the three selectors", async () => {
        const uuid = randomQuestionUuid();
        for (const query of [
          {},
          { kinds: ["result"] },
          { questionUuid: uuid, parentQuestionUuid: uuid },
          { questionUuid: uuid, originatorQuestionUuid: uuid },
          { parentQuestionUuid: uuid, originatorQuestionUuid: uuid },
          { questionUuid: uuid, parentQuestionUuid: uuid, originatorQuestionUuid: uuid },
        ]) {
          const error = await rejection(store.events(query));
          expect(error).toBeInstanceOf(InvalidStoreQuery);
          expect((error as Error).message).toMatch(/exactly one/);
        }
      });

      it("accepts afterSequence only with a question UUID, and refuses a bad limit", async () => {
        const uuid = randomQuestionUuid();
        expect(await rejection(store.events({ parentQuestionUuid: uuid, afterSequence: 1 }))).toBeInstanceOf(
          InvalidStoreQuery,
        );
        expect(await rejection(store.events({ originatorQuestionUuid: uuid, afterSequence: 1 }))).toBeInstanceOf(
          InvalidStoreQuery,
        );
        for (const limit of [-1, 1.5, Number.NaN]) {
          const error = await rejection(store.events({ questionUuid: uuid, limit }));
          expect(error).toBeInstanceOf(InvalidStoreQuery);
          expect((error as InvalidStoreQuery).field).toBe("limit");
        }
      });
    });

    describe("list", () => {
      it("lists questions newest first, filtered by parent, originator, recipient and status", async () => {
        const root = await created(store, { recipient: "octue/root:1.0.0" });
        await nextMillisecond();
        const first = await created(store, { parent: root, recipient: "octue/child:1.0.0" });
        await nextMillisecond();
        const second = await created(store, { parent: root, recipient: "octue/other-child:1.0.0" });
        await nextMillisecond();
        const grandchild = await created(store, { parent: first, recipient: "octue/child:1.0.0" });
        await nextMillisecond();
        const unrelated = await created(store, { recipient: "octue/child:1.0.0" });
        await store.transition(second.questionUuid, "rejected");
        await store.transition(grandchild.questionUuid, "validated");

        const uuids = async (query: object) => (await store.list(query)).map((question) => question.questionUuid);
        const [r, f, s, g, u] = [root, first, second, grandchild, unrelated].map((question) => question.questionUuid);
        expect(await uuids({})).toEqual([u, g, s, f, r]);
        expect(await uuids({ parentQuestionUuid: r })).toEqual([s, f]);
        expect(await uuids({ originatorQuestionUuid: r })).toEqual([g, s, f, r]);
        expect(await uuids({ recipient: "octue/child:1.0.0" })).toEqual([u, g, f]);
        expect(await uuids({ status: "received" })).toEqual([u, f, r]);
        expect(await uuids({ status: "rejected" })).toEqual([s]);
        expect(await uuids({ recipient: "octue/child:1.0.0", originatorQuestionUuid: r })).toEqual([g, f]);
        expect(await uuids({ recipient: "octue/child:1.0.0", status: "validated" })).toEqual([g]);
        expect(await uuids({ limit: 2 })).toEqual([u, g]);
        expect(await uuids({ originatorQuestionUuid: r, limit: 3 })).toEqual([g, s, f]);
        expect(await uuids({ recipient: "octue/nobody:1.0.0" })).toEqual([]);
        const listed = await store.list({ status: "rejected" });
        expect(listed).toEqual([await store.get(second.questionUuid)]);
      });

      it("pages with the last question of a page, filters top-level questions and times, and counts by status", async () => {
        const root = await created(store, { recipient: "octue/root:1.0.0" });
        await nextMillisecond();
        const child = await created(store, { parent: root, recipient: "octue/child:1.0.0" });
        await nextMillisecond();
        const between = new Date().toISOString();
        await nextMillisecond();
        const other = await created(store, { recipient: "octue/root:1.0.0" });
        await nextMillisecond();
        const last = await created(store, { recipient: "octue/child:1.0.0" });
        await store.transition(child.questionUuid, "rejected");
        await store.transition(last.questionUuid, "rejected");
        const [r, c, o, l] = [root, child, other, last].map((question) => question.questionUuid);
        const uuids = async (query: object) => (await store.list(query)).map((question) => question.questionUuid);

        expect(await uuids({ limit: 2 })).toEqual([l, o]);
        expect(await uuids({ limit: 2, afterQuestionUuid: o })).toEqual([c, r]);
        expect(await uuids({ limit: 2, afterQuestionUuid: r })).toEqual([]);
        expect(await uuids({ recipient: "octue/root:1.0.0", afterQuestionUuid: o })).toEqual([r]);
        expect(await uuids({ topLevel: true })).toEqual([l, o, r]);
        expect(await uuids({ topLevel: true, afterQuestionUuid: o, limit: 1 })).toEqual([r]);
        expect(await uuids({ topLevel: false })).toEqual([l, o, c, r]);
        expect(await uuids({ createdFrom: between })).toEqual([l, o]);
        expect(await uuids({ createdBefore: between })).toEqual([c, r]);
        expect(await uuids({ createdFrom: "2000-01-01", createdBefore: between, topLevel: true })).toEqual([r]);

        expect(await store.countByStatus({})).toEqual({ received: 2, rejected: 2 });
        expect(await store.countByStatus({ topLevel: true })).toEqual({ received: 2, rejected: 1 });
        expect(await store.countByStatus({ parentQuestionUuid: r })).toEqual({ rejected: 1 });
        expect(await store.countByStatus({ status: "rejected", createdFrom: between })).toEqual({ rejected: 1 });
        expect(await store.countByStatus({ recipient: "octue/nobody:1.0.0" })).toEqual({});

        for (const [query, field] of [
          [{ afterQuestionUuid: randomQuestionUuid() }, "afterQuestionUuid"],
          [{ topLevel: true, parentQuestionUuid: r }, "topLevel"],
          [{ createdFrom: "yesterday" }, "createdFrom"],
          [{ createdBefore: "2026-13-45T00:00:00Z" }, "createdBefore"],
        ] as const) {
          const error = await rejection(store.list(query));
          expect(error).toBeInstanceOf(InvalidStoreQuery);
          expect((error as InvalidStoreQuery).field).toBe(field);
        }
        const error = await rejection(store.countByStatus({ createdFrom: "soon" }));
        expect((error as InvalidStoreQuery).field).toBe("createdFrom");
      });
    });
  });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

const ASKER = "octue/asker:1.0.0";
const SERVICE = "octue/service:1.0.0";

/** The route to each status along allowed moves, to set up a question in that status. */
const ROUTES: Readonly<Record<QuestionStatus, readonly QuestionStatus[]>> = {
  received: [],
  validated: ["validated"],
  dispatched: ["validated", "dispatched"],
  queued: ["validated", "dispatched", "queued"],
  running: ["validated", "dispatched", "queued", "running"],
  succeeded: ["validated", "dispatched", "running", "succeeded"],
  failed: ["validated", "failed"],
  cancelled: ["cancelled"],
  timed_out: ["validated", "dispatched", "timed_out"],
  rejected: ["rejected"],
};

async function driveTo(store: QuestionStore, questionUuid: string, status: QuestionStatus): Promise<QuestionRecord> {
  let record = await store.get(questionUuid);
  for (const step of ROUTES[status]) {
    const { applied, question } = await store.transition(questionUuid, step);
    expect(applied).toBe(true);
    record = question;
  }
  if (record === undefined) throw new Error(`question ${questionUuid} was not created`);
  return record;
}

interface QuestionOptions extends Partial<NewQuestion> {
  /** Makes the question a child of this one, in its tree. */
  readonly parent?: NewQuestion;
}

function newQuestion(options: QuestionOptions = {}): NewQuestion {
  const { parent, ...overrides } = options;
  const recipient = overrides.recipient ?? SERVICE;
  const attributes = createQuestionAttributes({
    sender: parent?.recipient ?? ASKER,
    recipient,
    ...(parent === undefined
      ? {}
      : { parentQuestionUuid: parent.questionUuid, originatorQuestionUuid: parent.originatorQuestionUuid }),
  });
  return {
    questionUuid: attributes.question_uuid,
    recipient,
    sender: attributes.sender,
    parentQuestionUuid: attributes.parent_question_uuid,
    originatorQuestionUuid: attributes.originator_question_uuid,
    question: { kind: "question", input_values: { height: 3 } },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: 600,
    priority: 1,
    resources: { cpus: 1 },
    ...overrides,
  };
}

async function created(store: QuestionStore, options: QuestionOptions = {}): Promise<QuestionRecord> {
  const { created: isNew, question } = await store.create(newQuestion(options));
  expect(isNew).toBe(true);
  return question;
}

function randomQuestionUuid(): string {
  return newQuestion().questionUuid;
}

const nextOrder = new Map<string, number>();

/** A response as Twined's runner sends it: numbered 0, 1, 2… per question in the order the test makes them. */
function respond(question: NewQuestion, event: ChildEvent): ChildEventEnvelope {
  const order = nextOrder.get(question.questionUuid) ?? 0;
  nextOrder.set(question.questionUuid, order + 1);
  return { event, attributes: { ...deriveResponseAttributes(question.attributes), order } };
}

/** The same event as an Octue service sends it: no `order`, placed by its `datetime`. */
function unnumbered(envelope: ChildEventEnvelope, datetime: string): ChildEventEnvelope {
  const { order: _order, ...attributes } = envelope.attributes;
  return { ...envelope, attributes: { ...attributes, datetime } };
}

function ack(question: NewQuestion): ChildEventEnvelope {
  return respond(question, { kind: "delivery_acknowledgement" });
}

function heartbeat(question: NewQuestion): ChildEventEnvelope {
  return respond(question, { kind: "heartbeat" });
}

function log(question: NewQuestion, msg: string): ChildEventEnvelope {
  return respond(question, { kind: "log_record", log_record: { msg, levelname: "INFO", args: null } });
}

function result(question: NewQuestion, output: unknown): ChildEventEnvelope {
  return respond(question, { kind: "result", output_values: output });
}

/** Waits until the clock moves on, so times recorded before and after differ even at millisecond resolution. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
