import { randomUUID } from "node:crypto";
import { InvalidServiceID } from "../errors/index.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  decodeEvent,
  type ParentAttributes,
  type QuestionEvent,
} from "../events/index.js";
import { answerSubscriptionName, parseServiceId } from "../identity/index.js";
import type { BusSubscriber, EventBus } from "../ports/index.js";
import { publishEvent } from "../ports/index.js";
import type { FollowUpdate, QuestionSummary, StreamedEvent } from "./network-client.js";
import type { QuestionTransport } from "./question-transport.js";

export interface PubSubTransportOptions {
  readonly projectId: string;
  /** The network's Octue services topic, e.g. `main.octue.twined.services`. */
  readonly servicesTopic: string;
  /** Resolves `namespace/name` to its default revision (Octue's registry contract); without it, ask with a tag. */
  readonly registryUrl?: string;
  /** The bus to use; a Google Pub/Sub one for `projectId` when not given. */
  readonly bus?: EventBus;
}

interface Pending {
  readonly attributes: ParentAttributes;
  readonly subscription: string;
  subscriber: BusSubscriber | undefined;
  readonly queue: FollowUpdate[];
  readonly seen: Set<string>;
  wake: (() => void) | undefined;
  final: "succeeded" | "failed" | undefined;
}

/**
 * Asks over Pub/Sub as Octue's parents do, with nothing but a project and the services topic: a filtered answer
 * subscription for the question is created before the question is published, its events are read (each once, in
 * order), and the subscription is removed when the asker is done. Cancelling publishes a `cancellation` event.
 */
export class PubSubTransport implements QuestionTransport {
  private bus: EventBus | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: PubSubTransportOptions) {
    this.bus = options.bus;
  }

  async ask(body: Record<string, unknown>): Promise<QuestionSummary> {
    const bus = await this.eventBus();
    const sender = typeof body.sender === "string" ? body.sender : "local/local:local";
    const recipient = await this.resolve(String(body.recipient));
    const text = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : undefined);
    const attributes = createQuestionAttributes({
      sender,
      recipient,
      questionUuid: text("question_uuid") ?? randomUUID(),
      ...(text("parent_question_uuid") === undefined ? {} : { parentQuestionUuid: text("parent_question_uuid") }),
      ...(text("originator_question_uuid") === undefined
        ? {}
        : { originatorQuestionUuid: text("originator_question_uuid") }),
      ...(text("originator") === undefined ? {} : { originator: text("originator") }),
      ...(typeof body.retry_count === "number" ? { retryCount: body.retry_count } : {}),
      ...(typeof body.forward_logs === "boolean" ? { forwardLogs: body.forward_logs } : {}),
      ...(typeof body.cpus === "number" ? { cpus: body.cpus } : {}),
      ...(text("memory") === undefined ? {} : { memory: text("memory") }),
      ...(text("ephemeral_storage") === undefined ? {} : { ephemeralStorage: text("ephemeral_storage") }),
    });
    const questionUuid = attributes.question_uuid;
    const subscription = answerSubscriptionName(sender, questionUuid);
    // Filtered subscriptions only see what is published after they exist: subscribe first, then ask.
    await bus.ensureSubscription(subscription, this.options.servicesTopic, {
      filter: `attributes.recipient = "${sender}" AND attributes.question_uuid = "${questionUuid}" AND attributes.sender_type = "CHILD"`,
      enableMessageOrdering: true,
    });
    const pending: Pending = {
      attributes,
      subscription,
      subscriber: undefined,
      queue: [],
      seen: new Set(),
      wake: undefined,
      final: undefined,
    };
    pending.subscriber = bus.subscribe(subscription, (message) =>
      this.receive(pending, decodeEvent(message) as ChildEventEnvelope),
    );
    this.pending.set(questionUuid, pending);
    const event: QuestionEvent = {
      kind: "question",
      ...("input_values" in body ? { input_values: body.input_values } : {}),
      ...(body.input_manifest === undefined ? {} : { input_manifest: body.input_manifest as never }),
      ...(body.children === undefined ? {} : { children: body.children as never }),
    };
    await publishEvent(bus, this.options.servicesTopic, { event, attributes });
    return { question_uuid: questionUuid, recipient, status: "received" };
  }

  async *follow(questionUuid: string, after = 0, signal?: AbortSignal): AsyncGenerator<FollowUpdate> {
    const pending = this.pending.get(questionUuid);
    if (pending === undefined) throw new Error(`question ${questionUuid} was not asked through this transport`);
    let next = after;
    try {
      for (;;) {
        const update = pending.queue[next];
        if (update !== undefined) {
          next++;
          yield update;
          if (update.type === "event" && ["result", "exception"].includes(update.event.event.kind)) return;
          continue;
        }
        if (signal?.aborted === true) throw signal.reason;
        await new Promise<void>((resolve) => {
          pending.wake = resolve;
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
      }
    } finally {
      // An abandoned question stays subscribed until it is cancelled (which also releases it) or the transport closes.
      if (pending.final !== undefined) await this.release(questionUuid);
    }
  }

  async question(questionUuid: string): Promise<QuestionSummary> {
    const pending = this.pending.get(questionUuid);
    return {
      question_uuid: questionUuid,
      recipient: pending?.attributes.recipient ?? "",
      status: pending?.final ?? "running",
    };
  }

  async cancel(questionUuid: string, reason?: string): Promise<QuestionSummary> {
    const pending = this.pending.get(questionUuid);
    if (pending !== undefined) {
      const attributes = createQuestionAttributes({
        sender: pending.attributes.sender,
        recipient: pending.attributes.recipient,
        questionUuid,
        originatorQuestionUuid: pending.attributes.originator_question_uuid,
      });
      await publishEvent(await this.eventBus(), this.options.servicesTopic, {
        event: { kind: "cancellation" },
        attributes,
      });
      await this.release(questionUuid);
    }
    return { question_uuid: questionUuid, recipient: pending?.attributes.recipient ?? "", status: "cancelled", reason };
  }

  /** Closes the bus this transport created. */
  async close(): Promise<void> {
    for (const questionUuid of [...this.pending.keys()]) await this.release(questionUuid);
    if (this.options.bus === undefined) await this.bus?.close();
  }

  private receive(pending: Pending, envelope: ChildEventEnvelope): void {
    // At-least-once delivery: an event seen before is not passed on again.
    if (pending.seen.has(envelope.attributes.uuid)) return;
    pending.seen.add(envelope.attributes.uuid);
    const event: StreamedEvent = { ...envelope, sequence: pending.queue.length + 1 };
    pending.queue.push({ type: "event", event });
    if (envelope.event.kind === "result") pending.final = "succeeded";
    if (envelope.event.kind === "exception") pending.final = "failed";
    pending.wake?.();
  }

  private async release(questionUuid: string): Promise<void> {
    const pending = this.pending.get(questionUuid);
    if (pending === undefined) return;
    this.pending.delete(questionUuid);
    await pending.subscriber?.close();
    await this.bus?.deleteSubscription(pending.subscription).catch(() => undefined);
  }

  private async resolve(recipient: string): Promise<string> {
    const id = parseServiceId(recipient);
    if (id.revisionTag !== undefined) return recipient;
    if (this.options.registryUrl === undefined) {
      throw new InvalidServiceID(
        recipient,
        "asking over Pub/Sub needs a revision (namespace/name:tag), or a registryUrl to find the default revision",
      );
    }
    const url = `${this.options.registryUrl.replace(/\/+$/, "")}/${id.namespace}/${id.name}`;
    const response = await fetch(url);
    if (!response.ok)
      throw new InvalidServiceID(recipient, `the registry has no default revision (HTTP ${response.status})`);
    const { revision_tag: tag } = (await response.json()) as { revision_tag: string };
    return `${id.namespace}/${id.name}:${tag}`;
  }

  private async eventBus(): Promise<EventBus> {
    if (this.bus === undefined) {
      // Loaded on first use: the Google client library is only needed by askers who use Pub/Sub.
      const { PubSubEventBus } = await import("../adapters/google/pubsub/index.js");
      this.bus = new PubSubEventBus({ projectId: this.options.projectId });
    }
    return this.bus;
  }
}
