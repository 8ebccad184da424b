import { RevisionNotFound, StoreClosed } from "../../../errors/index.js";
import { formatServiceId } from "../../../identity/index.js";
import { isPlainObject } from "../../../json/index.js";
import type { NewRevision, RevisionRecord, RevisionSource, RevisionStore } from "../../../ports/index.js";
import { openTwinedDatabase, type TwinedDatabase } from "./database.js";
import type { SqliteStoreOptions } from "./question-store.js";
import { columnText, RowReader } from "./row-reader.js";
import { StatementCache } from "./statement-cache.js";

/**
 * The embedded {@link RevisionStore}. The database itself allows at most one default per service (a partial unique
 * index), and every default move clears the old default and sets the new one in one transaction.
 */
export class SqliteRevisionStore implements RevisionStore {
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
  static open(location?: string, options: SqliteStoreOptions = {}): SqliteRevisionStore {
    return new SqliteRevisionStore(openTwinedDatabase(location), options, true);
  }

  /**
   * Registers the revision, replacing the twine and source of an earlier registration of the same tag (which then
   * counts as the newest). Without `makeDefault` a revision keeps whatever default status it had: registering never
   * takes the default away.
   *
   * @throws InvalidServiceID if the namespace, name or tag break the naming rules.
   */
  async register(revision: NewRevision, options: { makeDefault?: boolean } = {}): Promise<RevisionRecord> {
    this.assertOpen();
    // Validates before anything is written, so no unaddressable revision is ever stored.
    formatServiceId(revision);
    const key = { namespace: revision.namespace, name: revision.name, revisionTag: revision.revisionTag };
    return this.db
      .transaction(() => {
        if (options.makeDefault === true) this.clearDefault(key);
        this.statements
          .get(
            `INSERT INTO revisions (namespace, name, revision_tag, is_default, registration_order, registered_at,
               twine_json, source_json)
             VALUES (@namespace, @name, @revisionTag, @isDefault,
               (SELECT coalesce(max(registration_order), 0) + 1 FROM revisions), @now, @twine, @source)
             ON CONFLICT (namespace, name, revision_tag) DO UPDATE SET
               is_default = max(is_default, excluded.is_default),
               registration_order = excluded.registration_order,
               registered_at = excluded.registered_at,
               twine_json = excluded.twine_json,
               source_json = excluded.source_json`,
          )
          .run({
            ...key,
            isDefault: options.makeDefault === true ? 1 : 0,
            now: this.now().toISOString(),
            twine: JSON.stringify(revision.twine),
            source: JSON.stringify(revision.source),
          });
        return this.require(key);
      })
      .immediate();
  }

  async get(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord | undefined> {
    this.assertOpen();
    return this.read({ namespace, name, revisionTag });
  }

  async getDefault(namespace: string, name: string): Promise<RevisionRecord | undefined> {
    this.assertOpen();
    const row = this.statements
      .get("SELECT * FROM revisions WHERE namespace = ? AND name = ? AND is_default = 1")
      .get(namespace, name);
    return row === undefined ? undefined : revisionFromRow(row);
  }

  async list(filter: { namespace?: string; name?: string } = {}): Promise<RevisionRecord[]> {
    this.assertOpen();
    const conditions: string[] = [];
    const parameters: Record<string, string> = {};
    if (filter.namespace !== undefined) {
      conditions.push("namespace = @namespace");
      parameters.namespace = filter.namespace;
    }
    if (filter.name !== undefined) {
      conditions.push("name = @name");
      parameters.name = filter.name;
    }
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    return this.statements
      .get(`SELECT * FROM revisions ${where} ORDER BY registration_order DESC`)
      .all(parameters)
      .map(revisionFromRow);
  }

  async setDefault(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord> {
    this.assertOpen();
    const key = { namespace, name, revisionTag };
    return this.db
      .transaction(() => {
        if (this.read(key) === undefined) throw new RevisionNotFound(sruidText(key));
        this.clearDefault(key);
        this.statements
          .get("UPDATE revisions SET is_default = 1 WHERE namespace = ? AND name = ? AND revision_tag = ?")
          .run(namespace, name, revisionTag);
        return this.require(key);
      })
      .immediate();
  }

  /** Closes the connection if this store opened it; a shared connection stays open for the other store. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDatabase && this.db.open) this.db.close();
  }

  /** Takes the default from every other revision of the service, ahead of giving it to `key`. */
  private clearDefault(key: RevisionKey): void {
    this.statements
      .get(
        "UPDATE revisions SET is_default = 0 WHERE namespace = ? AND name = ? AND is_default = 1 AND revision_tag != ?",
      )
      .run(key.namespace, key.name, key.revisionTag);
  }

  private read(key: RevisionKey): RevisionRecord | undefined {
    const row = this.statements
      .get("SELECT * FROM revisions WHERE namespace = ? AND name = ? AND revision_tag = ?")
      .get(key.namespace, key.name, key.revisionTag);
    return row === undefined ? undefined : revisionFromRow(row);
  }

  private require(key: RevisionKey): RevisionRecord {
    const revision = this.read(key);
    if (revision === undefined) throw new RevisionNotFound(sruidText(key));
    return revision;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("SQLite revision store");
  }
}

interface RevisionKey {
  readonly namespace: string;
  readonly name: string;
  readonly revisionTag: string;
}

/** The SRUID as given, unvalidated: error messages must show what was asked for, even if it is malformed. */
function sruidText(key: RevisionKey): string {
  return `${key.namespace}/${key.name}:${key.revisionTag}`;
}

function revisionFromRow(row: unknown): RevisionRecord {
  const read = RowReader.of(
    row,
    "revision",
    (columns) =>
      `${columnText(columns, "namespace")}/${columnText(columns, "name")}:${columnText(columns, "revision_tag")}`,
  );
  const key = { namespace: read.text("namespace"), name: read.text("name"), revisionTag: read.text("revision_tag") };
  return {
    ...key,
    sruid: sruidText(key),
    twine: read.checked("twine_json", isPlainObject, "a twine object"),
    source: read.checked("source_json", isRevisionSource, "a directory or image source"),
    isDefault: read.number("is_default") === 1,
    registeredAt: read.text("registered_at"),
  };
}

function isRevisionSource(value: unknown): value is RevisionSource {
  if (!isPlainObject(value)) return false;
  return (
    (value.kind === "directory" && typeof value.path === "string") ||
    (value.kind === "image" && typeof value.image === "string")
  );
}
