import type { EventAttributes } from "./attributes.js";

/**
 * Where a question's event goes in its log. An event whose sender numbered it (`order`, from Twined's runner) goes at
 * `order + 1`, so a question's responses are 1, 2, 3… with any gap showing an event still on its way. An event
 * without one (from an Octue service, or the network's own word about a question) goes by its `datetime`, in
 * microseconds since 1970: always after every numbered event, and among themselves in the order they were sent.
 */
export function eventSequence(attributes: Pick<EventAttributes, "datetime"> & { readonly order?: number }): number {
  const { order } = attributes;
  if (order !== undefined && Number.isSafeInteger(order) && order >= 0 && order + 1 < TIME_ORDERED_FROM) {
    return order + 1;
  }
  return datetimeMicroseconds(attributes.datetime);
}

/** Sequences from here on were taken from an event's time, not counted by its sender. */
export const TIME_ORDERED_FROM = 2 ** 32;

/** Whether a sequence was counted by the event's sender, so that the one before it is known to exist. */
export function isSenderOrdered(sequence: number): boolean {
  return sequence < TIME_ORDERED_FROM;
}

const DATETIME_PARTS = /^(.+?T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$/;

/**
 * Microseconds since 1970 of an Octue datetime (Python `isoformat()`, six fraction digits at most; no offset means
 * UTC, as Octue's own fixtures assume). A text that does not parse orders first, at 0.
 */
function datetimeMicroseconds(datetime: string): number {
  const parts = DATETIME_PARTS.exec(datetime);
  if (parts === null) return 0;
  const [, seconds = "", fraction = "", offset = "Z"] = parts;
  // Date cannot read an offset with seconds; those (historic time zones only) lose them.
  const milliseconds = Date.parse(`${seconds}${offset.length > 6 ? offset.slice(0, 6) : offset}`);
  if (Number.isNaN(milliseconds)) return 0;
  return milliseconds * 1000 + Number(fraction.padEnd(6, "0"));
}
