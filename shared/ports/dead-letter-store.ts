import { InvalidStoreQuery } from "../errors/index.js";
import { isPlainObject } from "../json/index.js";

/**
 * A message the network could not process, kept so that an operator can see why and send it again once the cause is
 * gone. Times are ISO-8601 strings (UTC).
 */
export interface DeadLetterRecord {
  /** The Pub/Sub message ID of the dead-letter message: recording the same one again changes nothing. */
  readonly id: string;
  /** Why it could not be processed: the handler's error, or Pub/Sub giving up after its delivery attempts. */
  readonly reason: string;
  /** The topic it was first published on, where a replay sends it; undefined when nothing says. */
  readonly topic: string | undefined;
  /** When the network first recorded it. */
  readonly firstSeenAt: string;
  /** How many times it was delivered before it became a dead letter. */
  readonly attempts: number;
  /** The question it is about, when its attributes or data name one. */
  readonly questionUuid: string | undefined;
  readonly data: Buffer;
  /** Its attributes as first published, without the ones that dead-lettering added. */
  readonly attributes: Readonly<Record<string, string>>;
  /** When it was sent again (`replay`); undefined while it waits. */
  readonly replayedAt: string | undefined;
}

export type NewDeadLetter = Omit<DeadLetterRecord, "firstSeenAt" | "replayedAt">;

export interface DeadLetterQuery {
  /** At most this many, newest first; default {@link DEFAULT_DEAD_LETTER_LIMIT}. */
  readonly limit?: number;
  /** Only those not yet replayed. */
  readonly pendingOnly?: boolean;
  /** Only those first seen at or before this time (ISO-8601). */
  readonly seenNoLaterThan?: string;
}

/**
 * The dead letters of a network, kept for good (Pub/Sub keeps a message seven days at most). Adapters: SQLite
 * (embedded) and Firestore (`deadLetters/{id}`).
 */
export interface DeadLetterStore {
  /** Records the dead letter unless one with its ID is kept already; returns the kept one either way. */
  record(letter: NewDeadLetter): Promise<{ readonly created: boolean; readonly letter: DeadLetterRecord }>;
  get(id: string): Promise<DeadLetterRecord | undefined>;
  /** Newest first seen first; ties by ID, highest first. */
  list(query?: DeadLetterQuery): Promise<DeadLetterRecord[]>;
  /**
   * Compare-and-set: marks the dead letter replayed at `at` unless it already is. True when this call marked it, so
   * that of several replays at once exactly one sends it.
   * @throws DeadLetterNotFound for an unknown ID.
   */
  markReplayed(id: string, at: string): Promise<boolean>;
  /** Takes back the mark `markReplayed(id, at)` made, when sending it failed; a mark made at another time stays. */
  clearReplayed(id: string, at: string): Promise<void>;
  close(): Promise<void>;
}

/** How many dead letters a list returns when it sets no limit. */
export const DEFAULT_DEAD_LETTER_LIMIT = 100;

/**
 * A dead-letter list's limit, or the default; every store checks it alike.
 * @throws InvalidStoreQuery for a limit that is not a whole number of at least 0.
 */
export function deadLetterLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_DEAD_LETTER_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidStoreQuery("limit", `must be a whole number of at least 0, got ${limit}`);
  }
  return limit;
}

/**
 * The attributes Pub/Sub adds to a message it forwards to a subscription's dead-letter topic after its delivery
 * attempts; the in-memory bus adds the same.
 */
export const PUBSUB_DEAD_LETTER_ATTRIBUTES = {
  deliveryCount: "CloudPubSubDeadLetterSourceDeliveryCount",
  subscription: "CloudPubSubDeadLetterSourceSubscription",
  subscriptionProject: "CloudPubSubDeadLetterSourceSubscriptionProject",
  topicPublishTime: "CloudPubSubDeadLetterSourceTopicPublishTime",
} as const;

/** Whether a value read back from a store is a message's attributes: text by text name, as Pub/Sub has them. */
export function isMessageAttributes(value: unknown): value is Record<string, string> {
  return isPlainObject(value) && Object.values(value).every((each) => typeof each === "string");
}
