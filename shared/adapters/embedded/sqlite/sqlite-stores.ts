import { openTwinedDatabase, type TwinedDatabase } from "./database.js";
import { SqliteDeadLetterStore } from "./dead-letter-store.js";
import { SqliteQuestionStore, type SqliteStoreOptions } from "./question-store.js";
import { SqliteRevisionStore } from "./revision-store.js";

/** The embedded stores over one connection, and the one `close` that ends it. */
export interface SqliteStores {
  readonly database: TwinedDatabase;
  readonly questions: SqliteQuestionStore;
  readonly revisions: SqliteRevisionStore;
  readonly deadLetters: SqliteDeadLetterStore;
  close(): Promise<void>;
}

/** Opens the database at `location` (default `.twined/twined.sqlite` in the working directory) for every store. */
export function openSqliteStores(location?: string, options: SqliteStoreOptions = {}): SqliteStores {
  const database = openTwinedDatabase(location);
  const questions = new SqliteQuestionStore(database, options);
  const revisions = new SqliteRevisionStore(database, options);
  const deadLetters = new SqliteDeadLetterStore(database, options);
  return {
    database,
    questions,
    revisions,
    deadLetters,
    async close() {
      await questions.close();
      await revisions.close();
      await deadLetters.close();
      if (database.open) database.close();
    },
  };
}
