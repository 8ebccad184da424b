import { DeadLetterNotFound, StoreClosed } from "../../../errors/index.js";
import {
  type DeadLetterQuery,
  type DeadLetterRecord,
  type DeadLetterStore,
  deadLetterLimit,
  isMessageAttributes,
  type NewDeadLetter,
} from "../../../ports/index.js";
import { openTwinedDatabase, type TwinedDatabase } from "./database.js";
import type { SqliteStoreOptions } from "./question-store.js";
import { columnText, RowReader } from "./row-reader.js";
import { StatementCache } from "./statement-cache.js";

/**
 * The embedded {@link DeadLetterStore}: one row per dead letter, its data as a blob. Recording is an insert that
 * leaves an existing row alone; marking replayed is an update conditioned on the row not being marked yet.
 */
export class SqliteDeadLetterStore implements DeadLetterStore {
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
  static open(location?: string, options: SqliteStoreOptions = {}): SqliteDeadLetterStore {
    return new SqliteDeadLetterStore(openTwinedDatabase(location), options, true);
  }

  async record(letter: NewDeadLetter): Promise<{ created: boolean; letter: DeadLetterRecord }> {
    this.assertOpen();
    return this.db
      .transaction(() => {
        const { changes } = this.statements
          .get(
            `INSERT INTO dead_letters (dead_letter_id, reason, topic, first_seen_at, attempts, question_uuid, data,
               attributes_json)
             VALUES (@id, @reason, @topic, @now, @attempts, @questionUuid, @data, @attributes)
             ON CONFLICT (dead_letter_id) DO NOTHING`,
          )
          .run({
            id: letter.id,
            reason: letter.reason,
            topic: letter.topic ?? null,
            now: this.now().toISOString(),
            attempts: letter.attempts,
            questionUuid: letter.questionUuid ?? null,
            data: letter.data,
            attributes: JSON.stringify(letter.attributes),
          });
        return { created: changes === 1, letter: this.require(letter.id) };
      })
      .immediate();
  }

  async get(id: string): Promise<DeadLetterRecord | undefined> {
    this.assertOpen();
    return this.read(id);
  }

  async list(query: DeadLetterQuery = {}): Promise<DeadLetterRecord[]> {
    this.assertOpen();
    const limit = deadLetterLimit(query.limit);
    const conditions: string[] = [];
    const parameters: Record<string, string | number> = { limit };
    if (query.pendingOnly === true) conditions.push("replayed_at IS NULL");
    if (query.seenNoLaterThan !== undefined) {
      conditions.push("first_seen_at <= @seenNoLaterThan");
      parameters.seenNoLaterThan = query.seenNoLaterThan;
    }
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    return this.statements
      .get(`SELECT * FROM dead_letters ${where} ORDER BY first_seen_at DESC, dead_letter_id DESC LIMIT @limit`)
      .all(parameters)
      .map(deadLetterFromRow);
  }

  async markReplayed(id: string, at: string): Promise<boolean> {
    this.assertOpen();
    return this.db
      .transaction(() => {
        this.require(id);
        const { changes } = this.statements
          .get("UPDATE dead_letters SET replayed_at = ? WHERE dead_letter_id = ? AND replayed_at IS NULL")
          .run(at, id);
        return changes === 1;
      })
      .immediate();
  }

  async clearReplayed(id: string, at: string): Promise<void> {
    this.assertOpen();
    this.statements
      .get("UPDATE dead_letters SET replayed_at = NULL WHERE dead_letter_id = ? AND replayed_at = ?")
      .run(id, at);
  }

  /** Closes the connection if this store opened it; a shared connection stays open for the other stores. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDatabase && this.db.open) this.db.close();
  }

  private read(id: string): DeadLetterRecord | undefined {
    const row = this.statements.get("SELECT * FROM dead_letters WHERE dead_letter_id = ?").get(id);
    return row === undefined ? undefined : deadLetterFromRow(row);
  }

  private require(id: string): DeadLetterRecord {
    const letter = this.read(id);
    if (letter === undefined) throw new DeadLetterNotFound(id);
    return letter;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("SQLite dead letter store");
  }
}

function deadLetterFromRow(row: unknown): DeadLetterRecord {
  const read = RowReader.of(row, "dead letter", (columns) => columnText(columns, "dead_letter_id"));
  return {
    id: read.text("dead_letter_id"),
    reason: read.text("reason"),
    topic: read.optionalText("topic"),
    firstSeenAt: read.text("first_seen_at"),
    attempts: read.number("attempts"),
    questionUuid: read.optionalText("question_uuid"),
    data: read.bytes("data"),
    attributes: read.checked("attributes_json", isMessageAttributes, "message attributes (text by name)"),
    replayedAt: read.optionalText("replayed_at"),
  };
}
