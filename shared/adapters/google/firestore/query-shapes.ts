import type { Query } from "@google-cloud/firestore";
import type { EventSelectorField } from "../../../ports/index.js";
import { COLLECTION_IDS } from "./layout.js";

export type QueryScope = "COLLECTION" | "COLLECTION_GROUP";

export interface SortOrder {
  readonly fieldPath: string;
  readonly direction: "asc" | "desc";
}

/**
 * What a query needs from Firestore's indexes: its collection, its equality (`==`, `in`) fields and its sort order.
 * A range filter is only ever on the first sort field, which needs no index of its own. Every query the stores
 * issue is built from a shape by {@link shapedQuery}, and {@link FIRESTORE_QUERY_SHAPES} lists them all, so a test
 * can hold `infra/firestore.indexes.json` to them.
 */
export interface QueryShape {
  /** The collection ID as deployed, without a test prefix. */
  readonly collectionGroup: string;
  readonly queryScope: QueryScope;
  readonly equalities: readonly string[];
  /** Firestore breaks ties by document path, in the direction of the last sort field. */
  readonly orderBy: readonly SortOrder[];
}

/** Each equality field's value; a list is matched with `in`, null with `== null` (a field stored as null). */
export type FilterValues = Readonly<Record<string, string | null | readonly string[]>>;

/** Applies `shape`'s filters (with `values`) and sort order to `source`. */
export function shapedQuery(source: Query, shape: QueryShape, values: FilterValues): Query {
  let query = source;
  for (const field of shape.equalities) {
    const value = values[field];
    if (value === undefined) throw new Error(`no value for the query field ${field}`);
    query =
      value === null || typeof value === "string" ? query.where(field, "==", value) : query.where(field, "in", value);
  }
  for (const { fieldPath, direction } of shape.orderBy) query = query.orderBy(fieldPath, direction);
  return query;
}

/** The fields `list` filters questions by, in the order their filters are applied. */
export const QUESTION_FILTER_FIELDS = ["parentQuestionUuid", "originatorQuestionUuid", "recipient", "status"] as const;
export type QuestionFilterField = (typeof QUESTION_FILTER_FIELDS)[number];

/** Newest first, as the SQLite adapter's creation order; questions created in the same millisecond by document ID. */
export function questionListShape(fields: readonly QuestionFilterField[]): QueryShape {
  return {
    collectionGroup: COLLECTION_IDS.questions,
    queryScope: "COLLECTION",
    equalities: QUESTION_FILTER_FIELDS.filter((field) => fields.includes(field)),
    orderBy: [{ fieldPath: "createdAt", direction: "desc" }],
  };
}

/**
 * One question's events come from its own subcollection in sequence order, ties (events that share a place) in
 * arrival order; a tree's come from the `events` collection group in arrival order. The SQLite adapter's orders:
 * (sequence, arrival) and (recorded_at, arrival).
 */
export function eventShape(selector: EventSelectorField, byKind: boolean): QueryShape {
  const kind = byKind ? ["kind"] : [];
  if (selector === "questionUuid") {
    return {
      collectionGroup: COLLECTION_IDS.events,
      queryScope: "COLLECTION",
      equalities: kind,
      orderBy: [
        { fieldPath: "sequence", direction: "asc" },
        { fieldPath: "recordedAt", direction: "asc" },
      ],
    };
  }
  return {
    collectionGroup: COLLECTION_IDS.events,
    queryScope: "COLLECTION_GROUP",
    equalities: [selector, ...kind],
    orderBy: [
      { fieldPath: "recordedAt", direction: "asc" },
      { fieldPath: "sequence", direction: "asc" },
    ],
  };
}

export interface RevisionFilterFields {
  readonly namespace: boolean;
  readonly name: boolean;
}

/** Newest registration first. One service's revisions are its own subcollection; wider lists a collection group. */
export function revisionListShape(filter: RevisionFilterFields): QueryShape {
  const byRegistration: readonly SortOrder[] = [{ fieldPath: "registeredAt", direction: "desc" }];
  if (filter.namespace && filter.name) {
    return {
      collectionGroup: COLLECTION_IDS.revisions,
      queryScope: "COLLECTION",
      equalities: [],
      orderBy: byRegistration,
    };
  }
  return {
    collectionGroup: COLLECTION_IDS.revisions,
    queryScope: "COLLECTION_GROUP",
    equalities: [...(filter.namespace ? ["namespace"] : []), ...(filter.name ? ["name"] : [])],
    orderBy: byRegistration,
  };
}

/**
 * Newest first seen first, ties by document ID (the dead letter's ID) descending, as the SQLite adapter; only pending
 * ones by their `status`. A range on `firstSeenAt` (the first sort field) needs no index of its own.
 */
export function deadLetterListShape(pendingOnly: boolean): QueryShape {
  return {
    collectionGroup: COLLECTION_IDS.deadLetters,
    queryScope: "COLLECTION",
    equalities: pendingOnly ? ["status"] : [],
    orderBy: [{ fieldPath: "firstSeenAt", direction: "desc" }],
  };
}

/** Every shape of query the Firestore stores can issue. */
export const FIRESTORE_QUERY_SHAPES: readonly QueryShape[] = [
  ...subsets(QUESTION_FILTER_FIELDS).map(questionListShape),
  ...(["questionUuid", "parentQuestionUuid", "originatorQuestionUuid"] as const).flatMap((selector) => [
    eventShape(selector, false),
    eventShape(selector, true),
  ]),
  ...[false, true].flatMap((namespace) => [false, true].map((name) => revisionListShape({ namespace, name }))),
  ...[false, true].map(deadLetterListShape),
];

function subsets<T>(items: readonly T[]): T[][] {
  const all: T[][] = [[]];
  for (const item of items) all.push(...all.map((subset) => [...subset, item]));
  return all;
}
