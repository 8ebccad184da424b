import { EventUuidConflict, InvalidEvent, QuestionNotFound, StoreClosed } from "../../../errors/index.js";
import type { ChildEventEnvelope, EventEnvelope } from "../../../events/index.js";
import { isPlainObject } from "../../../json/index.js";
import { definedProperties } from "../../../objects/index.js";
import {
  type EventQuery,
  type EventSelectorField,
  eventSelector,
  type NewQuestion,
  type QuestionOutcome,
  type QuestionQuery,
  type QuestionRecord,
  type QuestionStore,
  queryLimit,
  type StoredEvent,
} from "../../../ports/index.js";
import { canTransition, isTerminal, type QuestionStatus } from "../../../questions/index.js";
import { openTwinedDatabase, type TwinedDatabase } from "./database.js";
import { questionFromRow, storedEventFromRow } from "./question-rows.js";
import { StatementCache } from "./statement-cache.js";

export interface SqliteStoreOptions {
  /** The clock for recorded times; injectable so tests control ordering. */
  readonly now?: () => Date;
}

/**
 * The embedded {@link QuestionStore}. Every write is one IMMEDIATE transaction (the write lock is taken before the
 * read it depends on), so compare-and-set and sequence numbering also hold when several processes share the file.
 */
export class SqliteQuestionStore implements QuestionStore {
  private readonly now: () => Date;
  private readonly statements: StatementCache;
  private closed = false;

  /** Uses `db` (already migrated by {@link openTwinedDatabase}) without taking ownership: `close` leaves it open. */
  constructor(
    private readonly db: TwinedDatabase,
    options: SqliteStoreOptions = {},
    private readonly ownsDatabase = false,
  ) {
    this.now = options.now ?? (() => new Date());
    this.statements = new StatementCache(db);
  }

  /** Opens its own connection to `location` (default `.twined/twined.sqlite`), closed again by `close`. */
  static open(location?: string, options: SqliteStoreOptions = {}): SqliteQuestionStore {
    return new SqliteQuestionStore(openTwinedDatabase(location), options, true);
  }

  async create(question: NewQuestion): Promise<{ created: boolean; question: QuestionRecord }> {
    this.assertOpen();
    return this.db
      .transaction(() => {
        const now = this.timestamp();
        const statusTimes: Partial<Record<QuestionStatus, string>> = { received: now };
        const { changes } = this.statements
          .get(
            `INSERT INTO questions (
              question_uuid, recipient, sender, parent_question_uuid, originator_question_uuid, status, priority,
              push_endpoint, timeout_seconds, created_at, updated_at, question_json, attributes_json, resources_json,
              status_times_json
            ) VALUES (
              @questionUuid, @recipient, @sender, @parentQuestionUuid, @originatorQuestionUuid, 'received', @priority,
              @pushEndpoint, @timeoutSeconds, @now, @now, @question, @attributes, @resources, @statusTimes
            ) ON CONFLICT (question_uuid) DO NOTHING`,
          )
          .run({
            questionUuid: question.questionUuid,
            recipient: question.recipient,
            sender: question.sender,
            parentQuestionUuid: question.parentQuestionUuid ?? null,
            originatorQuestionUuid: question.originatorQuestionUuid,
            priority: question.priority,
            pushEndpoint: question.pushEndpoint ?? null,
            timeoutSeconds: question.timeoutSeconds ?? null,
            now,
            question: JSON.stringify(question.question),
            attributes: JSON.stringify(question.attributes),
            resources: JSON.stringify(question.resources),
            statusTimes: JSON.stringify(statusTimes),
          });
        return { created: changes === 1, question: this.require(question.questionUuid) };
      })
      .immediate();
  }

  async get(questionUuid: string): Promise<QuestionRecord | undefined> {
    this.assertOpen();
    return this.read(questionUuid);
  }

  async transition(
    questionUuid: string,
    to: QuestionStatus,
    outcome?: QuestionOutcome,
  ): Promise<{ applied: boolean; question: QuestionRecord }> {
    this.assertOpen();
    return this.db
      .transaction(() => {
        const current = this.require(questionUuid);
        if (!canTransition(current.status, to)) return { applied: false, question: current };
        const now = this.timestamp();
        // An outcome only belongs to the status that ends the question; with any other it is ignored. Columns can be
        // overwritten because only a non-terminal question gets here, and only terminal moves carry an outcome.
        const final = isTerminal(to) ? outcome : undefined;
        this.statements
          .get(
            `UPDATE questions SET status = @to, updated_at = @now, status_times_json = @statusTimes,
               answer_json = @answer, error_json = @error
             WHERE question_uuid = @questionUuid AND status = @from`,
          )
          .run({
            questionUuid,
            from: current.status,
            to,
            now,
            statusTimes: JSON.stringify({ ...current.statusTimes, [to]: now }),
            answer: final?.answer === undefined ? null : JSON.stringify(final.answer),
            error: final?.error === undefined ? null : JSON.stringify(final.error),
          });
        return { applied: true, question: this.require(questionUuid) };
      })
      .immediate();
  }

  async appendEvent(envelope: ChildEventEnvelope | EventEnvelope): Promise<{ appended: boolean; sequence: number }> {
    this.assertOpen();
    const { attributes } = envelope;
    const questionUuid = attributes.question_uuid;
    // The UUID is what makes redelivery harmless, so an event without one cannot be recorded safely.
    if (typeof attributes.uuid !== "string" || attributes.uuid === "") {
      throw new InvalidEvent("the event has no uuid attribute to de-duplicate it by", {
        pointer: "/attributes/uuid",
        questionUuid,
      });
    }
    return this.db
      .transaction(() => {
        const seen = this.statements
          .get("SELECT question_uuid, sequence FROM events WHERE event_uuid = ?")
          .get(attributes.uuid);
        if (isPlainObject(seen) && typeof seen.sequence === "number") {
          if (seen.question_uuid !== questionUuid) {
            throw new EventUuidConflict(attributes.uuid, questionUuid, String(seen.question_uuid));
          }
          return { appended: false, sequence: seen.sequence };
        }
        const question = this.read(questionUuid);
        if (question === undefined) throw new QuestionNotFound(questionUuid);
        const last = this.statements
          .get("SELECT sequence, recorded_at FROM events WHERE question_uuid = ? ORDER BY sequence DESC LIMIT 1")
          .get(questionUuid);
        const lastSequence = isPlainObject(last) && typeof last.sequence === "number" ? last.sequence : 0;
        const lastRecordedAt = isPlainObject(last) && typeof last.recorded_at === "string" ? last.recorded_at : "";
        // Never earlier than the previous event, so tree-wide queries (ordered by time) keep each question's
        // events in sequence even if the clock steps back.
        const recordedAt = laterTime(this.timestamp(), lastRecordedAt);
        const sequence = lastSequence + 1;
        this.statements
          .get(
            `INSERT INTO events (question_uuid, sequence, event_uuid, kind, parent_question_uuid,
               originator_question_uuid, recorded_at, envelope_json)
             VALUES (@questionUuid, @sequence, @eventUuid, @kind, @parent, @originator, @recordedAt, @envelope)`,
          )
          .run({
            questionUuid,
            sequence,
            eventUuid: attributes.uuid,
            kind: envelope.event.kind,
            // The question's own tree links, not the event's, so a malformed response cannot move it elsewhere.
            parent: question.parentQuestionUuid ?? null,
            originator: question.originatorQuestionUuid,
            recordedAt,
            envelope: JSON.stringify(envelope),
          });
        return { appended: true, sequence };
      })
      .immediate();
  }

  async events(query: EventQuery): Promise<StoredEvent[]> {
    this.assertOpen();
    const selector = eventSelector(query);
    const column = SELECTOR_COLUMNS[selector.field];
    const limit = queryLimit(query.limit);
    // No allowed kinds means no events, not "any kind".
    if (query.kinds?.length === 0 || limit === 0) return [];
    const conditions = [`${column} = @key`];
    if (query.kinds !== undefined) conditions.push("kind IN (SELECT value FROM json_each(@kinds))");
    if (query.excludeKinds !== undefined && query.excludeKinds.length > 0) {
      conditions.push("kind NOT IN (SELECT value FROM json_each(@excludeKinds))");
    }
    if (query.afterSequence !== undefined) conditions.push("sequence > @afterSequence");
    const order = selector.field === "questionUuid" ? "sequence" : "recorded_at, sequence, question_uuid";
    const rows = this.statements
      .get(`SELECT * FROM events WHERE ${conditions.join(" AND ")} ORDER BY ${order} LIMIT @limit`)
      .all({
        key: selector.key,
        limit,
        ...(query.kinds === undefined ? {} : { kinds: JSON.stringify(query.kinds) }),
        ...(query.excludeKinds === undefined || query.excludeKinds.length === 0
          ? {}
          : { excludeKinds: JSON.stringify(query.excludeKinds) }),
        ...definedProperties({ afterSequence: query.afterSequence }),
      });
    return rows.map(storedEventFromRow);
  }

  async list(query: QuestionQuery): Promise<QuestionRecord[]> {
    this.assertOpen();
    const limit = queryLimit(query.limit);
    if (limit === 0) return [];
    const filters = {
      parent_question_uuid: query.parentQuestionUuid,
      originator_question_uuid: query.originatorQuestionUuid,
      recipient: query.recipient,
      status: query.status,
    };
    const conditions: string[] = [];
    const parameters: Record<string, string | number> = { limit };
    for (const [column, value] of Object.entries(filters)) {
      if (value === undefined) continue;
      conditions.push(`${column} = @${column}`);
      parameters[column] = value;
    }
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    return this.statements
      .get(`SELECT * FROM questions ${where} ORDER BY id DESC LIMIT @limit`)
      .all(parameters)
      .map(questionFromRow);
  }

  /** Closes the connection if this store opened it; a shared connection stays open for the other store. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDatabase && this.db.open) this.db.close();
  }

  private read(questionUuid: string): QuestionRecord | undefined {
    const row = this.statements.get("SELECT * FROM questions WHERE question_uuid = ?").get(questionUuid);
    return row === undefined ? undefined : questionFromRow(row);
  }

  private require(questionUuid: string): QuestionRecord {
    const question = this.read(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    return question;
  }

  private timestamp(): string {
    return this.now().toISOString();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("SQLite question store");
  }
}

/** The column of the `events` table each event selector filters on. */
const SELECTOR_COLUMNS: Readonly<Record<EventSelectorField, string>> = {
  questionUuid: "question_uuid",
  parentQuestionUuid: "parent_question_uuid",
  originatorQuestionUuid: "originator_question_uuid",
};

/** The later of two ISO-8601 UTC times; they sort as text because the store writes them all in one format. */
function laterTime(first: string, second: string): string {
  if (first >= second) return first;
  return second;
}
