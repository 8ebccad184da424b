import { EventUuidConflict, InvalidStoreQuery, QuestionNotFound, StoreClosed } from "../../../errors/index.js";
import type { ChildEventEnvelope, EventEnvelope } from "../../../events/index.js";
import { isPlainObject } from "../../../json/index.js";
import { definedProperties } from "../../../objects/index.js";
import {
  answersPerEnvelope,
  appendOneEvent,
  checkedQuestionFilter,
  type EventQuery,
  type EventSelectorField,
  type EventToRecord,
  eventSelector,
  eventsToRecord,
  type NewQuestion,
  type QuestionFilter,
  type QuestionOutcome,
  type QuestionQuery,
  type QuestionRecord,
  type QuestionStore,
  queryLimit,
  type RecordedEvents,
  type StatusChange,
  type StatusCounts,
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
              status_times_json, trace_id
            ) VALUES (
              @questionUuid, @recipient, @sender, @parentQuestionUuid, @originatorQuestionUuid, 'received', @priority,
              @pushEndpoint, @timeoutSeconds, @now, @now, @question, @attributes, @resources, @statusTimes, @traceId
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
            traceId: question.traceId ?? null,
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
        const applied = this.move(current, { to, ...definedProperties({ outcome }) });
        return { applied, question: applied ? this.require(questionUuid) : current };
      })
      .immediate();
  }

  appendEvent(envelope: ChildEventEnvelope | EventEnvelope): Promise<{ appended: boolean; sequence: number }> {
    return appendOneEvent(this, envelope);
  }

  async recordEvents(
    questionUuid: string,
    envelopes: readonly (ChildEventEnvelope | EventEnvelope)[],
    change?: StatusChange,
  ): Promise<RecordedEvents> {
    this.assertOpen();
    const { events, positions } = eventsToRecord(questionUuid, envelopes);
    return this.db
      .transaction(() => {
        const question = this.require(questionUuid);
        const recordedAt = this.timestamp();
        const answers = events.map((event) => this.insertEvent(question, event, recordedAt));
        const applied = change !== undefined && this.move(question, change);
        return {
          events: answersPerEnvelope(positions, answers),
          applied,
          question: applied ? this.require(questionUuid) : question,
        };
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
    // Ties in a question's order (events sent in the same microsecond) and across a tree go by arrival.
    const order = selector.field === "questionUuid" ? "sequence, id" : "recorded_at, id";
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
    const { conditions, parameters } = this.questionConditions(checkedQuestionFilter(query));
    if (query.afterQuestionUuid !== undefined) {
      // Creation order (the row id) is the list's order, so a page goes on from its last question's row.
      const after = this.statements
        .get("SELECT id FROM questions WHERE question_uuid = ?")
        .get(query.afterQuestionUuid) as { id: number } | undefined;
      if (after === undefined) {
        throw new InvalidStoreQuery("afterQuestionUuid", `no question ${query.afterQuestionUuid} to go on after`);
      }
      conditions.push("id < @afterId");
      parameters.afterId = after.id;
    }
    if (limit === 0) return [];
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    return this.statements
      .get(`SELECT * FROM questions ${where} ORDER BY id DESC LIMIT @limit`)
      .all({ ...parameters, limit })
      .map(questionFromRow);
  }

  async countByStatus(filter: QuestionFilter): Promise<StatusCounts> {
    this.assertOpen();
    const { conditions, parameters } = this.questionConditions(checkedQuestionFilter(filter));
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    const rows = this.statements
      .get(`SELECT status, count(*) AS count FROM questions ${where} GROUP BY status`)
      .all(parameters) as { status: QuestionStatus; count: number }[];
    return Object.fromEntries(rows.map((row) => [row.status, row.count]));
  }

  private questionConditions(filter: QuestionFilter): {
    conditions: string[];
    parameters: Record<string, string | number>;
  } {
    const equalities = {
      parent_question_uuid: filter.parentQuestionUuid,
      originator_question_uuid: filter.originatorQuestionUuid,
      recipient: filter.recipient,
      status: filter.status,
    };
    const conditions: string[] = [];
    const parameters: Record<string, string | number> = {};
    for (const [column, value] of Object.entries(equalities)) {
      if (value === undefined) continue;
      conditions.push(`${column} = @${column}`);
      parameters[column] = value;
    }
    if (filter.topLevel === true) conditions.push("parent_question_uuid IS NULL");
    if (filter.createdFrom !== undefined) {
      conditions.push("created_at >= @createdFrom");
      parameters.createdFrom = filter.createdFrom;
    }
    if (filter.createdBefore !== undefined) {
      conditions.push("created_at < @createdBefore");
      parameters.createdBefore = filter.createdBefore;
    }
    return { conditions, parameters };
  }

  /** Closes the connection if this store opened it; a shared connection stays open for the other store. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDatabase && this.db.open) this.db.close();
  }

  /** Inserts the event unless its UUID is known; a known one must be the same question's. */
  private insertEvent(
    question: QuestionRecord,
    event: EventToRecord,
    recordedAt: string,
  ): { appended: boolean; sequence: number } {
    const { changes } = this.statements
      .get(
        `INSERT INTO events (question_uuid, sequence, event_uuid, kind, parent_question_uuid,
           originator_question_uuid, recorded_at, envelope_json)
         VALUES (@questionUuid, @sequence, @eventUuid, @kind, @parent, @originator, @recordedAt, @envelope)
         ON CONFLICT (event_uuid) DO NOTHING`,
      )
      .run({
        questionUuid: question.questionUuid,
        sequence: event.sequence,
        eventUuid: event.uuid,
        kind: event.envelope.event.kind,
        // The question's own tree links, not the event's, so a malformed response cannot move it elsewhere.
        parent: question.parentQuestionUuid ?? null,
        originator: question.originatorQuestionUuid,
        recordedAt,
        envelope: JSON.stringify(event.envelope),
      });
    if (changes === 1) return { appended: true, sequence: event.sequence };
    const seen = this.statements.get("SELECT question_uuid, sequence FROM events WHERE event_uuid = ?").get(event.uuid);
    if (!isPlainObject(seen) || typeof seen.sequence !== "number") {
      throw new Error(`event ${event.uuid} was neither inserted nor found`);
    }
    if (seen.question_uuid !== question.questionUuid) {
      throw new EventUuidConflict(event.uuid, question.questionUuid, String(seen.question_uuid));
    }
    return { appended: false, sequence: seen.sequence };
  }

  /**
   * Moves `current` to `change.to` if the state machine allows it, recording an outcome with a terminal status (with
   * any other it is ignored). Columns can be overwritten because only a non-terminal question moves, and only
   * terminal moves carry an outcome.
   */
  private move(current: QuestionRecord, change: StatusChange): boolean {
    if (!canTransition(current.status, change.to)) return false;
    const now = this.timestamp();
    const final = isTerminal(change.to) ? change.outcome : undefined;
    this.statements
      .get(
        `UPDATE questions SET status = @to, updated_at = @now, status_times_json = @statusTimes,
           answer_json = @answer, error_json = @error
         WHERE question_uuid = @questionUuid AND status = @from`,
      )
      .run({
        questionUuid: current.questionUuid,
        from: current.status,
        to: change.to,
        now,
        statusTimes: JSON.stringify({ ...current.statusTimes, [change.to]: now }),
        answer: final?.answer === undefined ? null : JSON.stringify(final.answer),
        error: final?.error === undefined ? null : JSON.stringify(final.error),
      });
    return true;
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
