import type { ChildEventEnvelope, EventEnvelope } from "../../../events/index.js";
import type {
  EventQuery,
  NewQuestion,
  QuestionChanges,
  QuestionFilter,
  QuestionOutcome,
  QuestionQuery,
  QuestionRecord,
  QuestionStore,
  StatusChange,
  StatusCounts,
  StoredEvent,
} from "../../../ports/index.js";
import type { QuestionStatus } from "../../../questions/index.js";

/**
 * Wraps a question store so that every recorded event and status change wakes whoever waits on that question (live
 * event streams in the same process), instead of them finding out at their next poll.
 */
export class QuestionChangeNotifier implements QuestionStore, QuestionChanges {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly store: QuestionStore) {}

  next(questionUuid: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiting.get(questionUuid) ?? new Set<() => void>();
      this.waiting.set(questionUuid, waiters);
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0) this.waiting.delete(questionUuid);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      waiters.add(wake);
    });
  }

  async create(question: NewQuestion) {
    const created = await this.store.create(question);
    this.notify(question.questionUuid);
    return created;
  }

  get(questionUuid: string): Promise<QuestionRecord | undefined> {
    return this.store.get(questionUuid);
  }

  async transition(questionUuid: string, to: QuestionStatus, outcome?: QuestionOutcome) {
    const moved = await this.store.transition(questionUuid, to, outcome);
    if (moved.applied) this.notify(questionUuid);
    return moved;
  }

  async appendEvent(envelope: ChildEventEnvelope | EventEnvelope) {
    const appended = await this.store.appendEvent(envelope);
    if (appended.appended) this.notify(envelope.attributes.question_uuid);
    return appended;
  }

  async recordEvents(
    questionUuid: string,
    envelopes: readonly (ChildEventEnvelope | EventEnvelope)[],
    change?: StatusChange,
  ) {
    const recorded = await this.store.recordEvents(questionUuid, envelopes, change);
    if (recorded.applied || recorded.events.some((event) => event.appended)) this.notify(questionUuid);
    return recorded;
  }

  events(query: EventQuery): Promise<StoredEvent[]> {
    return this.store.events(query);
  }

  list(query: QuestionQuery): Promise<QuestionRecord[]> {
    return this.store.list(query);
  }

  countByStatus(filter: QuestionFilter): Promise<StatusCounts> {
    return this.store.countByStatus(filter);
  }

  close(): Promise<void> {
    for (const waiters of this.waiting.values()) for (const wake of [...waiters]) wake();
    return this.store.close();
  }

  private notify(questionUuid: string): void {
    for (const wake of [...(this.waiting.get(questionUuid) ?? [])]) wake();
  }
}
