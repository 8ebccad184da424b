import {
  checkedQuestionFilter,
  type EventQuery,
  type EventSelector,
  eventSelector,
  type QuestionFilter,
  type QuestionQuery,
  queryLimit,
} from "../../../ports/index.js";
import {
  eventShape,
  type FilterValues,
  QUESTION_FILTER_FIELDS,
  type QueryShape,
  questionListShape,
} from "./query-shapes.js";

/** Firestore's limit on the values of one `in` filter. */
const MAX_IN_VALUES = 30;

export interface EventQueryPlan {
  readonly selector: EventSelector;
  readonly shape: QueryShape;
  readonly values: FilterValues;
  readonly afterSequence: number | undefined;
  readonly limit: number;
  /** Kinds are filtered after reading when the query cannot: exclusions, and more kinds than `in` takes. */
  readonly keepKind: ((kind: string) => boolean) | undefined;
}

/**
 * Checks an event query as every store does (`eventSelector`, `queryLimit`) and turns it into a Firestore query. Allowed kinds are filtered
 * in the query (minus the excluded ones, so one `in` filter does both); excluded kinds alone are filtered after
 * reading, because `not-in` would force the results into kind order.
 *
 * @returns undefined when nothing can match (no allowed kinds, or a limit of 0).
 * @throws InvalidStoreQuery for no selector or several, a bad limit, or `afterSequence` without a question UUID.
 */
export function planEventQuery(query: EventQuery): EventQueryPlan | undefined {
  const selector = eventSelector(query);
  const limit = queryLimit(query.limit);
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

export interface QuestionListPlan {
  readonly shape: QueryShape;
  readonly values: FilterValues;
  readonly limit: number;
  /** A range on `createdAt` (the first sort field, so it needs no index of its own): ISO-8601 times. */
  readonly createdFrom: string | undefined;
  readonly createdBefore: string | undefined;
  /** The page goes on after this question's document. */
  readonly afterQuestionUuid: string | undefined;
}

/**
 * Checks a list or count query as every store does and turns it into a Firestore query: top-level questions are
 * those whose `parentQuestionUuid` is stored as null, so they take the parent's index.
 * @returns undefined for a limit of 0.
 * @throws InvalidStoreQuery for a bad limit or time, or `topLevel` with `parentQuestionUuid`.
 */
export function planQuestionList(query: QuestionQuery): QuestionListPlan | undefined {
  const limit = queryLimit(query.limit);
  const plan = planQuestionFilter(query);
  if (limit === 0) return undefined;
  return { ...plan, limit, afterQuestionUuid: query.afterQuestionUuid };
}

/** The filter of a list or a count, as {@link planQuestionList} plans it, without a limit or a page. */
export function planQuestionFilter(query: QuestionFilter): Omit<QuestionListPlan, "limit" | "afterQuestionUuid"> {
  const filter = checkedQuestionFilter(query);
  const values: Record<string, string | null> = {};
  for (const field of QUESTION_FILTER_FIELDS) {
    const value = filter[field];
    if (value !== undefined) values[field] = value;
  }
  if (filter.topLevel === true) values.parentQuestionUuid = null;
  const fields = QUESTION_FILTER_FIELDS.filter((field) => values[field] !== undefined);
  return {
    shape: questionListShape(fields),
    values,
    createdFrom: filter.createdFrom,
    createdBefore: filter.createdBefore,
  };
}
