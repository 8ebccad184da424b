import type { Firestore } from "@google-cloud/firestore";
import { type FirestoreStoreOptions, firestoreClient } from "./client.js";
import { FirestoreQuestionStore } from "./question-store.js";
import { FirestoreRevisionStore } from "./revision-store.js";

/** Both cloud stores over one client, and the one `close` that ends it (if it was created here). */
export interface FirestoreStores {
  readonly firestore: Firestore;
  readonly questions: FirestoreQuestionStore;
  readonly revisions: FirestoreRevisionStore;
  close(): Promise<void>;
}

/** Opens both stores on the given client, or on one client of their own for `projectId` and `databaseId`. */
export function openFirestoreStores(options: FirestoreStoreOptions = {}): FirestoreStores {
  const { firestore, owned } = firestoreClient(options);
  const shared = { ...options, firestore };
  const questions = new FirestoreQuestionStore(shared);
  const revisions = new FirestoreRevisionStore(shared);
  let closed = false;
  return {
    firestore,
    questions,
    revisions,
    async close() {
      if (closed) return;
      closed = true;
      await questions.close();
      await revisions.close();
      if (owned) await firestore.terminate();
    },
  };
}
