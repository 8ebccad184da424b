import * as functions from "@google-cloud/functions-framework";
import express, { type Express } from "express";
import {
  functionLogger,
  type GoogleCloudNetwork,
  openGoogleCloudNetwork,
  readGoogleCloudSettings,
} from "../platform/google-cloud-network.js";
import {
  deadLetterKeeperSubscription,
  networkSubscriptions,
  type SubscriptionSpec,
} from "../platform/network-wiring.js";
import { jsonErrors } from "../shared/control-plane/http/json-errors.js";
import type { PushedDelivery } from "../shared/control-plane/pushed-message.js";
import { InvalidPushRequest } from "../shared/errors/index.js";
import { type Logger, processLogger, useProcessLogger } from "../shared/ports/index.js";
import { matchesFilter } from "../shared/subscription-filter/index.js";
import { pubsubTrigger } from "./pubsub-trigger.js";

let network: GoogleCloudNetwork | undefined;

// A deployed function logs JSON lines (Cloud Logging reads their severity, labels and trace), from the first line on.
useProcessLogger(functionLogger());

/**
 * The logger of the function `functionName`, made the process's too when it first serves a request: a deployed
 * process serves one function, so what its handlers log (through the process's logger) is labelled with its name.
 */
function servingLogger(functionName: string): () => Logger {
  let log: Logger | undefined;
  return () => {
    if (log === undefined) {
      log = functionLogger(functionName);
      useProcessLogger(log);
    }
    return log;
  };
}

/**
 * The network as this function process sees it, built from its environment at the first request (a cold start pays
 * for it once); a missing or malformed setting fails that request with a message naming the variable.
 */
export function functionNetwork(): GoogleCloudNetwork {
  network ??= openGoogleCloudNetwork(readGoogleCloudSettings(), process.env, processLogger());
  return network;
}

/** Registers an HTTP function whose Express app is built on first use. */
export function registerHttpFunction(functionName: string, build: (network: GoogleCloudNetwork) => Express): void {
  let app: Express | undefined;
  const logger = servingLogger(functionName);
  functions.http(functionName, (request, response) => {
    const log = logger();
    try {
      app ??= build(functionNetwork());
    } catch (error) {
      const fallback = express();
      fallback.use((_request, _response, next) => next(error));
      fallback.use(jsonErrors(log));
      fallback(request, response);
      return;
    }
    app(request, response);
  });
}

/**
 * Registers a Pub/Sub-triggered function by its name in the subscription table: it handles what that subscription
 * delivers, however it arrives (Eventarc CloudEvent, wrapped or unwrapped push).
 */
export function registerSubscriptionFunction(functionName: string): void {
  const logger = servingLogger(functionName);
  functions.http(functionName, async (request, response) => {
    const log = logger();
    let current: GoogleCloudNetwork;
    try {
      current = functionNetwork();
    } catch (error) {
      log.error(error instanceof Error ? error.message : String(error));
      response
        .status(500)
        .type("text/plain")
        .send(error instanceof Error ? error.message : String(error));
      return;
    }
    const specs = [...networkSubscriptions(current.topics), deadLetterKeeperSubscription(current.topics)].filter(
      (each) => each.functionName === functionName,
    );
    if (specs.length === 0) throw new Error(`no subscription is handled by a function named ${functionName}`);
    // One function may have several triggers (the launcher: validated questions and cancellations).
    const specFor = (origin: Omit<PushedDelivery, "message"> | undefined): SubscriptionSpec | undefined =>
      specs.length === 1
        ? specs[0]
        : specs.find((each) => each.subscription === origin?.subscription || each.topic === origin?.topic);
    await pubsubTrigger({
      handle: (message, origin) => {
        const spec = specFor(origin);
        if (spec === undefined) {
          throw new InvalidPushRequest(
            `${functionName} handles ${specs.map((each) => each.subscription).join(" and ")}; this delivery came from ${origin.subscription ?? origin.topic ?? "an unnamed subscription"}`,
          );
        }
        // The emulator stores push subscriptions' filters without applying them; drop here what production would.
        const emulated = (process.env.PUBSUB_EMULATOR_HOST ?? "") !== "";
        if (emulated && spec.options.filter !== undefined && !matchesFilter(spec.options.filter, message.attributes)) {
          return Promise.resolve();
        }
        return spec.handle(current.handlers, message);
      },
      // The topic it came from, where a replay sends it.
      deadLetter: (reason, message, origin) => current.deadLetter(reason, message, specFor(origin)?.topic),
      log,
    })(request, response);
  });
}
