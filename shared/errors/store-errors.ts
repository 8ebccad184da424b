import { NonRetryableError, TwinedError } from "./base.js";

/**
 * A query a store cannot answer as asked (no selector or several, a bad limit). A programming error in the caller,
 * so it names the offending field rather than failing with an empty result.
 */
export class InvalidStoreQuery extends TwinedError {
  constructor(
    /** The query field at fault, e.g. `limit`. */
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid store query (${field}): ${reason}`);
  }
}

/**
 * A stored question, event, revision or dead letter that no longer parses into its record type (edited by hand,
 * written by a newer Twined). `key` is the record's question UUID, SRUID or dead letter ID, so an operator can find and
 * repair it.
 */
export class CorruptStoreRecord extends TwinedError {
  constructor(
    readonly recordType: "question" | "event" | "revision" | "dead letter",
    readonly key: string,
    detail: string,
  ) {
    super(`The stored ${recordType} ${key} is unreadable: ${detail}`);
  }
}

/** An event `uuid` already recorded against another question: one of the two senders reuses event UUIDs. */
export class EventUuidConflict extends NonRetryableError {
  constructor(
    readonly eventUuid: string,
    readonly questionUuid: string,
    readonly recordedQuestionUuid: string,
  ) {
    super(
      `Event ${eventUuid} for question ${questionUuid} was already recorded for question ${recordedQuestionUuid}; ` +
        "event UUIDs must be unique.",
    );
  }
}

/** A database written by a newer Twined, whose schema this version does not know. */
export class StoreSchemaTooNew extends TwinedError {
  constructor(
    /** The database file. */
    readonly databasePath: string,
    readonly foundVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `The database at ${databasePath} has schema version ${foundVersion}, but this Twined only knows versions up to ` +
        `${supportedVersion}. Upgrade Twined, or point it at another data location.`,
    );
  }
}

/** A store used after `close()`. */
export class StoreClosed extends TwinedError {
  constructor(readonly store: string) {
    super(`The ${store} is closed.`);
  }
}
