import type { CollectionReference, DocumentReference, Firestore, Query } from "@google-cloud/firestore";
import { TwinedError } from "../../../errors/index.js";

/** Collection IDs as deployed, and as `infra/firestore.indexes.json` names them. */
export const COLLECTION_IDS = {
  questions: "questions",
  events: "events",
  eventIds: "eventIds",
  namespaces: "namespaces",
  services: "services",
  revisions: "revisions",
  deadLetters: "deadLetters",
  deadLetterChunks: "deadLetterChunks",
} as const;

export type CollectionName = keyof typeof COLLECTION_IDS;

/** Letters, digits, `-` and `_`: a prefix can then never form a path separator or a reserved `__…__` ID. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]*$/;

/** Firestore's limit on a document ID, in UTF-8 bytes. */
const MAX_DOCUMENT_ID_BYTES = 1500;

/**
 * Where each document lives. The prefix goes on every collection ID, subcollections included, so collection-group
 * queries of one prefixed store never see another's documents (tests, or several deployments in one database).
 */
export class FirestoreLayout {
  constructor(
    readonly db: Firestore,
    readonly prefix = "",
  ) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new TwinedError(
        `The Firestore collection prefix ${JSON.stringify(prefix)} may only hold letters, digits, "-" and "_".`,
      );
    }
  }

  collectionId(name: CollectionName): string {
    return `${this.prefix}${COLLECTION_IDS[name]}`;
  }

  questions(): CollectionReference {
    return this.db.collection(this.collectionId("questions"));
  }

  question(questionUuid: string): DocumentReference {
    return this.questions().doc(questionUuid);
  }

  events(questionUuid: string): CollectionReference {
    return this.question(questionUuid).collection(this.collectionId("events"));
  }

  event(questionUuid: string, sequence: number, eventUuid: string): DocumentReference {
    return this.events(questionUuid).doc(eventDocumentId(sequence, eventUuid));
  }

  eventId(eventUuid: string): DocumentReference {
    return this.db.collection(this.collectionId("eventIds")).doc(eventUuid);
  }

  service(namespace: string, name: string): DocumentReference {
    return this.db
      .collection(this.collectionId("namespaces"))
      .doc(namespace)
      .collection(this.collectionId("services"))
      .doc(name);
  }

  revisions(namespace: string, name: string): CollectionReference {
    return this.service(namespace, name).collection(this.collectionId("revisions"));
  }

  revision(namespace: string, name: string, revisionTag: string): DocumentReference {
    return this.revisions(namespace, name).doc(revisionTag);
  }

  deadLetters(): CollectionReference {
    return this.db.collection(this.collectionId("deadLetters"));
  }

  deadLetter(id: string): DocumentReference {
    return this.deadLetters().doc(id);
  }

  /** The parts of a dead letter's data too large for its own document, by part number. */
  deadLetterChunk(id: string, part: number): DocumentReference {
    return this.deadLetter(id).collection(this.collectionId("deadLetterChunks")).doc(String(part).padStart(4, "0"));
  }

  group(name: CollectionName): Query {
    return this.db.collectionGroup(this.collectionId(name));
  }
}

/**
 * The sequence zero-padded (so the console lists a question's events in order), then the event's UUID (so events
 * that share a place, sent in the same microsecond, are still two documents).
 */
export function eventDocumentId(sequence: number, eventUuid: string): string {
  return `${String(sequence).padStart(16, "0")}-${eventUuid}`;
}

/**
 * Whether `id` can name a document as it is. Keys that cannot (a `/` would address another path) are never stored,
 * so a lookup by one finds nothing rather than throwing a path error.
 */
export function isDocumentId(id: string): boolean {
  return (
    id !== "" &&
    id !== "." &&
    id !== ".." &&
    !id.includes("/") &&
    !/^__.*__$/.test(id) &&
    Buffer.byteLength(id, "utf8") <= MAX_DOCUMENT_ID_BYTES
  );
}
