import { type DocumentData, type Firestore, Timestamp } from "@google-cloud/firestore";
import { DeadLetterNotFound, InvalidStoreQuery, StoreClosed } from "../../../errors/index.js";
import {
  type DeadLetterQuery,
  type DeadLetterRecord,
  type DeadLetterStore,
  deadLetterLimit,
  isMessageAttributes,
  type NewDeadLetter,
} from "../../../ports/index.js";
import { hasGoogleApiStatus, Status } from "../google-api-status.js";
import { type FirestoreStoreOptions, firestoreClient } from "./client.js";
import { FieldReader, isoTime } from "./field-reader.js";
import { FirestoreLayout, isDocumentId } from "./layout.js";
import { deadLetterListShape, shapedQuery } from "./query-shapes.js";

/**
 * Data up to this size is kept in the dead letter's own document. A document holds at most 1 MiB, and a Pub/Sub
 * message up to 10 MB of data besides up to 100 attributes of 1 KB: the rest of the document needs the difference.
 */
const INLINE_DATA_BYTES = 700_000;

/** The size of each part of larger data, each a document of its own. */
const CHUNK_BYTES = 900_000;

/** A dead letter's `status` field, which the pending list filters on. */
type DocumentStatus = "pending" | "replayed";

/**
 * The cloud {@link DeadLetterStore}: `deadLetters/{id}`, its data inline or, when larger than a document allows, in
 * parts under `deadLetters/{id}/deadLetterChunks/{part}`, written before the dead letter itself so that a kept dead
 * letter is always whole. Recording is a `create` precondition; marking replayed is a transaction on `status`.
 */
export class FirestoreDeadLetterStore implements DeadLetterStore {
  private readonly db: Firestore;
  private readonly ownsClient: boolean;
  private readonly layout: FirestoreLayout;
  private readonly now: () => Date;
  private closed = false;

  constructor(options: FirestoreStoreOptions = {}) {
    const { firestore, owned } = firestoreClient(options);
    this.db = firestore;
    this.ownsClient = owned;
    this.layout = new FirestoreLayout(firestore, options.collectionPrefix);
    this.now = options.now ?? (() => new Date());
  }

  /** @throws InvalidStoreQuery for an ID that cannot name a document (Pub/Sub's message IDs are digits). */
  async record(letter: NewDeadLetter): Promise<{ created: boolean; letter: DeadLetterRecord }> {
    this.assertOpen();
    if (!isDocumentId(letter.id)) {
      throw new InvalidStoreQuery("id", `the dead letter ID ${JSON.stringify(letter.id)} cannot name a document`);
    }
    const existing = await this.get(letter.id);
    if (existing !== undefined) return { created: false, letter: existing };
    const chunks = letter.data.byteLength > INLINE_DATA_BYTES ? split(letter.data) : [];
    // Parts first: they have fixed names, so writing them again after a failure is harmless.
    for (const [part, chunk] of chunks.entries()) {
      await this.layout.deadLetterChunk(letter.id, part).set({ data: chunk });
    }
    const firstSeenAt = Timestamp.fromDate(this.now());
    const document = {
      reason: letter.reason,
      topic: letter.topic ?? null,
      firstSeenAt,
      attempts: letter.attempts,
      questionUuid: letter.questionUuid ?? null,
      // JSON text: attribute names may hold dots and other characters that field paths treat specially.
      attributes: JSON.stringify(letter.attributes),
      data: chunks.length === 0 ? letter.data : null,
      dataChunks: chunks.length,
      status: "pending" satisfies DocumentStatus,
      replayedAt: null,
    };
    try {
      await this.layout.deadLetter(letter.id).create(document);
    } catch (error) {
      // Another delivery of the same dead letter recorded it first.
      if (!hasGoogleApiStatus(error, Status.ALREADY_EXISTS)) throw error;
      return { created: false, letter: await this.require(letter.id) };
    }
    return { created: true, letter: { ...letter, firstSeenAt: isoTime(firstSeenAt), replayedAt: undefined } };
  }

  async get(id: string): Promise<DeadLetterRecord | undefined> {
    this.assertOpen();
    if (!isDocumentId(id)) return undefined;
    const snapshot = await this.layout.deadLetter(id).get();
    return snapshot.exists ? this.fromDocument(id, snapshot.data()) : undefined;
  }

  async list(query: DeadLetterQuery = {}): Promise<DeadLetterRecord[]> {
    this.assertOpen();
    const limit = deadLetterLimit(query.limit);
    if (limit === 0) return [];
    const pendingOnly = query.pendingOnly === true;
    let source = shapedQuery(
      this.layout.deadLetters(),
      deadLetterListShape(pendingOnly),
      pendingOnly ? { status: "pending" satisfies DocumentStatus } : {},
    );
    if (query.seenNoLaterThan !== undefined) {
      source = source.where("firstSeenAt", "<=", Timestamp.fromDate(new Date(query.seenNoLaterThan)));
    }
    const { docs } = await source.limit(limit).get();
    return Promise.all(docs.map((snapshot) => this.fromDocument(snapshot.id, snapshot.data())));
  }

  async markReplayed(id: string, at: string): Promise<boolean> {
    this.assertOpen();
    if (!isDocumentId(id)) throw new DeadLetterNotFound(id);
    const ref = this.layout.deadLetter(id);
    return this.db.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(ref);
      if (!snapshot.exists) throw new DeadLetterNotFound(id);
      if (statusOf(id, snapshot.data()) === "replayed") return false;
      transaction.update(ref, {
        status: "replayed" satisfies DocumentStatus,
        replayedAt: Timestamp.fromDate(new Date(at)),
      });
      return true;
    });
  }

  async clearReplayed(id: string, at: string): Promise<void> {
    this.assertOpen();
    if (!isDocumentId(id)) return;
    const ref = this.layout.deadLetter(id);
    await this.db.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(ref);
      if (!snapshot.exists) return;
      const replayedAt = FieldReader.of(snapshot.data(), "dead letter", id).optionalTimestamp("replayedAt");
      if (replayedAt === undefined || isoTime(replayedAt) !== new Date(at).toISOString()) return;
      transaction.update(ref, { status: "pending" satisfies DocumentStatus, replayedAt: null });
    });
  }

  /** Terminates the client if this store created it; a given client stays open for its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.db.terminate();
  }

  private async require(id: string): Promise<DeadLetterRecord> {
    const letter = await this.get(id);
    if (letter === undefined) throw new DeadLetterNotFound(id);
    return letter;
  }

  private async fromDocument(id: string, data: DocumentData | undefined): Promise<DeadLetterRecord> {
    const read: FieldReader = FieldReader.of(data, "dead letter", id);
    const parts = read.number("dataChunks");
    const replayedAt = read.optionalTimestamp("replayedAt");
    return {
      id,
      reason: read.text("reason"),
      topic: read.optionalText("topic"),
      firstSeenAt: read.time("firstSeenAt"),
      attempts: read.number("attempts"),
      questionUuid: read.optionalText("questionUuid"),
      data: parts === 0 ? read.value("data", Buffer.isBuffer, "bytes") : await this.chunkedData(id, parts, read),
      attributes: read.json("attributes", isMessageAttributes, "message attributes (text by name)"),
      replayedAt: replayedAt === undefined ? undefined : isoTime(replayedAt),
    };
  }

  private async chunkedData(id: string, parts: number, read: FieldReader): Promise<Buffer> {
    const refs = Array.from({ length: parts }, (_, part) => this.layout.deadLetterChunk(id, part));
    const snapshots = await this.db.getAll(...refs);
    return Buffer.concat(
      snapshots.map((snapshot, part) => {
        const chunk: unknown = snapshot.get("data");
        if (!Buffer.isBuffer(chunk)) read.fail(`part ${part} of its data is missing`);
        return chunk;
      }),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("Firestore dead letter store");
  }
}

function statusOf(id: string, data: DocumentData | undefined): DocumentStatus {
  const read: FieldReader = FieldReader.of(data, "dead letter", id);
  const status = read.text("status");
  if (status !== "pending" && status !== "replayed") read.fail(`field status is ${JSON.stringify(status)}`);
  return status;
}

function split(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < data.byteLength; start += CHUNK_BYTES)
    chunks.push(data.subarray(start, start + CHUNK_BYTES));
  return chunks;
}
