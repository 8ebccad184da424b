import { InvalidStoreQuery } from "../../../errors/index.js";
import type { EventQuery, QuestionQuery } from "../../../ports/index.js";
import {
  type EventSelectorField,
  eventShape,
  type FilterValues,
  QUESTION_FILTER_FIELDS,
  type QueryShape,
  questionListShape,
} from "./query-shapes.js";

/** How many events or questions a query returns when it sets no limit: the SQLite adapter's default. */
export const DEFAULT_QUERY_LIMIT = 1000;

/** Firestore's limit on the values of one `in` filter. */
const MAX_IN_VALUES = 30;

export interface EventQueryPlan {
  readonly selector: { readonly field: EventSelectorField; readonly key: string };
  readonly shape: QueryShape;
  readonly values: FilterValues;
  readonly afterSequence: number | undefined;
  readonly limit: number;
  /** Kinds are filtered after reading when the query cannot: exclusions, and more kinds than `in` takes. */
  readonly keepKind: ((kind: string) => boolean) | undefined;
}

/**
 * Checks an event query as the SQLite adapter does and turns it into a Firestore query. Allowed kinds are filtered
 * in the query (minus the excluded ones, so one `in` filter does both); excluded kinds alone are filtered after
 * reading, because `not-in` would force the results into kind order.
 *
 * @returns undefined when nothing can match (no allowed kinds, or a limit of 0).
 * @throws InvalidStoreQuery for no selector or several, a bad limit, or `afterSequence` without a question UUID.
 */
export function planEventQuery(query: EventQuery): EventQueryPlan | undefined {
  const selector = eventSelector(query);
  const limit = checkedLimit(query.limit);
  if (query.afterSequence !== undefined) {
    if (selector.field !== "questionUuid") {
      throw new InvalidStoreQuery("afterSequence", "sequence numbers are per question: use it with questionUuid");
    }
    if (!Number.isFinite(query.afterSequence)) throw new InvalidStoreQuery("afterSequence", "must be a number");
  }
  // No allowed kinds means no events, not "any kind".
  if (query.kinds?.length === 0 || limit === 0) return undefined;
  const excluded = new Set(query.excludeKinds ?? []);
  const allowed = query.kinds === undefined ? undefined : [...new Set(query.kinds)].filter((k) => !excluded.has(k));
  if (allowed?.length === 0) return undefined;
  const kindInQuery = allowed !== undefined && allowed.length <= MAX_IN_VALUES;
  const values: Record<string, string | readonly string[]> = {};
  if (selector.field !== "questionUuid") values[selector.field] = selector.key;
  if (kindInQuery) values.kind = allowed;
  return {
    selector,
    shape: eventShape(selector.field, kindInQuery),
    values,
    afterSequence: query.afterSequence,
    limit,
    keepKind: kindFilter(kindInQuery ? undefined : allowed, excluded),
  };
}

function kindFilter(allowed: readonly string[] | undefined, excluded: ReadonlySet<string>) {
  if (allowed !== undefined) {
    const allowedSet = new Set(allowed);
    return (kind: string) => allowedSet.has(kind);
  }
  if (excluded.size > 0) return (kind: string) => !excluded.has(kind);
  return undefined;
}

function eventSelector(query: EventQuery): { field: EventSelectorField; key: string } {
  const given = [
    { field: "questionUuid" as const, key: query.questionUuid },
    { field: "parentQuestionUuid" as const, key: query.parentQuestionUuid },
    { field: "originatorQuestionUuid" as const, key: query.originatorQuestionUuid },
  ].filter((selector): selector is { field: EventSelectorField; key: string } => selector.key !== undefined);
  const [only, ...others] = given;
  if (only === undefined || others.length > 0) {
    throw new InvalidStoreQuery(
      "questionUuid | parentQuestionUuid | originatorQuestionUuid",
      `give exactly one of the three selectors (got ${given.length})`,
    );
  }
  return only;
}

export interface QuestionListPlan {
  readonly shape: QueryShape;
  readonly values: FilterValues;
  readonly limit: number;
}

/**
 * @returns undefined for a limit of 0.
 * @throws InvalidStoreQuery for a bad limit.
 */
export function planQuestionList(query: QuestionQuery): QuestionListPlan | undefined {
  const limit = checkedLimit(query.limit);
  if (limit === 0) return undefined;
  const values: Record<string, string> = {};
  for (const field of QUESTION_FILTER_FIELDS) {
    const value = query[field];
    if (value !== undefined) values[field] = value;
  }
  const fields = QUESTION_FILTER_FIELDS.filter((field) => values[field] !== undefined);
  return { shape: questionListShape(fields), values, limit };
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidStoreQuery("limit", `must be a whole number of at least 0, got ${limit}`);
  }
  return limit;
}
