import { InvalidStoreQuery } from "../errors/index.js";
import type { EventQuery, QuestionFilter } from "./question-store.js";

/*
 * The checks every question store makes of a query before running it, so that a query one adapter refuses, every
 * adapter refuses with the same message.
 */

/** How many events or questions a query returns when it sets no limit. */
export const DEFAULT_QUERY_LIMIT = 1000;

/** Which of a question tree's links an event query follows. */
export type EventSelectorField = "questionUuid" | "parentQuestionUuid" | "originatorQuestionUuid";

export interface EventSelector {
  readonly field: EventSelectorField;
  readonly key: string;
}

/**
 * The one selector an event query gives, with `afterSequence` checked against it.
 * @throws InvalidStoreQuery for no selector or several, or `afterSequence` that is not a number or not with
 *   `questionUuid` (sequence numbers are per question).
 */
export function eventSelector(query: EventQuery): EventSelector {
  const given = [
    { field: "questionUuid" as const, key: query.questionUuid },
    { field: "parentQuestionUuid" as const, key: query.parentQuestionUuid },
    { field: "originatorQuestionUuid" as const, key: query.originatorQuestionUuid },
  ].filter((selector): selector is EventSelector => selector.key !== undefined);
  const [only, ...others] = given;
  if (only === undefined || others.length > 0) {
    throw new InvalidStoreQuery(
      "questionUuid | parentQuestionUuid | originatorQuestionUuid",
      `give exactly one of the three selectors (got ${given.length})`,
    );
  }
  if (query.afterSequence !== undefined) {
    if (only.field !== "questionUuid") {
      throw new InvalidStoreQuery("afterSequence", "sequence numbers are per question: use it with questionUuid");
    }
    if (!Number.isFinite(query.afterSequence)) throw new InvalidStoreQuery("afterSequence", "must be a number");
  }
  return only;
}

/**
 * A query's limit, or the default.
 * @throws InvalidStoreQuery for a limit that is not a whole number of at least 0.
 */
export function queryLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidStoreQuery("limit", `must be a whole number of at least 0, got ${limit}`);
  }
  return limit;
}

/**
 * Checks a question filter and gives its times in one form (`Date.toISOString()`), so stores compare them alike.
 * @throws InvalidStoreQuery for `topLevel` with `parentQuestionUuid`, or a time that is not ISO-8601.
 */
export function checkedQuestionFilter<T extends QuestionFilter>(filter: T): T {
  if (filter.topLevel === true && filter.parentQuestionUuid !== undefined) {
    throw new InvalidStoreQuery("topLevel", "a top-level question has no parent: do not give parentQuestionUuid too");
  }
  const time = (field: "createdFrom" | "createdBefore") => {
    const value = filter[field];
    if (value === undefined) return {};
    const zoned = ISO_TIME.exec(value);
    const parsed =
      zoned === null ? undefined : new Date(zoned[4] === undefined && zoned[1] !== undefined ? `${value}Z` : value);
    if (parsed === undefined || Number.isNaN(parsed.getTime())) {
      throw new InvalidStoreQuery(field, `must be an ISO-8601 time such as 2026-01-31T12:00:00Z, got ${value}`);
    }
    return { [field]: parsed.toISOString() };
  };
  return { ...filter, ...time("createdFrom"), ...time("createdBefore") };
}

/** A date, or a date and time with an optional zone (UTC when none). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
