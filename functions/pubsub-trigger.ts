import type { Request, Response } from "express";
import { isPermanentFailure } from "../platform/network-wiring.js";
import { type PushedDelivery, parsePushedMessage } from "../shared/control-plane/pushed-message.js";
import { InvalidPushRequest } from "../shared/errors/index.js";
import type { BusMessage } from "../shared/ports/index.js";

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
  readonly log?: (text: string) => void;
}

/**
 * The HTTP handler of a Pub/Sub-triggered function, for every way a message can arrive (Eventarc CloudEvent, wrapped
 * or unwrapped push). 204 acknowledges: the message was handled, or it can never be and is now a recorded dead
 * letter. 500 asks Pub/Sub to redeliver: something transient failed (the store was unavailable, say).
 */
export function pubsubTrigger(options: PubSubTriggerOptions): (request: Request, response: Response) => Promise<void> {
  return async (request, response) => {
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
    try {
      await options.handle(message, origin);
    } catch (error) {
      if (isPermanentFailure(error)) {
        await options.deadLetter(`${error.name}: ${error.message}`, message, origin);
        options.log?.(`dead letter ${message.id}: ${error.name}: ${error.message}`);
        response.status(204).end();
        return;
      }
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      options.log?.(`message ${message.id} failed, to be redelivered: ${reason}`);
      response.status(500).type("text/plain").send(reason);
      return;
    }
    response.status(204).end();
  };
}

/** The body exactly as sent: the Functions Framework keeps it as `rawBody`; other servers may have parsed it. */
function rawBodyOf(request: Request): Buffer {
  const raw = (request as Request & { rawBody?: Buffer }).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  if (Buffer.isBuffer(request.body)) return request.body;
  if (typeof request.body === "string") return Buffer.from(request.body, "utf8");
  return Buffer.from(request.body === undefined ? "" : JSON.stringify(request.body), "utf8");
}
