import { Firestore } from "@google-cloud/firestore";
import { definedProperties } from "../../../objects/index.js";

export interface FirestoreStoreOptions {
  /** Uses this client without taking ownership: `close` leaves it open. */
  readonly firestore?: Firestore;
  /** The project of the client the store creates when none is given (default: from the environment). */
  readonly projectId?: string;
  /** The database of the client the store creates (default: `(default)`). */
  readonly databaseId?: string;
  /**
   * Put before every collection ID, subcollections included, so stores with different prefixes share a database
   * without seeing each other's documents (tests, several deployments). Letters, digits, `-` and `_`.
   */
  readonly collectionPrefix?: string;
  /** The clock for recorded times; injectable so tests control ordering. */
  readonly now?: () => Date;
}

/** A client (the one given, or a new one the caller then owns) and whether the caller must terminate it. */
export function firestoreClient(options: FirestoreStoreOptions): { firestore: Firestore; owned: boolean } {
  if (options.firestore !== undefined) return { firestore: options.firestore, owned: false };
  const firestore = new Firestore({
    ...definedProperties({ projectId: options.projectId, databaseId: options.databaseId }),
  });
  return { firestore, owned: true };
}

/**
 * Attempts for transactions that move one question (its status, with the events that announce it). Moves of one
 * question can race (a final event, a cancellation, the reconciler), so more than the client's default of 5; past
 * that, the caller's message is redelivered later anyway.
 */
export const TRANSACTION_ATTEMPTS = 10;
