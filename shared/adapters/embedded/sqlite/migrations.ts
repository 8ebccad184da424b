/**
 * The schema, as an append-only list of migrations: migration N (1-based) takes a database from `user_version` N-1
 * to N. Never edit a released migration; add a new one, so every existing data folder upgrades the same way.
 *
 * Columns exist for everything a query filters or sorts on; the rest of each record is JSON text, so new record
 * fields need no migration.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE questions (
    -- Creation order: "newest first" must not depend on clock resolution or skew.
    id INTEGER PRIMARY KEY,
    question_uuid TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    sender TEXT NOT NULL,
    parent_question_uuid TEXT,
    originator_question_uuid TEXT NOT NULL,
    status TEXT NOT NULL,
    priority REAL NOT NULL,
    push_endpoint TEXT,
    timeout_seconds REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    question_json TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    resources_json TEXT NOT NULL,
    status_times_json TEXT NOT NULL,
    answer_json TEXT,
    error_json TEXT
  ) STRICT;
  CREATE INDEX questions_by_parent ON questions (parent_question_uuid, id);
  CREATE INDEX questions_by_originator ON questions (originator_question_uuid, id);
  CREATE INDEX questions_by_recipient ON questions (recipient, id);
  CREATE INDEX questions_by_status ON questions (status, id);

  CREATE TABLE events (
    question_uuid TEXT NOT NULL REFERENCES questions (question_uuid),
    sequence INTEGER NOT NULL,
    event_uuid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    -- Copied from the question so tree-wide queries need no join.
    parent_question_uuid TEXT,
    originator_question_uuid TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    envelope_json TEXT NOT NULL,
    PRIMARY KEY (question_uuid, sequence)
  ) STRICT;
  CREATE INDEX events_by_parent ON events (parent_question_uuid, recorded_at, sequence);
  CREATE INDEX events_by_originator ON events (originator_question_uuid, recorded_at, sequence);

  CREATE TABLE revisions (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    revision_tag TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    -- Registration order, renewed on re-registration: "newest first" without relying on the clock.
    registration_order INTEGER NOT NULL,
    registered_at TEXT NOT NULL,
    twine_json TEXT NOT NULL,
    source_json TEXT NOT NULL,
    PRIMARY KEY (namespace, name, revision_tag)
  ) STRICT;
  -- At most one default per service, enforced by the database even if a caller bypasses the store.
  CREATE UNIQUE INDEX revisions_one_default ON revisions (namespace, name) WHERE is_default = 1;
  CREATE INDEX revisions_by_order ON revisions (registration_order);
  `,
  // 2: events keyed by their UUID, placed by the sequence their sender gave (not numbered by the store), and kept in
  // arrival order (`id`) for ties and for tree-wide reading.
  `
  CREATE TABLE events_by_uuid (
    id INTEGER PRIMARY KEY,
    event_uuid TEXT NOT NULL UNIQUE,
    question_uuid TEXT NOT NULL REFERENCES questions (question_uuid),
    sequence INTEGER NOT NULL,
    kind TEXT NOT NULL,
    parent_question_uuid TEXT,
    originator_question_uuid TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    envelope_json TEXT NOT NULL
  ) STRICT;
  INSERT INTO events_by_uuid (event_uuid, question_uuid, sequence, kind, parent_question_uuid,
      originator_question_uuid, recorded_at, envelope_json)
    SELECT event_uuid, question_uuid, sequence, kind, parent_question_uuid, originator_question_uuid, recorded_at,
      envelope_json
    FROM events ORDER BY recorded_at, question_uuid, sequence;
  DROP TABLE events;
  ALTER TABLE events_by_uuid RENAME TO events;
  CREATE INDEX events_by_question ON events (question_uuid, sequence, id);
  CREATE INDEX events_by_parent ON events (parent_question_uuid, recorded_at, id);
  CREATE INDEX events_by_originator ON events (originator_question_uuid, recorded_at, id);
  `,
  // Dead letters: messages the network could not process, kept until an operator replays them. Listed newest first
  // seen, pending ones on their own.
  `
  CREATE TABLE dead_letters (
    dead_letter_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    topic TEXT,
    first_seen_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    question_uuid TEXT,
    data BLOB NOT NULL,
    attributes_json TEXT NOT NULL,
    replayed_at TEXT
  ) STRICT;
  CREATE INDEX dead_letters_by_time ON dead_letters (first_seen_at, dead_letter_id);
  CREATE INDEX dead_letters_pending ON dead_letters (first_seen_at, dead_letter_id) WHERE replayed_at IS NULL;
  `,
  // 4: each question's trace ID (32 hex digits), when it was asked on a network that traces; null for the rest and for
  // questions stored before.
  `
  ALTER TABLE questions ADD COLUMN trace_id TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
