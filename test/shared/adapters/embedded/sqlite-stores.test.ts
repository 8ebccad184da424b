import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_DATABASE_PATH,
  openSqliteStores,
  openTwinedDatabase,
  SCHEMA_VERSION,
  SqliteQuestionStore,
  SqliteRevisionStore,
  type SqliteStores,
  schemaVersion,
  type TwinedDatabase,
} from "../../../../shared/adapters/embedded/sqlite/index.js";
import {
  CorruptStoreRecord,
  EventUuidConflict,
  InvalidEvent,
  StoreClosed,
  StoreSchemaTooNew,
} from "../../../../shared/errors/index.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  deriveResponseAttributes,
} from "../../../../shared/events/index.js";
import type { NewQuestion, NewRevision, QuestionStore } from "../../../../shared/ports/index.js";
import { DEFAULT_QUERY_LIMIT } from "../../../../shared/ports/index.js";
import { describeQuestionStoreContract, type StoredQuestionTamper } from "../../ports/question-store.contract.js";
import { describeRevisionStoreContract } from "../../ports/revision-store.contract.js";

/** Each store of the contract suites with its database, to damage what it stored past the adapter. */
const databases = new WeakMap<QuestionStore, TwinedDatabase>();
const tamper: StoredQuestionTamper = {
  async rewriteResources(store, questionUuid, resources) {
    const database = databases.get(store);
    if (database === undefined) throw new Error("a store the suite did not make");
    database
      .prepare("UPDATE questions SET resources_json = ? WHERE question_uuid = ?")
      .run(JSON.stringify(resources), questionUuid);
  },
};

describeQuestionStoreContract(
  "SQLite (in memory)",
  () => {
    const database = openTwinedDatabase(":memory:");
    const store = new SqliteQuestionStore(database, {}, true);
    databases.set(store, database);
    return store;
  },
  tamper,
);
describeRevisionStoreContract("SQLite (in memory)", () => SqliteRevisionStore.open(":memory:"));

// The same suites with both stores on one connection, as the embedded platform runs them. Closing a store leaves a
// shared connection open, so the connections are closed once all tests are done.
const shared: SqliteStores[] = [];
afterAll(async () => {
  for (const stores of shared.splice(0)) await stores.close();
});
describeQuestionStoreContract(
  "SQLite (shared connection)",
  () => {
    const stores = sharedStores();
    databases.set(stores.questions, stores.database);
    return stores.questions;
  },
  tamper,
);
describeRevisionStoreContract("SQLite (shared connection)", () => sharedStores().revisions);

function sharedStores(): SqliteStores {
  const stores = openSqliteStores(":memory:");
  shared.push(stores);
  return stores;
}

describe("the SQLite stores", () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), "twined-sqlite-"));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  describe("the database", () => {
    it("creates the default data folder and file in the working directory", () => {
      const db = openTwinedDatabase(undefined, { cwd: folder });
      try {
        expect(DEFAULT_DATABASE_PATH).toBe(join(".twined", "twined.sqlite"));
        expect(db.name).toBe(join(folder, ".twined", "twined.sqlite"));
        expect(existsSync(join(folder, ".twined", "twined.sqlite"))).toBe(true);
      } finally {
        db.close();
      }
    });

    it("creates missing parent folders of a given path", () => {
      const path = join(folder, "deep", "er", "data.sqlite");
      openTwinedDatabase(path).close();
      expect(existsSync(path)).toBe(true);
    });

    it("runs in WAL mode with foreign keys and a busy timeout", () => {
      const db = openTwinedDatabase(join(folder, "data.sqlite"));
      try {
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
        expect(db.pragma("busy_timeout", { simple: true })).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    });

    it("migrates a new file to the current schema version, and reopening changes nothing", () => {
      const path = join(folder, "data.sqlite");
      const first = openTwinedDatabase(path);
      expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
      expect(schemaVersion(first)).toBe(SCHEMA_VERSION);
      const tables = first
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => (row as { name: string }).name);
      expect(tables).toEqual(["dead_letters", "events", "questions", "revisions"]);
      first.close();
      const again = openTwinedDatabase(path);
      expect(schemaVersion(again)).toBe(SCHEMA_VERSION);
      again.close();
    });

    it("refuses a file migrated by a newer Twined, leaving it untouched", () => {
      const path = join(folder, "data.sqlite");
      const raw = new Database(path);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();
      let error: unknown;
      try {
        openTwinedDatabase(path);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StoreSchemaTooNew);
      expect(error).toMatchObject({ databasePath: path, foundVersion: SCHEMA_VERSION + 1 });
      const check = new Database(path);
      expect(check.prepare("SELECT count(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
      check.close();
    });

    it("enforces one default revision per service in the schema itself", () => {
      const db = openTwinedDatabase(":memory:");
      const insert = db.prepare(
        `INSERT INTO revisions (namespace, name, revision_tag, is_default, registration_order, registered_at,
           twine_json, source_json) VALUES ('octue', 'example', ?, 1, 1, '', '{}', '{}')`,
      );
      insert.run("1.0.0");
      expect(() => insert.run("2.0.0")).toThrow(/UNIQUE/);
      db.close();
    });

    it("refuses events of unknown questions in the schema itself", () => {
      const db = openTwinedDatabase(":memory:");
      expect(() =>
        db
          .prepare(
            `INSERT INTO events (question_uuid, sequence, event_uuid, kind, originator_question_uuid, recorded_at,
               envelope_json) VALUES ('nope', 1, 'e', 'heartbeat', 'nope', '', '{}')`,
          )
          .run(),
      ).toThrow(/FOREIGN KEY/);
      db.close();
    });
  });

  describe("persistence", () => {
    it("keeps questions, events and revisions across reopening the file, and continues the numbering", async () => {
      const path = join(folder, "data.sqlite");
      const question = newQuestion();
      const before = openSqliteStores(path);
      await before.questions.create(question);
      await before.questions.transition(question.questionUuid, "validated");
      const first = response(question);
      await before.questions.appendEvent(first);
      const revision = await before.revisions.register(newRevision("1.0.0"), { makeDefault: true });
      const recorded = await before.questions.get(question.questionUuid);
      await before.close();
      expect(before.database.open).toBe(false);

      const after = openSqliteStores(path);
      try {
        expect(await after.questions.get(question.questionUuid)).toEqual(recorded);
        expect(await after.questions.appendEvent(first)).toEqual({ appended: false, sequence: 1 });
        expect(await after.questions.appendEvent(response(question))).toEqual({ appended: true, sequence: 2 });
        expect(await after.revisions.getDefault("octue", "example-service")).toEqual(revision);
        expect(await after.questions.create(question)).toMatchObject({ created: false, question: recorded });
      } finally {
        await after.close();
      }
    });

    it("shares one file between two connections: one creation, contiguous numbering, one row per event", async () => {
      const path = join(folder, "data.sqlite");
      const one = SqliteQuestionStore.open(path);
      const two = SqliteQuestionStore.open(path);
      try {
        const question = newQuestion();
        expect((await one.create(question)).created).toBe(true);
        expect((await two.create(question)).created).toBe(false);
        const envelopes = Array.from({ length: 10 }, () => response(question));
        const outcomes = [];
        for (const [index, envelope] of envelopes.entries()) {
          outcomes.push(await (index % 2 === 0 ? one : two).appendEvent(envelope));
          outcomes.push(await (index % 2 === 0 ? two : one).appendEvent(envelope));
        }
        expect(outcomes.filter((outcome) => outcome.appended).map((outcome) => outcome.sequence)).toEqual([
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
        ]);
        expect((await one.events({ questionUuid: question.questionUuid })).length).toBe(10);
        expect((await two.transition(question.questionUuid, "rejected")).applied).toBe(true);
        expect((await one.transition(question.questionUuid, "validated")).applied).toBe(false);
      } finally {
        await one.close();
        await two.close();
      }
    });
  });

  describe("repeated and concurrent calls", () => {
    let questions: SqliteQuestionStore;

    beforeEach(() => {
      questions = SqliteQuestionStore.open(":memory:");
    });

    afterEach(async () => {
      await questions.close();
    });

    it("creates a question once however many creations race", async () => {
      const question = newQuestion();
      const outcomes = await Promise.all(Array.from({ length: 25 }, () => questions.create(question)));
      expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
      expect(new Set(outcomes.map((outcome) => outcome.question.createdAt)).size).toBe(1);
      expect(await questions.list({})).toHaveLength(1);
    });

    it("applies exactly one of several racing terminal transitions", async () => {
      const question = newQuestion();
      await questions.create(question);
      for (const status of ["validated", "dispatched", "running"] as const) {
        await questions.transition(question.questionUuid, status);
      }
      const outcomes = await Promise.all(
        (["succeeded", "failed", "cancelled", "timed_out", "succeeded", "failed"] as const).map((status) =>
          questions.transition(question.questionUuid, status, { error: { type: "Race", message: status } }),
        ),
      );
      const applied = outcomes.filter((outcome) => outcome.applied);
      expect(applied).toHaveLength(1);
      const final = await questions.get(question.questionUuid);
      expect(final).toEqual(applied[0]?.question);
      expect(final?.error?.message).toBe(final?.status);
    });

    it("numbers racing appends contiguously and records duplicates once", async () => {
      const question = newQuestion();
      await questions.create(question);
      const envelopes = Array.from({ length: 20 }, () => response(question));
      const outcomes = await Promise.all(
        [...envelopes, ...envelopes.slice(0, 10)].map((e) => questions.appendEvent(e)),
      );
      const appended = outcomes.filter((outcome) => outcome.appended).map((outcome) => outcome.sequence);
      expect(appended.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      expect(outcomes.slice(20)).toEqual(outcomes.slice(0, 10).map(({ sequence }) => ({ appended: false, sequence })));
      expect(await questions.events({ questionUuid: question.questionUuid })).toHaveLength(20);
    });
  });

  describe("question store details", () => {
    it("returns at most the default limit of events and questions", async () => {
      const questions = SqliteQuestionStore.open(":memory:");
      const question = newQuestion();
      await questions.create(question);
      for (let index = 0; index <= DEFAULT_QUERY_LIMIT; index++) await questions.appendEvent(response(question));
      expect(DEFAULT_QUERY_LIMIT).toBe(1000);
      const events = await questions.events({ questionUuid: question.questionUuid });
      expect(events).toHaveLength(DEFAULT_QUERY_LIMIT);
      expect(events.at(-1)?.sequence).toBe(DEFAULT_QUERY_LIMIT);
      expect(await questions.events({ questionUuid: question.questionUuid, limit: 2000 })).toHaveLength(1001);
      await questions.close();
    });

    it("records times from the injected clock: an event's time is when it arrived", async () => {
      const times = ["2030-01-01T00:00:05.000Z", "2030-01-01T00:00:06.000Z", "2030-01-01T00:00:01.000Z"];
      let next = 0;
      const questions = SqliteQuestionStore.open(":memory:", {
        now: () => new Date(times[Math.min(next++, times.length - 1)] ?? 0),
      });
      const question = newQuestion();
      const { question: record } = await questions.create(question);
      expect(record.createdAt).toBe("2030-01-01T00:00:05.000Z");
      await questions.appendEvent(response(question));
      await questions.appendEvent(response(question));
      const events = await questions.events({ questionUuid: question.questionUuid });
      expect(events.map((event) => event.recordedAt)).toEqual(["2030-01-01T00:00:06.000Z", "2030-01-01T00:00:01.000Z"]);
      await questions.close();
    });

    it("refuses an event UUID already recorded for another question", async () => {
      const questions = SqliteQuestionStore.open(":memory:");
      const [first, second] = [newQuestion(), newQuestion()];
      await questions.create(first);
      await questions.create(second);
      const envelope = response(first);
      await questions.appendEvent(envelope);
      const stolen: ChildEventEnvelope = {
        ...envelope,
        attributes: { ...response(second).attributes, uuid: envelope.attributes.uuid },
      };
      await expect(questions.appendEvent(stolen)).rejects.toMatchObject({
        constructor: EventUuidConflict,
        eventUuid: envelope.attributes.uuid,
        questionUuid: second.questionUuid,
        recordedQuestionUuid: first.questionUuid,
      });
      expect(await questions.events({ questionUuid: second.questionUuid })).toEqual([]);
      await questions.close();
    });

    it("refuses an event without a UUID", async () => {
      const questions = SqliteQuestionStore.open(":memory:");
      const question = newQuestion();
      await questions.create(question);
      const envelope = response(question);
      await expect(
        questions.appendEvent({ ...envelope, attributes: { ...envelope.attributes, uuid: "" } }),
      ).rejects.toBeInstanceOf(InvalidEvent);
      await questions.close();
    });

    it("reports a hand-damaged row as a corrupt record naming the question", async () => {
      const stores = openSqliteStores(":memory:");
      const question = newQuestion();
      await stores.questions.create(question);
      stores.database
        .prepare("UPDATE questions SET status = 'lost' WHERE question_uuid = ?")
        .run(question.questionUuid);
      await expect(stores.questions.get(question.questionUuid)).rejects.toMatchObject({
        constructor: CorruptStoreRecord,
        recordType: "question",
        key: question.questionUuid,
      });
      stores.database
        .prepare("UPDATE questions SET status = 'received', attributes_json = '{' WHERE question_uuid = ?")
        .run(question.questionUuid);
      await expect(stores.questions.list({})).rejects.toThrow(/not valid JSON/);
      await stores.close();
    });
  });

  describe("closing", () => {
    it("leaves a shared connection open for the other store, and refuses calls on a closed store", async () => {
      const stores = openSqliteStores(":memory:");
      await stores.questions.close();
      await expect(stores.questions.get("anything")).rejects.toBeInstanceOf(StoreClosed);
      expect(stores.database.open).toBe(true);
      expect(await stores.revisions.register(newRevision("1.0.0"))).toMatchObject({ revisionTag: "1.0.0" });
      await stores.close();
      expect(stores.database.open).toBe(false);
      await expect(stores.revisions.list()).rejects.toBeInstanceOf(StoreClosed);
    });

    it("closes its own connection when opened alone, and tolerates closing twice", async () => {
      const path = join(folder, "data.sqlite");
      const revisions = SqliteRevisionStore.open(path);
      await revisions.register(newRevision("1.0.0"));
      await revisions.close();
      await revisions.close();
      // With the only connection closed, the WAL has been checkpointed back into the file.
      expect(existsSync(`${path}-wal`)).toBe(false);
      const reopened = SqliteRevisionStore.open(path);
      expect(await reopened.list()).toHaveLength(1);
      await reopened.close();
    });
  });
});

function newQuestion(): NewQuestion {
  const attributes = createQuestionAttributes({ sender: "octue/asker:1.0.0", recipient: "octue/service:1.0.0" });
  return {
    questionUuid: attributes.question_uuid,
    recipient: attributes.recipient,
    sender: attributes.sender,
    parentQuestionUuid: undefined,
    originatorQuestionUuid: attributes.originator_question_uuid,
    question: { kind: "question", input_values: { height: 3 } },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
  };
}

function response(question: NewQuestion): ChildEventEnvelope {
  return {
    event: { kind: "heartbeat" },
    attributes: { ...deriveResponseAttributes(question.attributes), order: numberFor(question) },
  };
}

function newRevision(revisionTag: string): NewRevision {
  return {
    namespace: "octue",
    name: "example-service",
    revisionTag,
    twine: {},
    source: { kind: "directory", path: "." },
  };
}

const nextOrder = new Map<string, number>();

/** Numbers a question's responses 0, 1, 2… as Twined's runner does. */
function numberFor(question: NewQuestion): number {
  const order = nextOrder.get(question.questionUuid) ?? 0;
  nextOrder.set(question.questionUuid, order + 1);
  return order;
}
