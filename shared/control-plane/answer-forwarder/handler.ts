import { createHmac } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import { QuestionNotFound } from "../../errors/index.js";
import { type ChildEventEnvelope, decodeEvent } from "../../events/index.js";
import { definedProperties } from "../../objects/index.js";
import type { BusMessage, QuestionRecord, QuestionStore } from "../../ports/index.js";
import { statusOfException } from "../index.js";

/** The header a push endpoint checks: `sha256=<hex HMAC of the body with the network's secret>`. */
export const SIGNATURE_HEADER = "x-twined-signature";

export interface AnswerForwarderDependencies {
  readonly questions: QuestionStore;
  /** Signs pushed events; receivers verify with the same secret. */
  readonly pushSecret: string;
  /** How pushes are sent (injectable for tests); defaults to `fetch`. */
  readonly fetch?: typeof fetch;
  /** How often a failed push is retried, and the first delay (each next one is 4× longer); default 3 from 250 ms. */
  readonly pushRetries?: { readonly retries: number; readonly firstDelayMs: number };
  readonly onPushFailure?: (questionUuid: string, reason: string) => void;
}

/**
 * Records every response event of the questions this network handles (each once, numbered in arrival order), moves
 * the question through its states (a final event sets its terminal state; nothing overwrites one), and pushes events
 * to the question's push endpoint when it has one.
 */
export class AnswerForwarder {
  constructor(private readonly deps: AnswerForwarderDependencies) {}

  async handle(message: BusMessage): Promise<void> {
    const envelope = decodeEvent(message);
    if (envelope.attributes.sender_type !== "CHILD") return;
    const childEnvelope = envelope as ChildEventEnvelope;
    const final = envelope.event.kind === "result" || envelope.event.kind === "exception";
    let question: QuestionRecord | undefined;
    let appended: boolean;
    try {
      // A final event is recorded after the state it announces, so whoever sees the event finds the question ended.
      if (final) question = await this.advance(childEnvelope);
      ({ appended } = await this.deps.questions.appendEvent(childEnvelope));
    } catch (error) {
      // Octue services talking among themselves share the topic; their questions are not ours to record.
      if (error instanceof QuestionNotFound) return;
      throw error;
    }
    if (!appended) return;
    if (!final) question = await this.advance(childEnvelope);
    if (question?.pushEndpoint !== undefined) await this.push(question.pushEndpoint, childEnvelope);
  }

  private async advance(envelope: ChildEventEnvelope): Promise<QuestionRecord | undefined> {
    const questionUuid = envelope.attributes.question_uuid;
    const { event } = envelope;
    if (event.kind === "result") {
      const answer = {
        ...definedProperties({
          output_values: event.output_values,
          output_manifest: event.output_manifest,
          // Values too large for a message, kept in storage: the HTTP API fetches them for askers.
          output_values_reference: event.output_values_reference,
        }),
      };
      return (await this.deps.questions.transition(questionUuid, "succeeded", { answer })).question;
    }
    if (event.kind === "exception") {
      return (
        await this.deps.questions.transition(questionUuid, statusOfException(event), {
          error: { type: event.exception_type, message: event.exception_message, traceback: event.exception_traceback },
        })
      ).question;
    }
    // Any sign of life from the job means it is running (refused, harmlessly, once the question has ended).
    return (await this.deps.questions.transition(questionUuid, "running")).question;
  }

  private async push(endpoint: string, envelope: ChildEventEnvelope): Promise<void> {
    const body = JSON.stringify(envelope);
    const signature = `sha256=${createHmac("sha256", this.deps.pushSecret).update(body).digest("hex")}`;
    const send = this.deps.fetch ?? fetch;
    const { retries, firstDelayMs } = this.deps.pushRetries ?? { retries: 3, firstDelayMs: 250 };
    try {
      await pRetry(
        async () => {
          const response = await send(endpoint, {
            method: "POST",
            headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
            body,
          });
          if (response.ok) return;
          // A client error will not get better by asking again, except for rate limiting.
          if (response.status < 500 && response.status !== 429) throw new AbortError(`HTTP ${response.status}`);
          throw new Error(`HTTP ${response.status}`);
        },
        { retries, minTimeout: firstDelayMs, factor: 4, randomize: true },
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.onPushFailure?.(envelope.attributes.question_uuid, `push to ${endpoint} failed: ${reason}`);
    }
  }
}
