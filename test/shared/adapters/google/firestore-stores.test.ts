import { readFileSync } from "node:fs";
import { Firestore, Timestamp } from "@google-cloud/firestore";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  deadLetterListShape,
  FIRESTORE_QUERY_SHAPES,
  FirestoreQuestionStore,
  FirestoreRevisionStore,
  type FirestoreStores,
  openFirestoreStores,
  planEventQuery,
  planQuestionList,
  type QueryShape,
  revisionListShape,
} from "../../../../shared/adapters/google/firestore/index.js";
import {
  CorruptStoreRecord,
  EventUuidConflict,
  InvalidEvent,
  QuestionNotFound,
  RevisionNotFound,
  StoreClosed,
} from "../../../../shared/errors/index.js";
import {
  type ChildEvent,
  type ChildEventEnvelope,
  createQuestionAttributes,
  deriveResponseAttributes,
  EVENT_KINDS,
} from "../../../../shared/events/index.js";
import type {
  EventQuery,
  NewQuestion,
  NewRevision,
  QuestionQuery,
  QuestionStore,
} from "../../../../shared/ports/index.js";
import { describeWithEmulators, uniqueName } from "../../../support/emulators.js";
import { describeQuestionStoreContract } from "../../ports/question-store.contract.js";
import { describeRevisionStoreContract } from "../../ports/revision-store.contract.js";

// The emulator answers each call in milliseconds but the contract suites make thousands; contended transactions take
// seconds there.
vi.setConfig({ testTimeout: 60_000 });

describe("the Firestore index file (infra/firestore.indexes.json)", () => {
  const file = readIndexFile();

  it("has an index for every shape of query the stores issue", () => {
    const uncovered = FIRESTORE_QUERY_SHAPES.filter((shape) => !isServed(shape, file));
    expect(uncovered).toEqual([]);
  });

  it("lists only indexes some query uses, each once", () => {
    const unused = file.indexes.filter((index) => !FIRESTORE_QUERY_SHAPES.some((shape) => matches(index, shape)));
    expect(unused).toEqual([]);
    const keys = file.indexes.map((index) => JSON.stringify(index));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("exempts no field a query filters or sorts on", () => {
    const exempted = file.fieldOverrides.filter((override) => override.indexes.length === 0);
    for (const shape of FIRESTORE_QUERY_SHAPES) {
      for (const field of queryFields(shape)) {
        expect(
          exempted.filter((o) => o.collectionGroup === shape.collectionGroup && o.fieldPath === field.fieldPath),
        ).toEqual([]);
      }
    }
  });

  it("covers every question list and event query the stores can plan", () => {
    const uuid = "5d6a4d83-7b68-4b4c-8d08-9b3e3f1c7a10";
    const lists: QuestionQuery[] = subsets(["parentQuestionUuid", "originatorQuestionUuid", "recipient", "status"]).map(
      (fields) => Object.fromEntries(fields.map((field) => [field, field === "status" ? "received" : uuid])),
    );
    const manyKinds = [...EVENT_KINDS, ...Array.from({ length: 30 }, (_, index) => `custom-${index}`)];
    const kindVariants: Partial<EventQuery>[] = [
      {},
      { kinds: ["result"] },
      { kinds: ["result", "log_record"], excludeKinds: ["log_record"] },
      { excludeKinds: ["heartbeat"] },
      { kinds: manyKinds },
      { kinds: manyKinds, excludeKinds: ["heartbeat"] },
    ];
    const events: EventQuery[] = (["questionUuid", "parentQuestionUuid", "originatorQuestionUuid"] as const).flatMap(
      (selector) =>
        kindVariants.flatMap((variant) => [
          { [selector]: uuid, ...variant, limit: 5 },
          ...(selector === "questionUuid" ? [{ [selector]: uuid, ...variant, afterSequence: 2 }] : []),
        ]),
    );
    const shapes = [
      ...lists.map((query) => planQuestionList(query)?.shape),
      ...events.map((query) => planEventQuery(query)?.shape),
      ...[false, true].flatMap((namespace) => [false, true].map((name) => revisionListShape({ namespace, name }))),
      ...[false, true].map(deadLetterListShape),
    ];
    for (const shape of shapes) expect(FIRESTORE_QUERY_SHAPES).toContainEqual(shape);
    expect(new Set(shapes.map((shape) => JSON.stringify(shape))).size).toBe(FIRESTORE_QUERY_SHAPES.length);
  });
});

describeWithEmulators("Firestore stores on the emulator", (info) => {
  let firestore: Firestore;

  beforeAll(() => {
    firestore = new Firestore({ projectId: info.projectId });
  });

  afterAll(async () => {
    await firestore.terminate();
  });

  /** A store of its own: every collection ID prefixed, so each test starts empty without clearing the emulator. */
  const isolated = () => ({ firestore, collectionPrefix: `${uniqueName("t")}_` });

  const prefixes = new WeakMap<QuestionStore, string>();
  describeQuestionStoreContract(
    "Firestore (emulator)",
    () => {
      const options = isolated();
      const store = new FirestoreQuestionStore(options);
      prefixes.set(store, options.collectionPrefix);
      return store;
    },
    {
      async rewriteResources(store, questionUuid, resources) {
        const prefix = prefixes.get(store);
        if (prefix === undefined) throw new Error("a store the suite did not make");
        await firestore.doc(`${prefix}questions/${questionUuid}`).update({ resources });
      },
    },
  );
  describeRevisionStoreContract("Firestore (emulator)", () => new FirestoreRevisionStore(isolated()));

  describe("the adapters", () => {
    let prefix: string;
    let stores: FirestoreStores;

    beforeEach(() => {
      const options = isolated();
      prefix = options.collectionPrefix;
      stores = openFirestoreStores(options);
      return () => stores.close();
    });

    /** A document's fields as stored, read past the adapters. */
    const raw = async (path: string): Promise<Record<string, unknown>> => {
      const data: unknown = (await firestore.doc(path).get()).data();
      if (typeof data !== "object" || data === null) throw new Error(`no document at ${path}`);
      return data as Record<string, unknown>;
    };

    describe("documents", () => {
      it("keeps a question in readable top-level fields, with times as timestamps", async () => {
        const parent = newQuestion();
        const question = newQuestion({ parent });
        await stores.questions.create(question);
        await stores.questions.transition(question.questionUuid, "validated");
        await stores.questions.transition(question.questionUuid, "failed", {
          error: { type: "ValueError", message: "no", traceback: ["line 1"] },
        });
        const document = await raw(`${prefix}questions/${question.questionUuid}`);
        expect(Object.keys(document).sort()).toEqual(
          [
            "answer",
            "attributes",
            "createdAt",
            "error",
            "originatorQuestionUuid",
            "parentQuestionUuid",
            "priority",
            "pushEndpoint",
            "question",
            "questionUuid",
            "recipient",
            "resources",
            "sender",
            "status",
            "statusTimes",
            "timeoutSeconds",
            "updatedAt",
          ].sort(),
        );
        expect(document).toMatchObject({
          questionUuid: question.questionUuid,
          recipient: question.recipient,
          sender: question.sender,
          parentQuestionUuid: parent.questionUuid,
          originatorQuestionUuid: parent.questionUuid,
          status: "failed",
          priority: 0,
          resources: { cpus: 1 },
          pushEndpoint: null,
          timeoutSeconds: null,
          attributes: question.attributes,
          answer: null,
          error: { type: "ValueError", message: "no", traceback: ["line 1"] },
        });
        expect(JSON.parse(String(document.question))).toEqual(question.question);
        expect(document.createdAt).toBeInstanceOf(Timestamp);
        expect(document.updatedAt).toBeInstanceOf(Timestamp);
        expect(Object.keys(document.statusTimes as object).sort()).toEqual(["failed", "received", "validated"]);
        for (const time of Object.values(document.statusTimes as object)) expect(time).toBeInstanceOf(Timestamp);
        const record = await stores.questions.get(question.questionUuid);
        expect(record?.updatedAt).toBe((document.updatedAt as Timestamp).toDate().toISOString());
      });

      it("keeps each event under its question, at its place, with the question's tree links and its UUID's claim", async () => {
        const parent = newQuestion();
        const question = newQuestion({ parent });
        await stores.questions.create(question);
        const envelope = respond(question, { kind: "log_record", log_record: { msg: "hi" } });
        await stores.questions.appendEvent(envelope);
        const id = `0000000000000001-${envelope.attributes.uuid}`;
        const event = await raw(`${prefix}questions/${question.questionUuid}/${prefix}events/${id}`);
        expect(Object.keys(event).sort()).toEqual(
          [
            "attributes",
            "event",
            "eventUuid",
            "kind",
            "originatorQuestionUuid",
            "parentQuestionUuid",
            "questionUuid",
            "recordedAt",
            "sequence",
          ].sort(),
        );
        expect(event).toMatchObject({
          questionUuid: question.questionUuid,
          sequence: 1,
          eventUuid: envelope.attributes.uuid,
          kind: "log_record",
          parentQuestionUuid: parent.questionUuid,
          originatorQuestionUuid: parent.questionUuid,
          attributes: envelope.attributes,
        });
        expect(event.recordedAt).toBeInstanceOf(Timestamp);
        expect(JSON.parse(String(event.event))).toEqual(envelope.event);
        expect(await raw(`${prefix}eventIds/${envelope.attributes.uuid}`)).toEqual({
          questionUuid: question.questionUuid,
          sequence: 1,
        });
        // Recording an event leaves the question's own document as it was.
        const untouched = await raw(`${prefix}questions/${question.questionUuid}`);
        expect(untouched.updatedAt).toEqual(untouched.createdAt);
      });

      it("keeps revisions under their service, whose document records the default", async () => {
        await stores.revisions.register(newRevision("1.0.0"), { makeDefault: true });
        await stores.revisions.register(newRevision("2.0.0"));
        const service = `${prefix}namespaces/octue/${prefix}services/example-service`;
        expect(await raw(service)).toEqual({
          namespace: "octue",
          name: "example-service",
          defaultRevisionTag: "1.0.0",
        });
        const revision = await raw(`${service}/${prefix}revisions/2.0.0`);
        expect(revision).toMatchObject({
          namespace: "octue",
          name: "example-service",
          revisionTag: "2.0.0",
          sruid: "octue/example-service:2.0.0",
          source: { kind: "image", image: "example:2.0.0" },
        });
        expect(JSON.parse(String(revision.twine))).toEqual(newRevision("2.0.0").twine);
        expect(revision.registeredAt).toBeInstanceOf(Timestamp);
        expect(Object.keys(revision).sort()).toEqual(
          ["name", "namespace", "registeredAt", "revisionTag", "source", "sruid", "twine"].sort(),
        );
      });

      it("keeps values Firestore maps cannot hold exactly: arrays of arrays and reserved keys", async () => {
        const awkward = { matrix: [[1, 2], [3, [4]], []], __name__: "reserved", "": "empty key", "a.b": { "": [[]] } };
        const question = newQuestion({ question: { kind: "question", input_values: awkward } });
        await stores.questions.create(question);
        await stores.questions.appendEvent(respond(question, { kind: "result", output_values: awkward }));
        await stores.questions.transition(question.questionUuid, "validated");
        await stores.questions.transition(question.questionUuid, "dispatched");
        await stores.questions.transition(question.questionUuid, "succeeded", { answer: { output_values: awkward } });
        const record = await stores.questions.get(question.questionUuid);
        expect(record?.question.input_values).toStrictEqual(awkward);
        expect(record?.answer?.output_values).toStrictEqual(awkward);
        const [event] = await stores.questions.events({ questionUuid: question.questionUuid });
        expect(event?.envelope.event).toStrictEqual({ kind: "result", output_values: awkward });
        const twine = { input_values_schema: { type: "array", items: [{ enum: [[0, 1]] }], __proto: [[]] } };
        await stores.revisions.register({ ...newRevision("1.0.0"), twine });
        expect((await stores.revisions.get("octue", "example-service", "1.0.0"))?.twine).toStrictEqual(twine);
      });
    });

    describe("events", () => {
      it("refuses an event UUID already recorded for another question, recording nothing", async () => {
        const [first, second] = [newQuestion(), newQuestion()];
        await stores.questions.create(first);
        await stores.questions.create(second);
        const envelope = heartbeat(first);
        await stores.questions.appendEvent(envelope);
        const stolen: ChildEventEnvelope = {
          ...envelope,
          attributes: { ...heartbeat(second).attributes, uuid: envelope.attributes.uuid },
        };
        await expect(stores.questions.appendEvent(stolen)).rejects.toMatchObject({
          constructor: EventUuidConflict,
          eventUuid: envelope.attributes.uuid,
          questionUuid: second.questionUuid,
          recordedQuestionUuid: first.questionUuid,
        });
        expect(await stores.questions.events({ questionUuid: second.questionUuid })).toEqual([]);
        expect((await stores.questions.get(second.questionUuid))?.status).toBe("received");
      });

      it("refuses an event without a UUID, or with one that cannot name a document", async () => {
        const question = newQuestion();
        await stores.questions.create(question);
        const envelope = heartbeat(question);
        for (const uuid of ["", "a/b"]) {
          await expect(
            stores.questions.appendEvent({ ...envelope, attributes: { ...envelope.attributes, uuid } }),
          ).rejects.toBeInstanceOf(InvalidEvent);
        }
      });

      it("pages past excluded kinds, and filters more kinds than one query can name", async () => {
        const parent = newQuestion();
        const question = newQuestion({ parent });
        await stores.questions.create(question);
        // More heartbeats than a page holds, then the logs the queries want.
        for (let index = 0; index < 55; index++) await stores.questions.appendEvent(heartbeat(question));
        for (const msg of ["a", "b", "c"]) {
          await stores.questions.appendEvent(respond(question, { kind: "log_record", log_record: { msg } }));
        }
        const sequences = async (query: EventQuery) =>
          (await stores.questions.events(query)).map((event) => event.sequence);
        expect(await sequences({ questionUuid: question.questionUuid, excludeKinds: ["heartbeat"], limit: 2 })).toEqual(
          [56, 57],
        );
        expect(await sequences({ parentQuestionUuid: parent.questionUuid, excludeKinds: ["heartbeat"] })).toEqual([
          56, 57, 58,
        ]);
        const manyKinds = [...Array.from({ length: 30 }, (_, index) => `custom-${index}`), "log_record"];
        expect(await sequences({ questionUuid: question.questionUuid, kinds: manyKinds, afterSequence: 56 })).toEqual([
          57, 58,
        ]);
        expect(await sequences({ originatorQuestionUuid: parent.questionUuid, limit: 3 })).toEqual([1, 2, 3]);
      });

      it("records times from the injected clock: an event's time is when it arrived", async () => {
        const times = ["2030-01-01T00:00:05.000Z", "2030-01-01T00:00:06.000Z", "2030-01-01T00:00:01.000Z"];
        let next = 0;
        const questions = new FirestoreQuestionStore({
          ...isolated(),
          now: () => new Date(times[Math.min(next++, times.length - 1)] ?? 0),
        });
        const question = newQuestion();
        const { question: record } = await questions.create(question);
        expect(record.createdAt).toBe("2030-01-01T00:00:05.000Z");
        await questions.appendEvent(heartbeat(question));
        await questions.appendEvent(heartbeat(question));
        const events = await questions.events({ questionUuid: question.questionUuid });
        expect(events.map((event) => event.recordedAt)).toEqual([
          "2030-01-01T00:00:06.000Z",
          "2030-01-01T00:00:01.000Z",
        ]);
        await questions.close();
      });
    });

    describe("keys and records", () => {
      it("finds nothing under keys that cannot name a document, rather than failing on the path", async () => {
        expect(await stores.questions.get("a/b")).toBeUndefined();
        await expect(stores.questions.transition("a/b", "validated")).rejects.toBeInstanceOf(QuestionNotFound);
        expect(await stores.questions.events({ questionUuid: "__x__" })).toEqual([]);
        expect(await stores.revisions.get("octue", "a/b", "1.0.0")).toBeUndefined();
        expect(await stores.revisions.getDefault("..", "example-service")).toBeUndefined();
        expect(await stores.revisions.list({ namespace: "a/b" })).toEqual([]);
        await expect(stores.revisions.setDefault("octue", "example-service", "1/0")).rejects.toBeInstanceOf(
          RevisionNotFound,
        );
        await expect(stores.questions.create(newQuestion({ questionUuid: "a/b" }))).rejects.toBeInstanceOf(
          InvalidEvent,
        );
      });

      it("reports a hand-damaged document as a corrupt record naming its key", async () => {
        const question = newQuestion();
        await stores.questions.create(question);
        const path = `${prefix}questions/${question.questionUuid}`;
        const expectCorrupt = async (change: Record<string, unknown>, detail: RegExp) => {
          await firestore.doc(path).update(change);
          const error = await stores.questions.get(question.questionUuid).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(CorruptStoreRecord);
          expect(error).toMatchObject({ recordType: "question", key: question.questionUuid });
          expect((error as Error).message).toMatch(detail);
          await expect(stores.questions.list({})).rejects.toBeInstanceOf(CorruptStoreRecord);
        };
        await expectCorrupt({ status: "lost" }, /not a question status/);
        await expectCorrupt({ status: "received", createdAt: "2030-01-01T00:00:00Z" }, /createdAt is not a timestamp/);
        await expectCorrupt({ createdAt: Timestamp.now(), question: "{" }, /question is not valid JSON/);
        await expectCorrupt(
          { question: JSON.stringify(question.question), "statusTimes.lost": Timestamp.now() },
          /not a question status/,
        );

        await stores.revisions.register(newRevision("1.0.0"));
        await firestore
          .doc(`${prefix}namespaces/octue/${prefix}services/example-service/${prefix}revisions/1.0.0`)
          .update({ source: { kind: "tarball" } });
        await expect(stores.revisions.get("octue", "example-service", "1.0.0")).rejects.toMatchObject({
          constructor: CorruptStoreRecord,
          recordType: "revision",
          key: "octue/example-service:1.0.0",
        });
      });
    });

    describe("isolation and closing", () => {
      it("keeps stores with different prefixes apart, collection-group queries included", async () => {
        const others = openFirestoreStores(isolated());
        try {
          const parent = newQuestion();
          const child = newQuestion({ parent });
          for (const each of [stores, others]) {
            await each.questions.create(child);
            await each.questions.appendEvent(heartbeat(child));
          }
          await stores.questions.appendEvent(heartbeat(child));
          expect(await others.questions.events({ parentQuestionUuid: parent.questionUuid })).toHaveLength(1);
          expect(await stores.questions.events({ originatorQuestionUuid: parent.questionUuid })).toHaveLength(2);
          await stores.revisions.register(newRevision("1.0.0"));
          expect(await others.revisions.list()).toEqual([]);
          expect(await others.revisions.list({ name: "example-service" })).toEqual([]);
        } finally {
          await others.close();
        }
      });

      it("leaves a given client open, and refuses calls on a closed store", async () => {
        const terminate = vi.spyOn(firestore, "terminate");
        const questions = new FirestoreQuestionStore(isolated());
        await questions.close();
        await questions.close();
        await expect(questions.get("anything")).rejects.toBeInstanceOf(StoreClosed);
        const revisions = new FirestoreRevisionStore(isolated());
        await revisions.close();
        await expect(revisions.list()).rejects.toBeInstanceOf(StoreClosed);
        await stores.close();
        expect(terminate).not.toHaveBeenCalled();
        terminate.mockRestore();
        expect((await firestore.collection(`${prefix}questions`).limit(1).get()).empty).toBe(true);
      });

      it("terminates a client it created when closed", async () => {
        const own = openFirestoreStores({ projectId: info.projectId, collectionPrefix: `${uniqueName("t")}_` });
        const question = newQuestion();
        await own.questions.create(question);
        expect((await own.questions.get(question.questionUuid))?.status).toBe("received");
        const terminate = vi.spyOn(own.firestore, "terminate");
        await own.close();
        expect(terminate).toHaveBeenCalledTimes(1);
      });

      it("rejects a collection prefix that could break paths", () => {
        expect(() => new FirestoreQuestionStore({ firestore, collectionPrefix: "a/b" })).toThrow(/collection prefix/);
      });
    });

    describe("concurrent calls (few: contended emulator transactions take seconds)", () => {
      it("creates a question once however many creations race", async () => {
        const question = newQuestion();
        const outcomes = await Promise.all(Array.from({ length: 4 }, () => stores.questions.create(question)));
        expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
        expect(new Set(outcomes.map((outcome) => outcome.question.createdAt)).size).toBe(1);
      });

      it("numbers racing appends contiguously, records a racing duplicate once, and lets one terminal move win", async () => {
        const [numbered, moved] = [newQuestion(), newQuestion()];
        for (const question of [numbered, moved]) await stores.questions.create(question);
        await stores.questions.transition(moved.questionUuid, "validated");
        const [first, second] = [heartbeat(numbered), heartbeat(numbered)];
        // Both races at once, on different questions, so the emulator's lock waits overlap.
        const [appends, moves] = await Promise.all([
          Promise.all([first, second, first].map((envelope) => stores.questions.appendEvent(envelope))),
          Promise.all(
            (["failed", "cancelled"] as const).map((status) =>
              stores.questions.transition(moved.questionUuid, status, { error: { type: "Race", message: status } }),
            ),
          ),
        ]);
        const sequences = appends.filter((outcome) => outcome.appended).map((outcome) => outcome.sequence);
        expect(sequences.sort()).toEqual([1, 2]);
        expect(appends[2]?.sequence).toBe(appends[0]?.sequence);
        expect(await stores.questions.events({ questionUuid: numbered.questionUuid })).toHaveLength(2);
        const applied = moves.filter((outcome) => outcome.applied);
        expect(applied).toHaveLength(1);
        const final = await stores.questions.get(moved.questionUuid);
        expect(final).toEqual(applied[0]?.question);
        expect(final?.error?.message).toBe(final?.status);
      });
    });
  });
});

interface IndexFile {
  readonly indexes: readonly {
    readonly collectionGroup: string;
    readonly queryScope: string;
    readonly fields: readonly { readonly fieldPath: string; readonly order: string }[];
  }[];
  readonly fieldOverrides: readonly {
    readonly collectionGroup: string;
    readonly fieldPath: string;
    readonly indexes: readonly { readonly order?: string; readonly queryScope: string }[];
  }[];
}

function readIndexFile(): IndexFile {
  const text = readFileSync(new URL("../../../../infra/firestore.indexes.json", import.meta.url), "utf8");
  const file = JSON.parse(text) as IndexFile;
  expect(Array.isArray(file.indexes) && Array.isArray(file.fieldOverrides)).toBe(true);
  return file;
}

const ORDER = { asc: "ASCENDING", desc: "DESCENDING" } as const;

/** Every field of a query, with the order its index needs: equalities ascending, then the sort. */
function queryFields(shape: QueryShape): { fieldPath: string; order: string }[] {
  return [
    ...shape.equalities.map((fieldPath) => ({ fieldPath, order: "ASCENDING" })),
    ...shape.orderBy.map(({ fieldPath, direction }) => ({ fieldPath, order: ORDER[direction] })),
  ].filter((field) => field.fieldPath !== "__name__");
}

/** A composite index serves a query whose equality fields it starts with (in any order), then whose sort it has. */
function matches(index: IndexFile["indexes"][number], shape: QueryShape): boolean {
  if (index.collectionGroup !== shape.collectionGroup || index.queryScope !== shape.queryScope) return false;
  const fields = index.fields.filter((field) => field.fieldPath !== "__name__");
  const wanted = queryFields(shape);
  if (fields.length !== wanted.length) return false;
  const equalities = fields.slice(0, shape.equalities.length);
  return (
    equalities.every((field) => field.order === "ASCENDING" && shape.equalities.includes(field.fieldPath)) &&
    wanted.slice(shape.equalities.length).every((field, offset) => {
      const actual = fields[shape.equalities.length + offset];
      return actual?.fieldPath === field.fieldPath && actual.order === field.order;
    })
  );
}

/**
 * One field needs a single-field index: Firestore keeps those for collection queries unless a field override
 * exempts the field, but for collection-group queries only when an override asks. Two or more need a composite.
 */
function isServed(shape: QueryShape, file: IndexFile): boolean {
  const fields = queryFields(shape);
  const [only] = fields;
  if (fields.length !== 1 || only === undefined) return file.indexes.some((index) => matches(index, shape));
  const override = file.fieldOverrides.find(
    (each) => each.collectionGroup === shape.collectionGroup && each.fieldPath === only.fieldPath,
  );
  if (override === undefined) return shape.queryScope === "COLLECTION";
  return override.indexes.some((index) => index.queryScope === shape.queryScope && index.order === only.order);
}

function subsets<T>(items: readonly T[]): T[][] {
  const all: T[][] = [[]];
  for (const item of items) all.push(...all.map((subset) => [...subset, item]));
  return all;
}

interface QuestionOptions extends Partial<NewQuestion> {
  readonly parent?: NewQuestion;
}

function newQuestion(options: QuestionOptions = {}): NewQuestion {
  const { parent, ...overrides } = options;
  const attributes = createQuestionAttributes({
    sender: "octue/asker:1.0.0",
    recipient: "octue/service:1.0.0",
    ...(parent === undefined
      ? {}
      : { parentQuestionUuid: parent.questionUuid, originatorQuestionUuid: parent.originatorQuestionUuid }),
  });
  return {
    questionUuid: attributes.question_uuid,
    recipient: attributes.recipient,
    sender: attributes.sender,
    parentQuestionUuid: attributes.parent_question_uuid,
    originatorQuestionUuid: attributes.originator_question_uuid,
    question: { kind: "question", input_values: { height: 3 } },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
    ...overrides,
  };
}

function respond(question: NewQuestion, event: ChildEvent): ChildEventEnvelope {
  return { event, attributes: { ...deriveResponseAttributes(question.attributes), order: numberFor(question) } };
}

function heartbeat(question: NewQuestion): ChildEventEnvelope {
  return respond(question, { kind: "heartbeat" });
}

function newRevision(revisionTag: string): NewRevision {
  return {
    namespace: "octue",
    name: "example-service",
    revisionTag,
    twine: { input_values_schema: { type: "object", required: ["height"] } },
    source: { kind: "image", image: `example:${revisionTag}` },
  };
}

const nextOrder = new Map<string, number>();

/** Numbers a question's responses 0, 1, 2… as Twined's runner does. */
function numberFor(question: NewQuestion): number {
  const order = nextOrder.get(question.questionUuid) ?? 0;
  nextOrder.set(question.questionUuid, order + 1);
  return order;
}
