import { localDatasetsIn } from "../../datasets/index.js";
import {
  FileLocationError,
  InvalidEvent,
  InvalidQuestionRequest,
  InvalidServiceID,
  PushEndpointRefused,
  PushEndpointUnresolvable,
  QuestionCancelled,
  QuestionNotFound,
  RevisionNotFound,
} from "../../errors/index.js";
import {
  type AttributeGenerators,
  attributesFromWire,
  createQuestionAttributes,
  decodeEvent,
  type ParentAttributes,
  type QuestionEvent,
} from "../../events/index.js";
import { parseServiceId } from "../../identity/index.js";
import { definedProperties } from "../../objects/index.js";
import type {
  BusMessage,
  EventBus,
  QuestionRecord,
  QuestionStore,
  RevisionRecord,
  RevisionStore,
} from "../../ports/index.js";
import { isTerminal } from "../../questions/index.js";
import { activeTraceparent, parseTraceparent } from "../../tracing/index.js";
import { parseQuestionRequest, publishExceptionFor, publishQuestionReference, type TopicNames } from "../index.js";
import { PushEndpointGuard } from "../push-endpoints/push-endpoint-guard.js";

/** The SRUID of an asker that does not say who it is, as Octue's scripts default to. */
export const ANONYMOUS_ASKER = "local/local:local";

export interface QuestionIntakeDependencies {
  readonly questions: QuestionStore;
  readonly revisions: RevisionStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  readonly generators?: AttributeGenerators;
  /**
   * Whether this network's jobs run on the machine its askers' local paths are on (a network on a laptop) and so may
   * be asked about local datasets; a network whose jobs run elsewhere refuses them, as Octue does.
   */
  readonly readsLocalFiles?: boolean;
  /** Where questions' events may be pushed (`push_endpoint`); the same policy as the forwarder's. Default: https to public addresses only. */
  readonly pushEndpoints?: PushEndpointGuard;
}

/**
 * The front door of the network. A question arrives over HTTP or as an Octue question event on the services topic;
 * its recipient is resolved to a registered revision (an unknown one is refused at once, never ignored), the question
 * is stored idempotently by UUID, and the twine validator is told about it.
 */
export class QuestionIntake {
  private readonly pushEndpoints: PushEndpointGuard;

  constructor(private readonly deps: QuestionIntakeDependencies) {
    this.pushEndpoints = deps.pushEndpoints ?? PushEndpointGuard.publicHttpsOnly();
  }

  /**
   * `POST /questions`. Returns the stored question (the existing one when its UUID was seen before).
   * @throws InvalidQuestionRequest (400; also for a push endpoint the network would not push to), InvalidServiceID (400)
   * or RevisionNotFound (404).
   */
  async ask(body: unknown): Promise<QuestionRecord> {
    const request = parseQuestionRequest(body);
    this.refuseLocalDatasets(request.input_manifest);
    await this.refuseForbiddenPushEndpoint(request.push_endpoint);
    const revision = await this.resolve(request.recipient);
    const attributes = createQuestionAttributes(
      {
        sender: request.sender ?? ANONYMOUS_ASKER,
        recipient: revision.sruid,
        ...definedProperties({
          questionUuid: request.question_uuid,
          parentQuestionUuid: request.parent_question_uuid,
          originatorQuestionUuid: request.originator_question_uuid,
          originator: request.originator,
          retryCount: request.retry_count,
          forwardLogs: request.forward_logs,
          cpus: request.cpus,
          memory: request.memory,
          ephemeralStorage: request.ephemeral_storage,
        }),
      },
      this.deps.generators,
    );
    const event: QuestionEvent = {
      kind: "question",
      // `in`, not `!== undefined`: falsy inputs (0, false, "", {}, []) are questions too.
      ...("input_values" in request ? { input_values: request.input_values } : {}),
      ...(request.input_manifest === undefined ? {} : { input_manifest: request.input_manifest as never }),
      ...(request.children === undefined ? {} : { children: request.children as never }),
      // Whoever asks over HTTP reads the answer through this API, which fetches values too large for a message.
      twined_answer_by_reference: true,
    };
    return this.accept(event, attributes, {
      pushEndpoint: request.push_endpoint,
      timeoutSeconds: request.timeout_seconds,
      priority: request.priority ?? 0,
    });
  }

  /**
   * A message from the services topic. Questions for registered revisions are accepted; questions for unknown
   * revisions, and questions that are invalid but say who asked, are answered with an `exception` event; cancellations
   * are passed on. Response (CHILD) events are not the intake's business.
   */
  async handleServicesMessage(message: BusMessage): Promise<void> {
    let envelope: ReturnType<typeof decodeEvent>;
    try {
      envelope = decodeEvent(message);
    } catch (error) {
      await this.answerInvalidQuestion(message, error);
      return;
    }
    if (envelope.attributes.sender_type !== "PARENT") return;
    const attributes = envelope.attributes;
    if (envelope.event.kind === "cancellation") {
      await this.cancel(attributes.question_uuid, `cancelled by ${attributes.sender}`).catch((error: unknown) => {
        if (!(error instanceof QuestionNotFound)) throw error;
      });
      return;
    }
    let revision: RevisionRecord;
    try {
      this.refuseLocalDatasets((envelope.event as QuestionEvent).input_manifest);
      revision = await this.resolve(attributes.recipient);
    } catch (error) {
      // A recipient that is no service ID is as unknown as one never registered: the asker is told, once.
      const refused =
        error instanceof RevisionNotFound || error instanceof FileLocationError || error instanceof InvalidServiceID;
      if (!refused) throw error;
      await publishExceptionFor(this.deps.bus, this.deps.topics.services, attributes, error);
      return;
    }
    await this.accept(
      envelope.event as QuestionEvent,
      { ...attributes, recipient: revision.sruid },
      {
        pushEndpoint: undefined,
        timeoutSeconds: undefined,
        priority: 0,
      },
    );
  }

  /**
   * `POST /questions/{uuid}/cancel`, or a `cancellation` event. A question not yet handed to a launcher is cancelled
   * here and answered with `QuestionCancelled`; a dispatched one is cancelled by its launcher.
   * @throws QuestionNotFound for an unknown UUID.
   */
  async cancel(questionUuid: string, reason = "the question was cancelled"): Promise<QuestionRecord> {
    const question = await this.deps.questions.get(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    if (isTerminal(question.status)) return question;
    if (question.status === "received" || question.status === "validated") {
      const error = new QuestionCancelled(questionUuid, reason);
      const { applied, question: updated } = await this.deps.questions.transition(questionUuid, "cancelled", {
        error: { type: error.name, message: error.message },
      });
      if (applied) await publishExceptionFor(this.deps.bus, this.deps.topics.services, question.attributes, error);
      if (updated.status === "cancelled") return updated;
    }
    await publishQuestionReference(this.deps.bus, this.deps.topics.cancellations, {
      question_uuid: questionUuid,
      reason,
    });
    return (await this.deps.questions.get(questionUuid)) ?? question;
  }

  /** `namespace/name` → its default revision; `namespace/name:tag` → that revision. */
  async resolve(recipient: string): Promise<RevisionRecord> {
    const id = parseServiceId(recipient);
    const revision =
      id.revisionTag === undefined
        ? await this.deps.revisions.getDefault(id.namespace, id.name)
        : await this.deps.revisions.get(id.namespace, id.name, id.revisionTag);
    if (revision === undefined) {
      throw new RevisionNotFound(
        recipient,
        id.revisionTag === undefined
          ? "the service has no default revision; register one (twined service start --default) or ask a namespace/name:tag"
          : "no such revision is registered; list them with 'twined revision list'",
      );
    }
    return revision;
  }

  /** @throws InvalidQuestionRequest at `/push_endpoint` for an endpoint the network would not push to. */
  private async refuseForbiddenPushEndpoint(endpoint: string | undefined): Promise<void> {
    if (endpoint === undefined) return;
    try {
      await this.pushEndpoints.check(endpoint);
    } catch (error) {
      if (!(error instanceof PushEndpointRefused) && !(error instanceof PushEndpointUnresolvable)) throw error;
      throw new InvalidQuestionRequest(error.message, { pointer: "/push_endpoint", cause: error });
    }
  }

  /** @throws FileLocationError for a local dataset, on a network whose jobs cannot read local paths. */
  private refuseLocalDatasets(manifest: unknown): void {
    if (this.deps.readsLocalFiles === true) return;
    const [first] = localDatasetsIn(manifest);
    if (first !== undefined) throw new FileLocationError(first.key, first.path);
  }

  private async accept(
    event: QuestionEvent,
    attributes: ParentAttributes,
    options: { pushEndpoint: string | undefined; timeoutSeconds: number | undefined; priority: number },
  ): Promise<QuestionRecord> {
    const { question } = await this.deps.questions.create({
      questionUuid: attributes.question_uuid,
      recipient: attributes.recipient,
      sender: attributes.sender,
      parentQuestionUuid: attributes.parent_question_uuid,
      originatorQuestionUuid: attributes.originator_question_uuid,
      question: event,
      attributes,
      pushEndpoint: options.pushEndpoint,
      timeoutSeconds: options.timeoutSeconds,
      priority: options.priority,
      resources: {
        cpus: attributes.cpus ?? 1,
        ...definedProperties({ memory: attributes.memory, ephemeralStorage: attributes.ephemeral_storage }),
      },
      // The trace the intake runs in (its span, a child of the asker's): none when the network does not trace.
      ...definedProperties({ traceId: parseTraceparent(activeTraceparent())?.traceId }),
    });
    // Publishing again for a question still `received` is what makes a retried request finish a half-done one.
    if (question.status === "received") {
      await publishQuestionReference(this.deps.bus, this.deps.topics.accepted, {
        question_uuid: question.questionUuid,
      });
    }
    return question;
  }

  /** Octue drops invalid questions silently; we answer them when the attributes say who asked. */
  private async answerInvalidQuestion(message: BusMessage, error: unknown): Promise<void> {
    let attributes: ReturnType<typeof attributesFromWire>;
    try {
      attributes = attributesFromWire(message.attributes);
    } catch {
      throw error instanceof InvalidEvent ? error : new InvalidEvent(String(error));
    }
    if (attributes.sender_type !== "PARENT") throw error;
    // A malformed message naming a question this network holds is not that question's answer: answering it would end,
    // for everyone following the question, with an exception that was never its own. It is a dead letter instead.
    if ((await this.deps.questions.get(attributes.question_uuid)) !== undefined) throw error;
    await publishExceptionFor(
      this.deps.bus,
      this.deps.topics.services,
      attributes,
      error instanceof Error ? error : new InvalidEvent(String(error)),
    );
  }
}
