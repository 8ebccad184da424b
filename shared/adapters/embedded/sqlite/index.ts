export {
  DEFAULT_DATABASE_PATH,
  IN_MEMORY,
  type OpenDatabaseOptions,
  openTwinedDatabase,
  schemaVersion,
  type TwinedDatabase,
} from "./database.js";
export { SqliteDeadLetterStore } from "./dead-letter-store.js";
export { SCHEMA_VERSION } from "./migrations.js";
export { SqliteQuestionStore, type SqliteStoreOptions } from "./question-store.js";
export { SqliteRevisionStore } from "./revision-store.js";
export { openSqliteStores, type SqliteStores } from "./sqlite-stores.js";
