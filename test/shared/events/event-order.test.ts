import { describe, expect, it } from "vitest";
import { eventSequence, isSenderOrdered, TIME_ORDERED_FROM } from "../../../shared/events/index.js";

describe("eventSequence", () => {
  it("places a numbered event at order + 1", () => {
    expect(eventSequence({ datetime: "2026-01-01T00:00:00+00:00", order: 0 })).toBe(1);
    expect(eventSequence({ datetime: "2026-01-01T00:00:00+00:00", order: 41 })).toBe(42);
    expect(isSenderOrdered(42)).toBe(true);
  });

  it("places an event without order by its datetime in microseconds, after every numbered event", () => {
    const at = eventSequence({ datetime: "2026-01-01T00:00:00.123456+00:00" });
    expect(at).toBe(Date.parse("2026-01-01T00:00:00.123Z") * 1000 + 456);
    expect(at).toBeGreaterThan(TIME_ORDERED_FROM);
    expect(isSenderOrdered(at)).toBe(false);
    // Octue leaves the fraction out when it is zero, and its fixtures sometimes the offset: both UTC.
    expect(eventSequence({ datetime: "2026-01-01T00:00:01" })).toBe(Date.parse("2026-01-01T00:00:01Z") * 1000);
    expect(eventSequence({ datetime: "2026-01-01T01:00:00+01:00" })).toBe(Date.parse("2026-01-01T00:00:00Z") * 1000);
    expect(eventSequence({ datetime: "2026-01-01T00:00:00.5Z" })).toBe(
      Date.parse("2026-01-01T00:00:00Z") * 1000 + 500_000,
    );
  });

  it("orders by time an order too large to be a place, and puts an unreadable time first", () => {
    expect(eventSequence({ datetime: "2026-01-01T00:00:00Z", order: TIME_ORDERED_FROM })).toBe(
      Date.parse("2026-01-01T00:00:00Z") * 1000,
    );
    expect(eventSequence({ datetime: "yesterday" })).toBe(0);
  });
});
