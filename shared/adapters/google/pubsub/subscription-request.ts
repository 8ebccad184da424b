import type { CreateSubscriptionOptions } from "@google-cloud/pubsub";
import type { SubscriptionOptions } from "../../../ports/event-bus.js";
import type { SubscriptionSettings } from "../../../ports/index.js";
import { fullTopicName } from "./resource-names.js";

type ProtoDuration = { seconds: number; nanos: number };

/** Subscription options only Google Pub/Sub has: delivery by push to an HTTPS endpoint instead of pull. */
export interface PubSubSubscriptionOptions extends SubscriptionOptions {
  /** Push every message to this URL (a Cloud Function, Cloud Run service…) instead of waiting to be pulled. */
  readonly pushEndpoint?: string;
  /** Sign pushes with an OIDC token for this service account, so the endpoint can require authentication. */
  readonly pushServiceAccount?: string;
}

/** Seconds as a protobuf Duration; Pub/Sub accepts sub-second backoffs, which a whole-seconds field would lose. */
export function toDuration(seconds: number): ProtoDuration {
  let whole = Math.floor(seconds);
  let nanos = Math.round((seconds - whole) * 1e9);
  if (nanos >= 1e9) {
    whole += 1;
    nanos -= 1e9;
  }
  return { seconds: whole, nanos };
}

/**
 * The createSubscription request for `options`, once `subscriptionSettings` has validated them into `settings`. Only
 * what the caller asked for is sent, so Pub/Sub's own defaults apply otherwise (no retry policy, for one, means
 * immediate redelivery in production, which the settings' filled-in defaults would change).
 */
export function subscriptionRequest(
  projectId: string,
  options: PubSubSubscriptionOptions,
  settings: SubscriptionSettings,
): CreateSubscriptionOptions {
  const request: CreateSubscriptionOptions = {};
  if (options.pushEndpoint !== undefined) {
    request.pushConfig = {
      pushEndpoint: options.pushEndpoint,
      ...(options.pushServiceAccount === undefined
        ? {}
        : { oidcToken: { serviceAccountEmail: options.pushServiceAccount, audience: options.pushEndpoint } }),
    };
  }
  if (settings.filterText.trim() !== "") request.filter = settings.filterText;
  if (settings.ordered) request.enableMessageOrdering = true;
  if (options.ackDeadlineSeconds !== undefined) request.ackDeadlineSeconds = settings.ackDeadlineSeconds;
  if (options.retryPolicy !== undefined) {
    request.retryPolicy = {
      minimumBackoff: toDuration(settings.minimumBackoffSeconds),
      maximumBackoff: toDuration(settings.maximumBackoffSeconds),
    };
  }
  if (settings.deadLetter !== undefined) {
    request.deadLetterPolicy = {
      deadLetterTopic: fullTopicName(projectId, settings.deadLetter.topic),
      maxDeliveryAttempts: settings.deadLetter.maxDeliveryAttempts,
    };
  }
  return request;
}
