import { AnswerForwarder } from "../shared/control-plane/answer-forwarder/handler.js";
import type { TopicNames } from "../shared/control-plane/index.js";
import { KueueLauncher } from "../shared/control-plane/kueue-launcher/handler.js";
import { QuestionIntake } from "../shared/control-plane/question-intake/handler.js";
import {
  QuestionReconciler,
  type QuestionReconcilerSettings,
} from "../shared/control-plane/question-reconciler/handler.js";
import { TwineValidator } from "../shared/control-plane/twine-validator/handler.js";
import { InvalidEvent, NonRetryableError } from "../shared/errors/index.js";
import { definedProperties } from "../shared/objects/index.js";
import type {
  BusMessage,
  EventBus,
  JobLauncher,
  MessageHandler,
  QuestionStore,
  RevisionStore,
  SubscriptionOptions,
} from "../shared/ports/index.js";

/** The control plane's message handlers, built once per process from the ports. */
export interface NetworkHandlers {
  readonly intake: QuestionIntake;
  readonly validator: TwineValidator;
  readonly launcher: KueueLauncher;
  readonly forwarder: AnswerForwarder;
  readonly reconciler: QuestionReconciler;
}

export interface NetworkHandlerDependencies {
  readonly questions: QuestionStore;
  readonly revisions: RevisionStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  readonly jobs: JobLauncher;
  readonly pushSecret: string;
  readonly reconciler?: Partial<QuestionReconcilerSettings>;
  /** Whether the network's jobs run where its askers' local paths are (a network on one machine). */
  readonly readsLocalFiles?: boolean;
}

export function buildNetworkHandlers(deps: NetworkHandlerDependencies): NetworkHandlers {
  const common = { questions: deps.questions, revisions: deps.revisions, bus: deps.bus, topics: deps.topics };
  return {
    intake: new QuestionIntake({ ...common, readsLocalFiles: deps.readsLocalFiles === true }),
    validator: new TwineValidator(common),
    launcher: new KueueLauncher({ ...common, launcher: deps.jobs }),
    forwarder: new AnswerForwarder({ questions: deps.questions, pushSecret: deps.pushSecret }),
    reconciler: new QuestionReconciler({
      questions: deps.questions,
      bus: deps.bus,
      topics: deps.topics,
      launcher: deps.jobs,
      ...definedProperties({ settings: deps.reconciler }),
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
      handle: (handlers, message) => handlers.intake.handleServicesMessage(message),
    },
    {
      functionName: "twine-validator",
      subscription: `${topics.accepted}.twine-validator`,
      topic: topics.accepted,
      options: {},
      handle: (handlers, message) => handlers.validator.handle(message),
    },
    {
      functionName: "kueue-launcher",
      subscription: `${topics.validated}.kueue-launcher`,
      topic: topics.validated,
      options: {},
      handle: (handlers, message) => handlers.launcher.handleValidated(message),
    },
    {
      functionName: "kueue-launcher",
      subscription: `${topics.cancellations}.kueue-launcher`,
      topic: topics.cancellations,
      options: {},
      handle: (handlers, message) => handlers.launcher.handleCancellation(message),
    },
    {
      functionName: "answer-forwarder",
      subscription: `${topics.services}.answer-forwarder`,
      topic: topics.services,
      // Unordered: each event carries its place, so events of one question can be recorded together, in parallel.
      options: { filter: 'attributes.sender_type = "CHILD"' },
      handle: (handlers, message) => handlers.forwarder.handle(message),
    },
  ];
}

/** Where dead letters are kept for inspection (`twined` reads them from here). */
export function deadLetterSubscription(topics: TopicNames): string {
  return `${topics.deadLetters}.kept`;
}

/** A message that can never be processed (bad JSON, schema violation, unknown revision…): retrying cannot help. */
export function isPermanentFailure(error: unknown): error is Error {
  return error instanceof NonRetryableError || error instanceof InvalidEvent;
}

/** Records a message that can never be processed on the dead-letters topic, with the reason as an attribute. */
export async function recordDeadLetter(
  bus: EventBus,
  topics: TopicNames,
  reason: string,
  message: { readonly data: Buffer; readonly attributes: Readonly<Record<string, string>> },
): Promise<void> {
  await bus.publish(topics.deadLetters, message.data, {
    attributes: { ...message.attributes, twined_dead_letter_reason: reason.slice(0, 1000) },
  });
}

/**
 * Acknowledges messages that can never succeed, after recording them as dead letters; lets every other failure
 * propagate so the bus redelivers the message.
 */
export function guarded(handler: MessageHandler, onDeadLetter: (reason: string, message: BusMessage) => Promise<void>) {
  return async (message: BusMessage): Promise<void> => {
    try {
      await handler(message);
    } catch (error) {
      if (!isPermanentFailure(error)) throw error;
      await onDeadLetter(`${error.name}: ${error.message}`, message);
    }
  };
}
