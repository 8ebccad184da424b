import { InvalidEvent } from "../errors/index.js";
import { type ChildEventEnvelope, type EventEnvelope, eventSequence } from "../events/index.js";
import type { QuestionStore } from "./question-store.js";

/** One distinct event of a write, with its place in its question's order. */
export interface EventToRecord {
  readonly uuid: string;
  readonly sequence: number;
  readonly envelope: ChildEventEnvelope | EventEnvelope;
}

/**
 * The checks every question store makes of the events it is given to record, and what it then records: the distinct
 * events (a `uuid` repeated within the write is its first copy), and for each envelope given, the index of its event
 * among them, so the store can answer envelope by envelope.
 * @throws InvalidEvent for an event without a `uuid` (what makes redelivery harmless), or of another question.
 */
export function eventsToRecord(
  questionUuid: string,
  envelopes: readonly (ChildEventEnvelope | EventEnvelope)[],
): { readonly events: readonly EventToRecord[]; readonly positions: readonly number[] } {
  const events: EventToRecord[] = [];
  const indexByUuid = new Map<string, number>();
  const positions = envelopes.map((envelope) => {
    const { uuid, question_uuid: eventQuestionUuid } = envelope.attributes;
    if (typeof uuid !== "string" || uuid === "") {
      throw new InvalidEvent("the event has no uuid attribute to de-duplicate it by", {
        pointer: "/attributes/uuid",
        questionUuid: eventQuestionUuid,
      });
    }
    if (eventQuestionUuid !== questionUuid) {
      throw new InvalidEvent(
        `an event of question ${eventQuestionUuid} cannot be recorded with the events of question ${questionUuid}`,
        { pointer: "/attributes/question_uuid", questionUuid: eventQuestionUuid },
      );
    }
    const known = indexByUuid.get(uuid);
    if (known !== undefined) return known;
    indexByUuid.set(uuid, events.length);
    events.push({ uuid, sequence: eventSequence(envelope.attributes), envelope });
    return events.length - 1;
  });
  return { events, positions };
}

/**
 * The answer for each envelope of a write, from the answers for its distinct events: a repeat within the write was
 * not appended again.
 */
export function answersPerEnvelope(
  positions: readonly number[],
  answers: readonly { readonly appended: boolean; readonly sequence: number }[],
): { readonly appended: boolean; readonly sequence: number }[] {
  const answered = new Set<number>();
  return positions.map((position) => {
    const answer = answers[position];
    if (answer === undefined) throw new Error(`no answer for event ${position} of a write`);
    const first = !answered.has(position);
    answered.add(position);
    return first ? answer : { appended: false, sequence: answer.sequence };
  });
}

/** `appendEvent` as every store has it: a write of one event. */
export async function appendOneEvent(
  store: Pick<QuestionStore, "recordEvents">,
  envelope: ChildEventEnvelope | EventEnvelope,
): Promise<{ readonly appended: boolean; readonly sequence: number }> {
  const { events } = await store.recordEvents(envelope.attributes.question_uuid, [envelope]);
  const [only] = events;
  if (only === undefined) throw new Error("recording one event gave no answer");
  return only;
}
