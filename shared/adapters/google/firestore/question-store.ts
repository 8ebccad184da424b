import { type Firestore, type Query, type QueryDocumentSnapshot, Timestamp } from "@google-cloud/firestore";
import { EventUuidConflict, InvalidEvent, QuestionNotFound, StoreClosed } from "../../../errors/index.js";
import type { ChildEventEnvelope, EventEnvelope } from "../../../events/index.js";
import type {
  EventQuery,
  NewQuestion,
  QuestionOutcome,
  QuestionQuery,
  QuestionRecord,
  QuestionStore,
  StoredEvent,
} from "../../../ports/index.js";
import { canTransition, isTerminal, type QuestionStatus } from "../../../questions/index.js";
import { hasGoogleApiStatus, Status } from "../google-api-status.js";
import { type FirestoreStoreOptions, firestoreClient, TRANSACTION_ATTEMPTS } from "./client.js";
import { FirestoreLayout, isDocumentId } from "./layout.js";
import { shapedQuery } from "./query-shapes.js";
import {
  eventDocument,
  eventIdFromDocument,
  eventKindOf,
  eventNumberingFromDocument,
  newQuestionDocument,
  questionFromDocument,
  storedEventFromDocument,
  transitionChanges,
} from "./question-documents.js";
import { type EventQueryPlan, planEventQuery, planQuestionList } from "./question-queries.js";

/** Events read per round trip when some are filtered out after reading. */
const MIN_PAGE_SIZE = 50;

/** How long closing waits for transactions under way (contended ones can take seconds on the emulator). */
const CLOSE_WAIT_MS = 30_000;

/**
 * The cloud {@link QuestionStore}: `questions/{questionUuid}`, its events in `questions/{uuid}/events/{sequence}`,
 * and `eventIds/{eventUuid}` recording which question and sequence each event UUID first got. Creation is a `create`
 * precondition; status changes and event numbering are transactions reading only the documents they decide on.
 */
export class FirestoreQuestionStore implements QuestionStore {
  private readonly db: Firestore;
  private readonly ownsClient: boolean;
  private readonly layout: FirestoreLayout;
  private readonly now: () => Date;
  private closed = false;
  /** Transactions under way: closing waits for them, as terminating the client under them fails them obscurely. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: FirestoreStoreOptions = {}) {
    const { firestore, owned } = firestoreClient(options);
    this.db = firestore;
    this.ownsClient = owned;
    this.layout = new FirestoreLayout(firestore, options.collectionPrefix);
    this.now = options.now ?? (() => new Date());
  }

  async create(question: NewQuestion): Promise<{ created: boolean; question: QuestionRecord }> {
    this.assertOpen();
    const { questionUuid } = question;
    if (!isDocumentId(questionUuid)) {
      throw new InvalidEvent(`the question UUID ${JSON.stringify(questionUuid)} cannot name a document`, {
        pointer: "/attributes/question_uuid",
        questionUuid,
      });
    }
    const document = newQuestionDocument(question, this.timestamp());
    try {
      await this.layout.question(questionUuid).create(document);
      return { created: true, question: questionFromDocument(questionUuid, document) };
    } catch (error) {
      // The `create` precondition found the document already there.
      if (!hasGoogleApiStatus(error, Status.ALREADY_EXISTS)) throw error;
    }
    return { created: false, question: await this.require(questionUuid) };
  }

  async get(questionUuid: string): Promise<QuestionRecord | undefined> {
    this.assertOpen();
    if (!isDocumentId(questionUuid)) return undefined;
    const snapshot = await this.layout.question(questionUuid).get();
    return snapshot.exists ? questionFromDocument(questionUuid, snapshot.data()) : undefined;
  }

  async transition(
    questionUuid: string,
    to: QuestionStatus,
    outcome?: QuestionOutcome,
  ): Promise<{ applied: boolean; question: QuestionRecord }> {
    this.assertOpen();
    if (!isDocumentId(questionUuid)) throw new QuestionNotFound(questionUuid);
    const ref = this.layout.question(questionUuid);
    return this.track(
      this.db.runTransaction(
        async (transaction) => {
          const data = (await transaction.get(ref)).data();
          if (data === undefined) throw new QuestionNotFound(questionUuid);
          const current = questionFromDocument(questionUuid, data);
          if (!canTransition(current.status, to)) return { applied: false, question: current };
          // An outcome only belongs to the status that ends the question; with any other it is ignored.
          const changes = transitionChanges(data, to, this.timestamp(), isTerminal(to) ? outcome : undefined);
          transaction.update(ref, changes);
          return { applied: true, question: questionFromDocument(questionUuid, { ...data, ...changes }) };
        },
        { maxAttempts: TRANSACTION_ATTEMPTS },
      ),
    );
  }

  async appendEvent(envelope: ChildEventEnvelope | EventEnvelope): Promise<{ appended: boolean; sequence: number }> {
    this.assertOpen();
    const { attributes } = envelope;
    const questionUuid = attributes.question_uuid;
    const eventUuid = eventUuidOf(envelope);
    if (!isDocumentId(questionUuid)) throw new QuestionNotFound(questionUuid);
    const questionRef = this.layout.question(questionUuid);
    const eventIdRef = this.layout.eventId(eventUuid);
    return this.track(
      this.db.runTransaction(
        async (transaction) => {
          // One read for both: the event's first recording (if any) and the question's numbering.
          const [seen, question] = await transaction.getAll(eventIdRef, questionRef);
          if (seen?.exists) {
            const first = eventIdFromDocument(eventUuid, seen.data());
            if (first.questionUuid !== questionUuid) {
              throw new EventUuidConflict(eventUuid, questionUuid, first.questionUuid);
            }
            return { appended: false, sequence: first.sequence };
          }
          if (question === undefined || !question.exists) throw new QuestionNotFound(questionUuid);
          const numbering = eventNumberingFromDocument(questionUuid, question.data());
          const sequence = numbering.lastSequence + 1;
          const recordedAt = laterTime(this.timestamp(), numbering.lastEventRecordedAt);
          transaction.create(eventIdRef, { questionUuid, sequence });
          transaction.create(
            this.layout.event(questionUuid, sequence),
            eventDocument(envelope, sequence, recordedAt, numbering),
          );
          transaction.update(questionRef, { lastSequence: sequence, lastEventRecordedAt: recordedAt });
          return { appended: true, sequence };
        },
        { maxAttempts: TRANSACTION_ATTEMPTS },
      ),
    );
  }

  async events(query: EventQuery): Promise<StoredEvent[]> {
    this.assertOpen();
    const plan = planEventQuery(query);
    if (plan === undefined) return [];
    if (plan.selector.field === "questionUuid" && !isDocumentId(plan.selector.key)) return [];
    const source =
      plan.selector.field === "questionUuid" ? this.layout.events(plan.selector.key) : this.layout.group("events");
    let firestoreQuery = shapedQuery(source, plan.shape, plan.values);
    if (plan.afterSequence !== undefined) firestoreQuery = firestoreQuery.where("sequence", ">", plan.afterSequence);
    const documents = await readFiltered(firestoreQuery, plan);
    return documents.map((document) => storedEventFromDocument(document.data(), document.ref.path));
  }

  async list(query: QuestionQuery): Promise<QuestionRecord[]> {
    this.assertOpen();
    const plan = planQuestionList(query);
    if (plan === undefined) return [];
    const snapshot = await shapedQuery(this.layout.questions(), plan.shape, plan.values).limit(plan.limit).get();
    return snapshot.docs.map((document) => questionFromDocument(document.id, document.data()));
  }

  /** Terminates the client if this store created it; a given client stays open for its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (this.ownsClient) await this.db.terminate();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.then(
      () => this.inFlight.delete(work),
      () => this.inFlight.delete(work),
    );
    return work;
  }

  private async require(questionUuid: string): Promise<QuestionRecord> {
    const question = await this.get(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    return question;
  }

  private timestamp(): Timestamp {
    return Timestamp.fromDate(this.now());
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("Firestore question store");
  }
}

/** The UUID is what makes redelivery harmless, so an event without one cannot be recorded safely. */
function eventUuidOf(envelope: ChildEventEnvelope | EventEnvelope): string {
  const { uuid, question_uuid: questionUuid } = envelope.attributes;
  if (typeof uuid !== "string" || uuid === "") {
    throw new InvalidEvent("the event has no uuid attribute to de-duplicate it by", {
      pointer: "/attributes/uuid",
      questionUuid,
    });
  }
  if (!isDocumentId(uuid)) {
    throw new InvalidEvent(`the event's uuid attribute ${JSON.stringify(uuid)} cannot name a document`, {
      pointer: "/attributes/uuid",
      questionUuid,
    });
  }
  return uuid;
}

/**
 * Never earlier than the question's previous event, so tree-wide queries (ordered by time) keep each question's
 * events in sequence even if the clock steps back.
 */
function laterTime(now: Timestamp, previous: Timestamp | undefined): Timestamp {
  return previous !== undefined && previous.toMillis() > now.toMillis() ? previous : now;
}

/** Reads up to the plan's limit of events, paging on when kinds filtered after reading leave a page short. */
async function readFiltered(query: Query, plan: EventQueryPlan): Promise<QueryDocumentSnapshot[]> {
  const { keepKind, limit } = plan;
  if (keepKind === undefined) return (await query.limit(limit).get()).docs;
  const pageSize = Math.max(limit, MIN_PAGE_SIZE);
  const kept: QueryDocumentSnapshot[] = [];
  let page = query.limit(pageSize);
  for (;;) {
    const { docs } = await page.get();
    for (const document of docs) {
      if (keepKind(eventKindOf(document.data(), document.ref.path))) kept.push(document);
      if (kept.length === limit) return kept;
    }
    const last = docs.at(-1);
    if (docs.length < pageSize || last === undefined) return kept;
    page = query.startAfter(last).limit(pageSize);
  }
}
