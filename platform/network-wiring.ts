import { SpanKind } from "@opentelemetry/api";
import { AnswerForwarder } from "../shared/control-plane/answer-forwarder/handler.js";
import { deadLetterMessage } from "../shared/control-plane/dead-letters/dead-letter-message.js";
import { DeadLetterKeeper } from "../shared/control-plane/dead-letters/handler.js";
import type { TopicNames } from "../shared/control-plane/index.js";
import { KueueLauncher } from "../shared/control-plane/kueue-launcher/handler.js";
import type { PushEndpointGuard } from "../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import { QuestionIntake } from "../shared/control-plane/question-intake/handler.js";
import {
  QuestionReconciler,
  type QuestionReconcilerSettings,
} from "../shared/control-plane/question-reconciler/handler.js";
import { TwineValidator } from "../shared/control-plane/twine-validator/handler.js";
import { DeadLetterNotRecorded, InvalidEvent, NonRetryableError } from "../shared/errors/index.js";
import { definedProperties } from "../shared/objects/index.js";
import type {
  BusMessage,
  DeadLetterStore,
  EventBus,
  JobLauncher,
  MessageHandler,
  QuestionStore,
  RevisionStore,
  SubscriptionOptions,
} from "../shared/ports/index.js";
import { contextFromAttributes, inSpan, messageSpanAttributes } from "../shared/tracing/index.js";

/** The control plane's message handlers, built once per process from the ports. */
export interface NetworkHandlers {
  readonly intake: QuestionIntake;
  readonly validator: TwineValidator;
  readonly launcher: KueueLauncher;
  readonly forwarder: AnswerForwarder;
  readonly reconciler: QuestionReconciler;
  readonly deadLetters: DeadLetterKeeper;
}

export interface NetworkHandlerDependencies {
  readonly questions: QuestionStore;
  readonly revisions: RevisionStore;
  readonly deadLetters: DeadLetterStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  readonly jobs: JobLauncher;
  readonly pushSecret: string;
  /** Where questions' events may be pushed: checked by the intake when asked, and by the forwarder at every push. */
  readonly pushEndpoints: PushEndpointGuard;
  readonly reconciler?: Partial<QuestionReconcilerSettings>;
  /** Whether the network's jobs run where its askers' local paths are (a network on one machine). */
  readonly readsLocalFiles?: boolean;
}

export function buildNetworkHandlers(deps: NetworkHandlerDependencies): NetworkHandlers {
  const common = { questions: deps.questions, revisions: deps.revisions, bus: deps.bus, topics: deps.topics };
  const launcher = new KueueLauncher({ ...common, launcher: deps.jobs });
  return {
    intake: new QuestionIntake({
      ...common,
      readsLocalFiles: deps.readsLocalFiles === true,
      pushEndpoints: deps.pushEndpoints,
    }),
    validator: new TwineValidator(common),
    launcher,
    forwarder: new AnswerForwarder({
      questions: deps.questions,
      pushSecret: deps.pushSecret,
      pushEndpoints: deps.pushEndpoints,
    }),
    reconciler: new QuestionReconciler({
      questions: deps.questions,
      bus: deps.bus,
      topics: deps.topics,
      launcher: deps.jobs,
      relaunch: (questionUuid) => launcher.relaunchLost(questionUuid),
      ...definedProperties({ settings: deps.reconciler }),
    }),
    deadLetters: new DeadLetterKeeper({
      store: deps.deadLetters,
      bus: deps.bus,
      topics: deps.topics,
      topicOfSubscription: (subscription) =>
        networkSubscriptions(deps.topics).find((spec) => spec.subscription === subscription)?.topic,
    }),
  };
}

/** One subscription of the control plane: what it listens to, and which function handles it (in the cloud too). */
export interface SubscriptionSpec {
  /**
   * The Cloud Function (Functions Framework target) that receives it when deployed; one function may take several
   * subscriptions, told apart by the delivery's subscription or topic.
   */
  readonly functionName: string;
  readonly subscription: string;
  readonly topic: string;
  readonly options: SubscriptionOptions;
  readonly handle: (handlers: NetworkHandlers, message: BusMessage) => Promise<void>;
}

/** Every subscription a network needs, with its filter and ordering: the same table locally and in the cloud. */
export function networkSubscriptions(topics: TopicNames): SubscriptionSpec[] {
  return [
    {
      functionName: "question-intake-events",
      subscription: `${topics.services}.question-intake`,
      topic: topics.services,
      options: { filter: 'attributes.sender_type = "PARENT"' },
      handle: traced("question-intake", topics.services, (handlers, message) =>
        handlers.intake.handleServicesMessage(message),
      ),
    },
    {
      functionName: "twine-validator",
      subscription: `${topics.accepted}.twine-validator`,
      topic: topics.accepted,
      options: {},
      handle: traced("twine-validator", topics.accepted, (handlers, message) => handlers.validator.handle(message)),
    },
    {
      functionName: "kueue-launcher",
      subscription: `${topics.validated}.kueue-launcher`,
      topic: topics.validated,
      options: {},
      handle: traced("kueue-launcher", topics.validated, (handlers, message) =>
        handlers.launcher.handleValidated(message),
      ),
    },
    {
      functionName: "kueue-launcher",
      subscription: `${topics.cancellations}.kueue-launcher`,
      topic: topics.cancellations,
      options: {},
      handle: traced("kueue-launcher cancel", topics.cancellations, (handlers, message) =>
        handlers.launcher.handleCancellation(message),
      ),
    },
    {
      functionName: "answer-forwarder",
      subscription: `${topics.services}.answer-forwarder`,
      topic: topics.services,
      // Unordered: each event carries its place, so events of one question can be recorded together, in parallel.
      options: { filter: 'attributes.sender_type = "CHILD"' },
      handle: traced("answer-forwarder", topics.services, (handlers, message) => handlers.forwarder.handle(message)),
    },
  ];
}

/** The subscription that keeps every dead letter, for the dead-letter keeper (and for seven days in Pub/Sub too). */
export function deadLetterSubscription(topics: TopicNames): string {
  return `${topics.deadLetters}.kept`;
}

/**
 * The dead-letter keeper's subscription: every message of the dead-letters topic, recorded in the dead letter store
 * for `twined dead-letters list` and `replay`. Apart from `networkSubscriptions()` because it is fed differently: it
 * has no dead-letter policy and its failures are never dead-lettered (a dead letter of a dead letter would come back
 * forever); a message it cannot record is retried.
 */
export function deadLetterKeeperSubscription(topics: TopicNames): SubscriptionSpec {
  return {
    functionName: "dead-letter-keeper",
    subscription: deadLetterSubscription(topics),
    topic: topics.deadLetters,
    options: {},
    handle: traced("dead-letter-keeper", topics.deadLetters, async (handlers, message) => {
      try {
        await handlers.deadLetters.record(message);
      } catch (error) {
        if (isPermanentFailure(error)) throw new DeadLetterNotRecorded(message.id, error);
        throw error;
      }
    }),
  };
}

/**
 * A subscription's handler in a span of its own, a child of the span that published the message (its
 * `googclient_traceparent`), active while the handler runs: what it publishes and logs is in the question's trace.
 * The same wherever the handler runs (embedded bus, streaming pull, a function's pushed delivery).
 */
function traced(name: string, topic: string, handle: SubscriptionSpec["handle"]): SubscriptionSpec["handle"] {
  return (handlers, message) =>
    inSpan(
      name,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromAttributes(message.attributes),
        attributes: messageSpanAttributes(message, topic),
      },
      () => handle(handlers, message),
    );
}

/** A message that can never be processed (bad JSON, schema violation, unknown revision…): retrying cannot help. */
export function isPermanentFailure(error: unknown): error is Error {
  return error instanceof NonRetryableError || error instanceof InvalidEvent;
}

/**
 * Records a message that can never be processed on the dead-letters topic, with the reason and the topic it came from
 * (when known: a replay sends it back there) as attributes.
 */
export async function recordDeadLetter(
  bus: EventBus,
  topics: TopicNames,
  reason: string,
  message: { readonly data: Buffer; readonly attributes: Readonly<Record<string, string>> },
  topic?: string,
): Promise<void> {
  const letter = deadLetterMessage(reason, message, topic);
  await bus.publish(topics.deadLetters, letter.data, { attributes: letter.attributes });
}

/**
 * Acknowledges messages that can never succeed, after recording them as dead letters; lets every other failure
 * propagate so the bus redelivers the message.
 */
export function guarded(
  handler: MessageHandler,
  onDeadLetter: (reason: string, message: BusMessage) => Promise<void>,
): MessageHandler {
  return async (message: BusMessage): Promise<void> => {
    try {
      await handler(message);
    } catch (error) {
      if (!isPermanentFailure(error)) throw error;
      await onDeadLetter(`${error.name}: ${error.message}`, message);
    }
  };
}
