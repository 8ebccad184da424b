/** Every event kind Twined understands: Octue's seven live kinds plus the historical `cancellation`. */
export const EVENT_KINDS = [
  "question",
  "delivery_acknowledgement",
  "heartbeat",
  "monitor_message",
  "log_record",
  "exception",
  "result",
  "cancellation",
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** Kinds only the asking side sends. Octue's schema does not enforce this pairing; Twined does. */
export const PARENT_EVENT_KINDS = ["question", "cancellation"] as const;
export type ParentEventKind = (typeof PARENT_EVENT_KINDS)[number];

/** Kinds only the answering side sends. */
export const CHILD_EVENT_KINDS = [
  "delivery_acknowledgement",
  "heartbeat",
  "monitor_message",
  "log_record",
  "exception",
  "result",
] as const;
export type ChildEventKind = (typeof CHILD_EVENT_KINDS)[number];

export const SENDER_TYPES = ["PARENT", "CHILD"] as const;
export type SenderType = (typeof SENDER_TYPES)[number];

export function isEventKind(value: unknown): value is EventKind {
  return typeof value === "string" && (EVENT_KINDS as readonly string[]).includes(value);
}

export function isParentEventKind(kind: EventKind): kind is ParentEventKind {
  return (PARENT_EVENT_KINDS as readonly string[]).includes(kind);
}

export function isChildEventKind(kind: EventKind): kind is ChildEventKind {
  return (CHILD_EVENT_KINDS as readonly string[]).includes(kind);
}

/** The sender type allowed to emit `kind`. */
export function senderTypeForKind(kind: EventKind): SenderType {
  return isParentEventKind(kind) ? "PARENT" : "CHILD";
}
