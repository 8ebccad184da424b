export type { FirestoreStoreOptions } from "./client.js";
export { FirestoreDeadLetterStore } from "./dead-letter-store.js";
export { type FirestoreStores, openFirestoreStores } from "./firestore-stores.js";
export { COLLECTION_IDS } from "./layout.js";
export {
  deadLetterListShape,
  eventShape,
  FIRESTORE_QUERY_SHAPES,
  type QueryScope,
  type QueryShape,
  questionListShape,
  revisionListShape,
  type SortOrder,
} from "./query-shapes.js";
export { type EventQueryPlan, planEventQuery, planQuestionList, type QuestionListPlan } from "./question-queries.js";
export { FirestoreQuestionStore } from "./question-store.js";
export { FirestoreRevisionStore } from "./revision-store.js";
