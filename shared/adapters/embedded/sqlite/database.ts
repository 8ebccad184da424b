import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { StoreSchemaTooNew } from "../../../errors/index.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";

export type TwinedDatabase = Database.Database;

/** Where the embedded platform keeps its data, relative to the working directory. */
export const DEFAULT_DATABASE_PATH = join(".twined", "twined.sqlite");

export const IN_MEMORY = ":memory:";

/** How long a write waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

export interface OpenDatabaseOptions {
  /** Resolves the default location against this folder instead of `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * Opens (creating if needed) the embedded database at `location` — a file path, `":memory:"`, or by default
 * `.twined/twined.sqlite` in the working directory — and brings its schema up to date.
 *
 * @throws StoreSchemaTooNew if a newer Twined has already migrated the file past what this version knows.
 */
export function openTwinedDatabase(location?: string, options: OpenDatabaseOptions = {}): TwinedDatabase {
  const path = location ?? join(options.cwd ?? process.cwd(), DEFAULT_DATABASE_PATH);
  if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    // WAL lets readers (status displays, `twined events`) run while a dispatcher writes.
    db.pragma("journal_mode = WAL");
    // NORMAL is durable across application crashes in WAL mode; only a power loss can drop the last commits.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The schema version recorded in the file header. */
export function schemaVersion(db: TwinedDatabase): number {
  const version: unknown = db.pragma("user_version", { simple: true });
  return typeof version === "number" ? version : 0;
}

function migrate(db: TwinedDatabase, location: string): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening the same new file cannot
  // both run migration 1.
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > SCHEMA_VERSION) throw new StoreSchemaTooNew(location, current, SCHEMA_VERSION);
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      const sql = MIGRATIONS[version - 1];
      if (sql !== undefined) db.exec(sql);
      db.pragma(`user_version = ${version}`);
    }
  }).immediate();
}
