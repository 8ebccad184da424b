import { createHmac } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import { PushEndpointRefused, QuestionNotFound } from "../../errors/index.js";
import {
  type ChildEventEnvelope,
  decodeEvent,
  type ExceptionEvent,
  eventSequence,
  type ResultEvent,
} from "../../events/index.js";
import { definedProperties } from "../../objects/index.js";
import type { BusMessage, QuestionStore, StatusChange } from "../../ports/index.js";
import { isTerminal } from "../../questions/index.js";
import { statusOfException } from "../index.js";
import { PushEndpointGuard } from "../push-endpoints/push-endpoint-guard.js";
import { type PushResponse, type PushSender, sendPush } from "./push-sender.js";

/** The header a push endpoint checks: `sha256=<hex HMAC of the body with the network's secret>`. */
export const SIGNATURE_HEADER = "x-twined-signature";

export interface AnswerForwarderDependencies {
  readonly questions: QuestionStore;
  /** Signs pushed events; receivers verify with the same secret. */
  readonly pushSecret: string;
  /**
   * Where pushes may go, checked again for every push against what the endpoint's name resolves to then; the same
   * policy as the intake's. Default: https to public addresses only.
   */
  readonly pushEndpoints?: PushEndpointGuard;
  /** How a push is sent (tests of retries inject one); default `sendPush`, which never follows a redirect. */
  readonly send?: PushSender;
  /** How often a failed push is retried, and the first delay (each next one is 4× longer); default 3 from 250 ms. */
  readonly pushRetries?: { readonly retries: number; readonly firstDelayMs: number };
  /** How long one attempt of a push may take; default 10 s. */
  readonly pushTimeoutMs?: number;
  readonly onPushFailure?: (questionUuid: string, reason: string) => void;
}

const PUSH_TIMEOUT_MS = 10_000;

/** At most this many events go into one write (Firestore takes 500 writes in one; each event is two). */
const MAX_EVENTS_PER_WRITE = 200;

/** Questions remembered as running or ended, so their later events are written without touching the question. */
const REMEMBERED_QUESTIONS = 10_000;

interface PendingEvent {
  readonly envelope: ChildEventEnvelope;
  readonly recorded: () => void;
  readonly failed: (error: unknown) => void;
}

/**
 * Records every response event of the questions this network handles (each once, at the place its sender gave it),
 * moves the question through its states (a final event sets its terminal state; nothing overwrites one), and pushes
 * events to the question's push endpoint when it has one.
 *
 * Events of one question that arrive together are written together: deliveries that come while a write of the
 * question's events is under way wait for it and then go in the next write. Only the first events of a question
 * (which make it `running`) and its final event change the question's record; the rest are written alone.
 */
export class AnswerForwarder {
  private readonly pending = new Map<string, PendingEvent[]>();
  private readonly writing = new Set<string>();
  /** Questions known to be running or ended: bounded, oldest forgotten first (forgetting costs one read-write). */
  private readonly started = new Set<string>();

  private readonly pushEndpoints: PushEndpointGuard;

  constructor(private readonly deps: AnswerForwarderDependencies) {
    this.pushEndpoints = deps.pushEndpoints ?? PushEndpointGuard.publicHttpsOnly();
  }

  /** Resolves once the message's event is recorded (or is not one of this network's questions). */
  async handle(message: BusMessage): Promise<void> {
    const envelope = decodeEvent(message);
    if (envelope.attributes.sender_type !== "CHILD") return;
    const childEnvelope = envelope as ChildEventEnvelope;
    const questionUuid = childEnvelope.attributes.question_uuid;
    await new Promise<void>((recorded, failed) => {
      const queue = this.pending.get(questionUuid) ?? [];
      queue.push({ envelope: childEnvelope, recorded, failed });
      this.pending.set(questionUuid, queue);
      // Deliveries of the same moment (a pulled batch) are gathered before the write starts.
      if (!this.writing.has(questionUuid)) setImmediate(() => void this.writeNext(questionUuid));
    });
  }

  private async writeNext(questionUuid: string): Promise<void> {
    if (this.writing.has(questionUuid)) return;
    const queue = this.pending.get(questionUuid);
    if (queue === undefined || queue.length === 0) {
      this.pending.delete(questionUuid);
      return;
    }
    const batch = queue.splice(0, MAX_EVENTS_PER_WRITE);
    this.writing.add(questionUuid);
    try {
      await this.write(
        questionUuid,
        batch.map((event) => event.envelope),
      );
      for (const event of batch) event.recorded();
    } catch (error) {
      // Octue services talking among themselves share the topic; their questions are not ours to record.
      if (error instanceof QuestionNotFound) for (const event of batch) event.recorded();
      else for (const event of batch) event.failed(error);
    } finally {
      this.writing.delete(questionUuid);
      if (queue.length === 0) this.pending.delete(questionUuid);
      else void this.writeNext(questionUuid);
    }
  }

  private async write(questionUuid: string, envelopes: readonly ChildEventEnvelope[]): Promise<void> {
    const change = this.statusChange(questionUuid, envelopes);
    const recorded = await this.deps.questions.recordEvents(questionUuid, envelopes, change);
    if (recorded.question.status === "running" || isTerminal(recorded.question.status)) this.remember(questionUuid);
    const { pushEndpoint } = recorded.question;
    if (pushEndpoint === undefined) return;
    const fresh = envelopes
      .map((envelope, index) => ({ envelope, answer: recorded.events[index] }))
      .filter((event) => event.answer?.appended === true)
      .sort((a, b) => (a.answer?.sequence ?? 0) - (b.answer?.sequence ?? 0));
    for (const { envelope } of fresh) await this.push(pushEndpoint, envelope);
  }

  /**
   * The status the events announce: the end, with the outcome of the first final event among them; or `running` for
   * any other sign of life from the job, unless the question is already known to be running or ended.
   */
  private statusChange(questionUuid: string, envelopes: readonly ChildEventEnvelope[]): StatusChange | undefined {
    const final = envelopes
      .filter((envelope) => envelope.event.kind === "result" || envelope.event.kind === "exception")
      .sort((a, b) => eventSequence(a.attributes) - eventSequence(b.attributes))[0];
    if (final !== undefined) return finalChange(final.event as ResultEvent | ExceptionEvent);
    return this.started.has(questionUuid) ? undefined : { to: "running" };
  }

  private remember(questionUuid: string): void {
    this.started.delete(questionUuid);
    this.started.add(questionUuid);
    if (this.started.size > REMEMBERED_QUESTIONS) {
      const oldest = this.started.values().next();
      if (oldest.done !== true) this.started.delete(oldest.value);
    }
  }

  /**
   * POSTs one event, signed, retrying server errors, rate limiting and network failures. A refused endpoint, a client
   * error and a redirect (never followed: it could point anywhere) end the push at once; every failure is reported.
   */
  private async push(endpoint: string, envelope: ChildEventEnvelope): Promise<void> {
    const body = JSON.stringify(envelope);
    const signature = `sha256=${createHmac("sha256", this.deps.pushSecret).update(body).digest("hex")}`;
    const send = this.deps.send ?? sendPush;
    const { retries, firstDelayMs } = this.deps.pushRetries ?? { retries: 3, firstDelayMs: 250 };
    try {
      // Questions stored before the policy (or under another one) are checked too.
      const target = this.pushEndpoints.target(endpoint);
      await pRetry(
        async () => {
          let response: PushResponse;
          try {
            response = await send({
              url: target.url,
              host: target.host,
              lookup: this.pushEndpoints.lookup(target),
              headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature },
              body,
              timeoutMs: this.deps.pushTimeoutMs ?? PUSH_TIMEOUT_MS,
            });
          } catch (error) {
            if (error instanceof PushEndpointRefused) throw new AbortError(error);
            throw error;
          }
          const { status, location } = response;
          if (status >= 200 && status < 300) return;
          if (status >= 300 && status < 400) {
            const to = location === undefined ? "" : ` to ${location}`;
            throw new AbortError(
              `HTTP ${status}: redirects${to} are not followed; give the final URL as push_endpoint`,
            );
          }
          // A client error will not get better by asking again, except for rate limiting.
          if (status < 500 && status !== 429) throw new AbortError(`HTTP ${status}`);
          throw new Error(`HTTP ${status}`);
        },
        { retries, minTimeout: firstDelayMs, factor: 4, randomize: true },
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.onPushFailure?.(envelope.attributes.question_uuid, `push to ${originOf(endpoint)} failed: ${reason}`);
    }
  }
}

/** Where a push went, for reports: not its path, query or credentials, which may hold secrets. */
function originOf(endpoint: string): string {
  return URL.canParse(endpoint) ? new URL(endpoint).origin : "an endpoint that is not a URL";
}

/** The terminal status a final event sets, with the answer or error to keep. */
function finalChange(event: ResultEvent | ExceptionEvent): StatusChange {
  if (event.kind === "result") {
    const answer = {
      ...definedProperties({
        output_values: event.output_values,
        output_manifest: event.output_manifest,
        // Values too large for a message, kept in storage: the HTTP API fetches them for askers.
        output_values_reference: event.output_values_reference,
      }),
    };
    return { to: "succeeded", outcome: { answer } };
  }
  return {
    to: statusOfException(event),
    outcome: {
      error: { type: event.exception_type, message: event.exception_message, traceback: event.exception_traceback },
    },
  };
}
