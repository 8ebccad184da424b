import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { openSqliteStores, type SqliteStores } from "../../shared/adapters/embedded/sqlite/index.js";
import { SIGNATURE_HEADER } from "../../shared/control-plane/answer-forwarder/handler.js";
import { deriveResponseAttributes, encodeEvent, renewEventIdentity } from "../../shared/events/index.js";
import type { BusMessage } from "../../shared/ports/index.js";
import { storeQuestion } from "./stored-question.js";

export interface ReceivedPush {
  readonly path: string;
  readonly host: string;
  readonly body: string;
  readonly signature: string;
}

/** A push endpoint on a loopback address, counting every connection made to it (even one that never sends a request). */
export interface PushReceiver {
  readonly port: number;
  /** `http://{address}:{port}{path}`. */
  url(path?: string): string;
  /** Connections accepted, whatever came through them. */
  connections(): number;
  readonly received: ReceivedPush[];
  close(): Promise<void>;
}

/**
 * Starts a receiver on `address` (a loopback one unless a test runs in a network namespace of its own).
 */
export async function startPushReceiver(
  options: {
    readonly address?: string;
    readonly port?: number;
    /** How to answer each request; `undefined` never answers. By default 200. */
    readonly respond?: (request: IncomingMessage) => { status: number; headers?: Record<string, string> } | undefined;
  } = {},
): Promise<PushReceiver> {
  const address = options.address ?? "127.0.0.1";
  let connections = 0;
  const received: ReceivedPush[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      received.push({
        path: request.url ?? "",
        host: request.headers.host ?? "",
        body,
        signature: String(request.headers[SIGNATURE_HEADER]),
      });
      const answer = options.respond === undefined ? { status: 200 } : options.respond(request);
      if (answer === undefined) return;
      response.writeHead(answer.status, answer.headers);
      response.end("a body the forwarder throws away");
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, address, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    port,
    url: (path = "/hook") => `http://${host}:${port}${path}`,
    connections: () => connections,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A question with a push endpoint, stored as the intake would have stored it (whatever the endpoint), and dispatched;
 * `message` makes the bus message of one of its job's events.
 */
export async function questionPushingTo(pushEndpoint: string): Promise<{
  readonly stores: SqliteStores;
  readonly questionUuid: string;
  message(event: object): BusMessage;
}> {
  const stores = openSqliteStores(":memory:");
  const attributes = await storeQuestion(stores.questions, { pushEndpoint });
  await stores.questions.transition(attributes.question_uuid, "validated");
  await stores.questions.transition(attributes.question_uuid, "dispatched");
  let order = 0;
  return {
    stores,
    questionUuid: attributes.question_uuid,
    message(event) {
      const encoded = encodeEvent({
        event,
        attributes: { ...renewEventIdentity(deriveResponseAttributes(attributes)), order: order++ },
      } as never);
      return {
        id: String(order),
        data: encoded.data,
        attributes: encoded.attributes,
        orderingKey: encoded.orderingKey,
        publishTime: new Date(),
        deliveryAttempt: 1,
      };
    },
  };
}
