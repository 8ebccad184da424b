import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteQuestionStore, schemaVersion } from "../../../../shared/adapters/embedded/sqlite/index.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../../shared/adapters/embedded/sqlite/migrations.js";
import { createQuestionAttributes } from "../../../../shared/events/index.js";

/** The schema before questions kept their trace ID (migration 4). */
const BEFORE_TRACE_IDS = 3;

describe("the embedded database's migration to questions with trace IDs", () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), "twined-trace-migration-"));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it("keeps the questions stored before, without a trace ID, and stores new questions' trace IDs", async () => {
    const path = join(folder, "data.sqlite");
    const attributes = createQuestionAttributes({ sender: "tests/asker:1.0.0", recipient: "tests/traced:1.0.0" });
    const raw = new Database(path);
    for (const sql of MIGRATIONS.slice(0, BEFORE_TRACE_IDS)) raw.exec(sql);
    raw.pragma(`user_version = ${BEFORE_TRACE_IDS}`);
    raw
      .prepare(
        `INSERT INTO questions (question_uuid, recipient, sender, originator_question_uuid, status, priority, created_at,
           updated_at, question_json, attributes_json, resources_json, status_times_json)
         VALUES (?, ?, ?, ?, 'received', 0, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        attributes.question_uuid,
        attributes.recipient,
        attributes.sender,
        attributes.originator_question_uuid,
        "2026-01-01T00:00:00.000Z",
        "2026-01-01T00:00:00.000Z",
        JSON.stringify({ kind: "question", input_values: {} }),
        JSON.stringify(attributes),
        JSON.stringify({ cpus: 1 }),
        JSON.stringify({ received: "2026-01-01T00:00:00.000Z" }),
      );
    raw.close();

    const store = SqliteQuestionStore.open(path);
    try {
      const old = await store.get(attributes.question_uuid);
      expect(old).toMatchObject({ questionUuid: attributes.question_uuid, status: "received" });
      expect(old).not.toHaveProperty("traceId");

      const fresh = createQuestionAttributes({ sender: "tests/asker:1.0.0", recipient: "tests/traced:1.0.0" });
      const { question } = await store.create({
        questionUuid: fresh.question_uuid,
        recipient: fresh.recipient,
        sender: fresh.sender,
        parentQuestionUuid: undefined,
        originatorQuestionUuid: fresh.originator_question_uuid,
        question: { kind: "question", input_values: {} },
        attributes: fresh,
        pushEndpoint: undefined,
        timeoutSeconds: undefined,
        priority: 0,
        resources: { cpus: 1 },
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      });
      expect(question.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    } finally {
      await store.close();
    }
    const check = new Database(path);
    try {
      expect(schemaVersion(check)).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBeGreaterThan(BEFORE_TRACE_IDS);
    } finally {
      check.close();
    }
  });
});
