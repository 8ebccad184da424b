/** What a question asks the child to do with diagnostics. */
export const SAVE_DIAGNOSTICS_MODES = [
  "SAVE_DIAGNOSTICS_OFF",
  "SAVE_DIAGNOSTICS_ON_CRASH",
  "SAVE_DIAGNOSTICS_ON",
] as const;
export type SaveDiagnostics = (typeof SAVE_DIAGNOSTICS_MODES)[number];

/** Attributes every event carries, in their deserialised (typed) form. */
export interface CommonAttributes {
  /** A fresh UUID for every event. */
  uuid: string;
  /** When the event was emitted (ISO-8601; Octue writes UTC with `+00:00`, its fixtures sometimes no offset). */
  datetime: string;
  question_uuid: string;
  /** Absent for originator questions. */
  parent_question_uuid?: string;
  originator_question_uuid: string;
  parent: string;
  originator: string;
  sender: string;
  sender_sdk_version: string;
  recipient: string;
  retry_count: number;
}

/** Attributes of events a parent sends (questions and cancellations). */
export interface ParentAttributes extends CommonAttributes {
  sender_type: "PARENT";
  forward_logs: boolean;
  save_diagnostics: SaveDiagnostics;
  /** Kueue CPU request. */
  cpus?: number;
  /** Kubernetes quantity, e.g. `256Mi`. */
  memory?: string;
  /** Kubernetes quantity, e.g. `1Gi`. */
  ephemeral_storage?: string;
}

/** Attributes of events a child sends in answer to a question. */
export interface ChildAttributes extends CommonAttributes {
  sender_type: "CHILD";
  /**
   * The event's place among its question's responses (0, 1, 2…), given by the one process that sends them (Twined's
   * runner). Octue stopped sending it in 0.56.0 and ignores it; without it, events are ordered by `datetime`.
   */
  order?: number;
}

export type EventAttributes = ParentAttributes | ChildAttributes;

/** Attribute names shared by both sender types, in the order Octue declares them. */
export const COMMON_ATTRIBUTE_NAMES = [
  "uuid",
  "datetime",
  "question_uuid",
  "parent_question_uuid",
  "originator_question_uuid",
  "parent",
  "originator",
  "sender",
  "sender_type",
  "sender_sdk_version",
  "recipient",
  "retry_count",
] as const;

/** Attributes that only make sense on a question, so responses never carry them. */
export const QUESTION_ONLY_ATTRIBUTE_NAMES = [
  "forward_logs",
  "save_diagnostics",
  "cpus",
  "memory",
  "ephemeral_storage",
] as const;
