import type { ChildAttributes, ParentAttributes } from "./attributes.js";
import type { ChildEvent, ParentEvent } from "./event-bodies.js";

/** A question or cancellation with the parent's attributes. */
export interface ParentEventEnvelope<E extends ParentEvent = ParentEvent> {
  event: E;
  attributes: ParentAttributes;
}

/** A response event with the child's attributes. */
export interface ChildEventEnvelope<E extends ChildEvent = ChildEvent> {
  event: E;
  attributes: ChildAttributes;
}

/**
 * The nested form of an event, used everywhere except on Pub/Sub itself (event store, replay, emulators,
 * diagnostics): the body under `event`, the deserialised attributes (ints and booleans) under `attributes`.
 */
export type EventEnvelope = ParentEventEnvelope | ChildEventEnvelope;
