import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Request, Response } from "express";
import { isPermanentFailure } from "../platform/network-wiring.js";
import { flushTraces, startTracing } from "../platform/tracing.js";
import { type PushedDelivery, parsePushedMessage } from "../shared/control-plane/pushed-message.js";
import { InvalidPushRequest } from "../shared/errors/index.js";
import type { BusMessage, LogContext, Logger } from "../shared/ports/index.js";
import { contextFromAttributes } from "../shared/tracing/index.js";

export interface PubSubTriggerOptions {
  /** Handles the message; `origin` tells which subscription or topic it came from, when the delivery says. */
  readonly handle: (message: BusMessage, origin: Omit<PushedDelivery, "message">) => Promise<void>;
  /**
   * Keeps a message that can never be processed, with the reason, so it is acknowledged rather than retried forever;
   * `origin` is where it came from, when the delivery could be read.
   */
  readonly deadLetter: (
    reason: string,
    message: Pick<BusMessage, "data" | "attributes">,
    origin?: Omit<PushedDelivery, "message">,
  ) => Promise<void>;
  /** Where dead letters (warnings) and failures to be redelivered (errors) are logged, labelled with the question. */
  readonly log?: Logger;
}

/**
 * The HTTP handler of a Pub/Sub-triggered function, for every way a message can arrive (Eventarc CloudEvent, wrapped
 * or unwrapped push). 204 acknowledges: the message was handled, or it can never be and is now a recorded dead
 * letter. 500 asks Pub/Sub to redeliver: something transient failed (the store was unavailable, say).
 */
export function pubsubTrigger(options: PubSubTriggerOptions): (request: Request, response: Response) => Promise<void> {
  // Loads the SDK only when the function's environment names an exporter (platform/tracing.ts); once per process.
  const tracing = startTracing({
    serviceName: "twined-functions",
    onWarning: (warning) => options.log?.warning(warning),
  });
  return async (request, response) => {
    await tracing;
    const rawBody = rawBodyOf(request);
    let delivery: PushedDelivery;
    try {
      delivery = parsePushedMessage({ headers: request.headers, rawBody });
    } catch (error) {
      if (!(error instanceof InvalidPushRequest)) throw error;
      await options.deadLetter(`${error.name}: ${error.message}`, { data: rawBody, attributes: {} });
      response.status(204).end();
      return;
    }
    const { message, ...origin } = delivery;
    // A push gets no span from the Pub/Sub client: the trace context is read from the message's own attributes, and
    // is active for the handler and for a dead letter alike.
    const failure = await context.with(contextFromAttributes(message.attributes, ROOT_CONTEXT), () =>
      handleDelivery(options, message, origin),
    );
    // The spans go before the answer: the function's CPU may be throttled once it has answered.
    await flushTraces();
    if (failure === undefined) response.status(204).end();
    else response.status(500).type("text/plain").send(failure);
  };
}

/** Handles a delivery, or keeps it as a dead letter; resolves with the reason when it is to be redelivered. */
async function handleDelivery(
  options: PubSubTriggerOptions,
  message: BusMessage,
  origin: Omit<PushedDelivery, "message">,
): Promise<string | undefined> {
  try {
    await options.handle(message, origin);
    return undefined;
  } catch (error) {
    if (isPermanentFailure(error)) {
      await options.deadLetter(`${error.name}: ${error.message}`, message, origin);
      options.log?.warning(`dead letter ${message.id}: ${error.name}: ${error.message}`, questionLabels(message));
      return undefined;
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    options.log?.error(`message ${message.id} failed, to be redelivered: ${reason}`, questionLabels(message));
    return reason;
  }
}

function questionLabels(message: BusMessage): LogContext {
  const question = message.attributes.question_uuid;
  return question === undefined || question === "" ? {} : { labels: { question_uuid: question } };
}

/** The body exactly as sent: the Functions Framework keeps it as `rawBody`; other servers may have parsed it. */
function rawBodyOf(request: Request): Buffer {
  const raw = (request as Request & { rawBody?: Buffer }).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  if (Buffer.isBuffer(request.body)) return request.body;
  if (typeof request.body === "string") return Buffer.from(request.body, "utf8");
  return Buffer.from(request.body === undefined ? "" : JSON.stringify(request.body), "utf8");
}
