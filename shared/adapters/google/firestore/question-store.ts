import {
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
  Timestamp,
  type Transaction,
  type WriteBatch,
} from "@google-cloud/firestore";
import {
  EventUuidConflict,
  InvalidEvent,
  InvalidStoreQuery,
  QuestionNotFound,
  StoreClosed,
} from "../../../errors/index.js";
import type { ChildEventEnvelope, EventEnvelope } from "../../../events/index.js";
import {
  answersPerEnvelope,
  appendOneEvent,
  type EventQuery,
  type EventToRecord,
  eventsToRecord,
  type NewQuestion,
  type QuestionFilter,
  type QuestionOutcome,
  type QuestionQuery,
  type QuestionRecord,
  type QuestionStore,
  type RecordedEvents,
  type StatusChange,
  type StatusCounts,
  type StoredEvent,
} from "../../../ports/index.js";
import { canTransition, isTerminal, QUESTION_STATUSES, type QuestionStatus } from "../../../questions/index.js";
import { hasGoogleApiStatus, Status } from "../google-api-status.js";
import { type FirestoreStoreOptions, firestoreClient, TRANSACTION_ATTEMPTS } from "./client.js";
import { FirestoreLayout, isDocumentId } from "./layout.js";
import { shapedQuery } from "./query-shapes.js";
import {
  eventDocument,
  eventIdFromDocument,
  eventKindOf,
  newQuestionDocument,
  questionFromDocument,
  storedEventFromDocument,
  transitionChanges,
} from "./question-documents.js";
import { type EventQueryPlan, planEventQuery, planQuestionFilter, planQuestionList } from "./question-queries.js";

/** Events per batched write: each is two `create`s, and Firestore takes 500 writes in a batch. */
const EVENTS_PER_BATCH = 200;

/** Events read per round trip when some are filtered out after reading. */
const MIN_PAGE_SIZE = 50;

/** How long closing waits for transactions under way (contended ones can take seconds on the emulator). */
const CLOSE_WAIT_MS = 30_000;

/**
 * The cloud {@link QuestionStore}: `questions/{questionUuid}`, its events in
 * `questions/{uuid}/events/{sequence}-{eventUuid}`, and `eventIds/{eventUuid}` recording which question and sequence
 * each event UUID first got. Creation, and recording an event, are `create` preconditions; status changes are
 * transactions reading only the documents they decide on. The question's document is written only when its status
 * changes.
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

  appendEvent(envelope: ChildEventEnvelope | EventEnvelope): Promise<{ appended: boolean; sequence: number }> {
    return appendOneEvent(this, envelope);
  }

  async recordEvents(
    questionUuid: string,
    envelopes: readonly (ChildEventEnvelope | EventEnvelope)[],
    change?: StatusChange,
  ): Promise<RecordedEvents> {
    this.assertOpen();
    if (!isDocumentId(questionUuid)) throw new QuestionNotFound(questionUuid);
    const { events, positions } = eventsToRecord(questionUuid, envelopes);
    for (const event of events) assertEventUuidNamesDocument(event);
    const recorded =
      change === undefined
        ? await this.track(this.writeEvents(questionUuid, events))
        : await this.track(this.writeEventsAndStatus(questionUuid, events, change));
    return { ...recorded, events: answersPerEnvelope(positions, recorded.events) };
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
    let listed = this.questionQuery(plan);
    if (plan.afterQuestionUuid !== undefined) {
      const after = isDocumentId(plan.afterQuestionUuid)
        ? await this.layout.question(plan.afterQuestionUuid).get()
        : undefined;
      if (after?.exists !== true) {
        throw new InvalidStoreQuery("afterQuestionUuid", `no question ${plan.afterQuestionUuid} to go on after`);
      }
      listed = listed.startAfter(after);
    }
    const snapshot = await listed.limit(plan.limit).get();
    return snapshot.docs.map((document) => questionFromDocument(document.id, document.data()));
  }

  async countByStatus(filter: QuestionFilter): Promise<StatusCounts> {
    this.assertOpen();
    const plan = planQuestionFilter(filter);
    // One count per status: a count aggregation cannot group.
    const statuses = filter.status === undefined ? QUESTION_STATUSES : [filter.status];
    const counts = await Promise.all(
      statuses.map(async (status) => {
        const byStatus = planQuestionFilter({ ...filter, status });
        const snapshot = await this.questionQuery({ ...plan, ...byStatus })
          .count()
          .get();
        return [status, snapshot.data().count] as const;
      }),
    );
    return Object.fromEntries(counts.filter(([, count]) => count > 0));
  }

  private questionQuery(plan: ReturnType<typeof planQuestionFilter>): Query {
    let query = shapedQuery(this.layout.questions(), plan.shape, plan.values);
    if (plan.createdFrom !== undefined) {
      query = query.where("createdAt", ">=", Timestamp.fromDate(new Date(plan.createdFrom)));
    }
    if (plan.createdBefore !== undefined) {
      query = query.where("createdAt", "<", Timestamp.fromDate(new Date(plan.createdBefore)));
    }
    return query;
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

  /**
   * Events alone: the question is read (not locked) for its tree links, and each event is two `create`s (its UUID's
   * record and itself) in batched writes, so events of one question never contend on a document. A batch refused
   * because an event is already there is written again event by event, to find which.
   */
  private async writeEvents(
    questionUuid: string,
    events: readonly EventToRecord[],
  ): Promise<Omit<RecordedEvents, "events"> & { events: { appended: boolean; sequence: number }[] }> {
    const question = await this.require(questionUuid);
    const arrivals = this.arrivalTimes(events.length);
    const answers: { appended: boolean; sequence: number }[] = [];
    for (let start = 0; start < events.length; start += EVENTS_PER_BATCH) {
      const chunk = events.slice(start, start + EVENTS_PER_BATCH);
      const times = arrivals.slice(start, start + EVENTS_PER_BATCH);
      try {
        const batch = this.db.batch();
        for (const [index, event] of chunk.entries()) {
          this.createEvent(batch, question, event, times[index] ?? this.timestamp());
        }
        await batch.commit();
        answers.push(...chunk.map((event) => ({ appended: true, sequence: event.sequence })));
      } catch (error) {
        if (!hasGoogleApiStatus(error, Status.ALREADY_EXISTS)) throw error;
        const written = chunk.map((event, index) => this.writeEvent(question, event, times[index] ?? this.timestamp()));
        answers.push(...(await Promise.all(written)));
      }
    }
    return { events: answers, applied: false, question };
  }

  private async writeEvent(
    question: QuestionRecord,
    event: EventToRecord,
    recordedAt: Timestamp,
  ): Promise<{ appended: boolean; sequence: number }> {
    try {
      const batch = this.db.batch();
      this.createEvent(batch, question, event, recordedAt);
      await batch.commit();
      return { appended: true, sequence: event.sequence };
    } catch (error) {
      if (!hasGoogleApiStatus(error, Status.ALREADY_EXISTS)) throw error;
    }
    const seen = await this.layout.eventId(event.uuid).get();
    return firstRecording(event, question.questionUuid, seen.data());
  }

  /** Events with a status change: one transaction, reading the question and the events' UUID records. */
  private writeEventsAndStatus(
    questionUuid: string,
    events: readonly EventToRecord[],
    change: StatusChange,
  ): Promise<RecordedEvents> {
    const questionRef = this.layout.question(questionUuid);
    return this.db.runTransaction(
      async (transaction) => {
        const [snapshot, ...seen] = await transaction.getAll(
          questionRef,
          ...events.map((event) => this.layout.eventId(event.uuid)),
        );
        const data = snapshot?.data();
        if (data === undefined) throw new QuestionNotFound(questionUuid);
        const question = questionFromDocument(questionUuid, data);
        const now = this.timestamp();
        const arrivals = this.arrivalTimes(events.length);
        const answers = events.map((event, index) => {
          const first = seen[index];
          if (first?.exists) return firstRecording(event, questionUuid, first.data());
          this.createEvent(transaction, question, event, arrivals[index] ?? now);
          return { appended: true, sequence: event.sequence };
        });
        if (!canTransition(question.status, change.to)) return { events: answers, applied: false, question };
        // An outcome only belongs to the status that ends the question; with any other it is ignored.
        const outcome = isTerminal(change.to) ? change.outcome : undefined;
        const changes = transitionChanges(data, change.to, now, outcome);
        transaction.update(questionRef, changes);
        return {
          events: answers,
          applied: true,
          question: questionFromDocument(questionUuid, { ...data, ...changes }),
        };
      },
      { maxAttempts: TRANSACTION_ATTEMPTS },
    );
  }

  private createEvent(
    writer: WriteBatch | Transaction,
    question: QuestionRecord,
    event: EventToRecord,
    recordedAt: Timestamp,
  ): void {
    const { questionUuid } = question;
    // Both are `create`s: the write fails as a whole if either document is there already.
    writer.create(this.layout.eventId(event.uuid), { questionUuid, sequence: event.sequence });
    writer.create(
      this.layout.event(questionUuid, event.sequence, event.uuid),
      eventDocument(event.envelope, event.sequence, recordedAt, question),
    );
  }

  private async require(questionUuid: string): Promise<QuestionRecord> {
    const question = await this.get(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    return question;
  }

  private timestamp(): Timestamp {
    return Timestamp.fromDate(this.now());
  }

  /**
   * When each event of a write arrived: now, a microsecond apart in the order given, so events that share a place in
   * their question's order keep their arrival order (Firestore keeps microseconds).
   */
  private arrivalTimes(count: number): Timestamp[] {
    const milliseconds = this.now().getTime();
    const seconds = Math.floor(milliseconds / 1000);
    const nanoseconds = (milliseconds - seconds * 1000) * 1_000_000;
    return Array.from({ length: count }, (_, index) => {
      const total = nanoseconds + index * 1000;
      return new Timestamp(seconds + Math.floor(total / 1e9), total % 1e9);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("Firestore question store");
  }
}

/** Events are recorded under their UUID, so one that cannot name a document cannot be recorded. */
function assertEventUuidNamesDocument(event: EventToRecord): void {
  if (!isDocumentId(event.uuid)) {
    throw new InvalidEvent(`the event's uuid attribute ${JSON.stringify(event.uuid)} cannot name a document`, {
      pointer: "/attributes/uuid",
      questionUuid: event.envelope.attributes.question_uuid,
    });
  }
}

/** Where an event already recorded went, if it was this question's. */
function firstRecording(
  event: EventToRecord,
  questionUuid: string,
  data: unknown,
): { appended: boolean; sequence: number } {
  const first = eventIdFromDocument(event.uuid, data);
  if (first.questionUuid !== questionUuid) throw new EventUuidConflict(event.uuid, questionUuid, first.questionUuid);
  return { appended: false, sequence: first.sequence };
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
