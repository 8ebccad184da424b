import type { ChildEventEnvelope, EventEnvelope, ParentAttributes, QuestionEvent } from "../events/index.js";
import type { QuestionStatus } from "../questions/index.js";

/** What a question ended with: its answer, or the error that ended it. */
export interface QuestionOutcome {
  readonly answer?: { readonly output_values?: unknown; readonly output_manifest?: unknown };
  readonly error?: { readonly type: string; readonly message: string; readonly traceback?: readonly string[] };
}

/** A question as the control plane knows it. Times are ISO-8601 strings (UTC). */
export interface QuestionRecord extends QuestionOutcome {
  readonly questionUuid: string;
  /** The SRUID the question was resolved to. */
  readonly recipient: string;
  /** The SRUID of the asker. */
  readonly sender: string;
  readonly parentQuestionUuid: string | undefined;
  readonly originatorQuestionUuid: string;
  readonly status: QuestionStatus;
  /** The question event and its attributes as received. */
  readonly question: QuestionEvent;
  readonly attributes: ParentAttributes;
  readonly pushEndpoint: string | undefined;
  readonly timeoutSeconds: number | undefined;
  /** Higher runs first when resources are short. */
  readonly priority: number;
  readonly resources: { readonly cpus: number; readonly memory?: string; readonly ephemeralStorage?: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When each status was reached, for status displays and latency measurements. */
  readonly statusTimes: Readonly<Partial<Record<QuestionStatus, string>>>;
  /**
   * The W3C trace ID (32 lowercase hex digits) of the trace the question was asked in, when the network traces: the
   * one to look up in Cloud Trace or a collector. Set when the question is first stored; asking again keeps it.
   */
  readonly traceId?: string;
}

export type NewQuestion = Omit<
  QuestionRecord,
  "status" | "createdAt" | "updatedAt" | "statusTimes" | "answer" | "error"
>;

/**
 * An event in a question's log. `sequence` is its place in the question's order ({@link eventSequence}): 1, 2, 3… as
 * its sender numbered it, or from its time when the sender did not; several copies of an event are one event.
 */
export interface StoredEvent {
  readonly questionUuid: string;
  readonly sequence: number;
  readonly envelope: EventEnvelope;
  readonly recordedAt: string;
}

export interface EventQuery {
  /** Exactly one of the three selectors. */
  readonly questionUuid?: string;
  readonly parentQuestionUuid?: string;
  readonly originatorQuestionUuid?: string;
  readonly kinds?: readonly string[];
  readonly excludeKinds?: readonly string[];
  /** Only events with a larger sequence number (with `questionUuid`). */
  readonly afterSequence?: number;
  readonly limit?: number;
}

/** Which questions a list or a count takes; every filter given must hold. */
export interface QuestionFilter {
  readonly parentQuestionUuid?: string;
  readonly originatorQuestionUuid?: string;
  readonly recipient?: string;
  readonly status?: QuestionStatus;
  /** True: only questions no other question asked (no parent); not with `parentQuestionUuid`. False: any. */
  readonly topLevel?: boolean;
  /** Only questions created at or after this time (ISO-8601). */
  readonly createdFrom?: string;
  /** Only questions created before this time (ISO-8601). */
  readonly createdBefore?: string;
}

/** A page of questions, newest first (ties in an order each store keeps stable). */
export interface QuestionQuery extends QuestionFilter {
  readonly limit?: number;
  /** The page after this question in the same list: the last question of the previous page. */
  readonly afterQuestionUuid?: string;
}

/** How many questions are in each status; a status no question is in is absent. */
export type StatusCounts = Partial<Record<QuestionStatus, number>>;

/** A status change to make with a write of events, if the state machine allows it then. */
export interface StatusChange {
  readonly to: QuestionStatus;
  readonly outcome?: QuestionOutcome;
}

/** What a write of events did: for each event given, in order, whether it was new and where it went. */
export interface RecordedEvents {
  readonly events: readonly { readonly appended: boolean; readonly sequence: number }[];
  /** Whether the status change given was made. */
  readonly applied: boolean;
  /** The question as it is after the write. */
  readonly question: QuestionRecord;
}

/**
 * Questions and their event logs. Every write is safe to repeat and to receive out of order: creation is idempotent
 * by question UUID, status changes are compare-and-set along the state machine, and events are de-duplicated by their
 * `uuid` attribute. Recording events writes only the events (never the question's own record) unless the status
 * changes, so a question that sends thousands of events does not contend with itself. Adapters: SQLite (embedded)
 * and Firestore.
 */
export interface QuestionStore {
  /** Creates the question, or returns the existing one with `created: false` if its UUID is known. */
  create(question: NewQuestion): Promise<{ readonly created: boolean; readonly question: QuestionRecord }>;
  get(questionUuid: string): Promise<QuestionRecord | undefined>;
  /**
   * Moves the question to `to` if the state machine allows it from its current status (terminal states are never
   * left), recording `outcome` with a terminal status. Returns whether it moved and the question as it now is.
   * @throws QuestionNotFound for an unknown UUID.
   */
  transition(
    questionUuid: string,
    to: QuestionStatus,
    outcome?: QuestionOutcome,
  ): Promise<{ readonly applied: boolean; readonly question: QuestionRecord }>;
  /**
   * Records one event; a repeated event `uuid` is not recorded twice (`appended: false`, where it first went).
   * @throws QuestionNotFound for an event of an unknown question; EventUuidConflict for a `uuid` another question's
   *   event already has.
   */
  appendEvent(
    envelope: ChildEventEnvelope | EventEnvelope,
  ): Promise<{ readonly appended: boolean; readonly sequence: number }>;
  /**
   * Records events of one question in one write, each once, and makes `change` in the same write when the state
   * machine allows it (as {@link transition} would). Events of another question are refused (InvalidEvent).
   * @throws QuestionNotFound for an unknown question, recording nothing.
   */
  recordEvents(
    questionUuid: string,
    envelopes: readonly (ChildEventEnvelope | EventEnvelope)[],
    change?: StatusChange,
  ): Promise<RecordedEvents>;
  events(query: EventQuery): Promise<StoredEvent[]>;
  /**
   * @throws InvalidStoreQuery for a bad limit or time, `topLevel` with `parentQuestionUuid`, or an unknown
   *   `afterQuestionUuid`.
   */
  list(query: QuestionQuery): Promise<QuestionRecord[]>;
  /** How many questions `filter` takes, by status (a dashboard's counts, a parent's children by status). */
  countByStatus(filter: QuestionFilter): Promise<StatusCounts>;
  close(): Promise<void>;
}
