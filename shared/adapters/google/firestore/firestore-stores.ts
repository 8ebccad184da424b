import type { Firestore } from "@google-cloud/firestore";
import { type FirestoreStoreOptions, firestoreClient } from "./client.js";
import { FirestoreDeadLetterStore } from "./dead-letter-store.js";
import { FirestoreQuestionStore } from "./question-store.js";
import { FirestoreRevisionStore } from "./revision-store.js";

/** The cloud stores over one client, and the one `close` that ends it (if it was created here). */
export interface FirestoreStores {
  readonly firestore: Firestore;
  readonly questions: FirestoreQuestionStore;
  readonly revisions: FirestoreRevisionStore;
  readonly deadLetters: FirestoreDeadLetterStore;
  close(): Promise<void>;
}

/** Opens every store on the given client, or on one client of their own for `projectId` and `databaseId`. */
export function openFirestoreStores(options: FirestoreStoreOptions = {}): FirestoreStores {
  const { firestore, owned } = firestoreClient(options);
  const shared = { ...options, firestore };
  const questions = new FirestoreQuestionStore(shared);
  const revisions = new FirestoreRevisionStore(shared);
  const deadLetters = new FirestoreDeadLetterStore(shared);
  let closed = false;
  return {
    firestore,
    questions,
    revisions,
    deadLetters,
    async close() {
      if (closed) return;
      closed = true;
      await questions.close();
      await revisions.close();
      await deadLetters.close();
      if (owned) await firestore.terminate();
    },
  };
}
