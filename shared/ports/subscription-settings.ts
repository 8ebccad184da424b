import { InvalidSubscriptionOptions } from "../errors/bus-errors.js";
import type { FilterExpression } from "../subscription-filter/filter-ast.js";
import { formatSubscriptionFilter } from "../subscription-filter/format-filter.js";
import { parseSubscriptionFilter } from "../subscription-filter/parse-filter.js";
import type { SubscriptionOptions } from "./event-bus.js";

/** Subscription options with Pub/Sub's defaults filled in and its limits checked. */
export interface SubscriptionSettings {
  /** The filter as given, for error messages. */
  readonly filterText: string;
  readonly filter: FilterExpression;
  /** Canonical form of the filter, so `a = "x"` and `a="x"` count as the same filter. */
  readonly filterKey: string;
  readonly ordered: boolean;
  readonly ackDeadlineSeconds: number;
  readonly minimumBackoffSeconds: number;
  readonly maximumBackoffSeconds: number;
  readonly deadLetter: { readonly topic: string; readonly maxDeliveryAttempts: number } | undefined;
}

// Pub/Sub's documented defaults and ranges. Refusing what Pub/Sub refuses keeps code that runs on the embedded bus
// deployable unchanged.
const ACK_DEADLINE = { default: 10, min: 10, max: 600 };
const BACKOFF = { defaultMin: 10, defaultMax: 600, max: 600 };
const DELIVERY_ATTEMPTS = { min: 5, max: 100 };

/**
 * @throws InvalidSubscriptionFilter if the filter does not parse.
 * @throws InvalidSubscriptionOptions if a number is outside Pub/Sub's range.
 */
export function subscriptionSettings(subscription: string, options: SubscriptionOptions): SubscriptionSettings {
  const filterText = options.filter ?? "";
  const filter = parseSubscriptionFilter(filterText);
  const fail = (detail: string): never => {
    throw new InvalidSubscriptionOptions(subscription, detail);
  };

  const ackDeadlineSeconds = options.ackDeadlineSeconds ?? ACK_DEADLINE.default;
  if (!inRange(ackDeadlineSeconds, ACK_DEADLINE.min, ACK_DEADLINE.max)) {
    fail(`ackDeadlineSeconds is ${ackDeadlineSeconds}; Pub/Sub accepts ${ACK_DEADLINE.min} to ${ACK_DEADLINE.max}`);
  }

  const minimumBackoffSeconds = options.retryPolicy?.minimumBackoffSeconds ?? BACKOFF.defaultMin;
  const maximumBackoffSeconds = options.retryPolicy?.maximumBackoffSeconds ?? BACKOFF.defaultMax;
  if (!inRange(minimumBackoffSeconds, 0, BACKOFF.max) || !inRange(maximumBackoffSeconds, 0, BACKOFF.max)) {
    fail(
      `retry backoffs are ${minimumBackoffSeconds} s to ${maximumBackoffSeconds} s; Pub/Sub accepts 0 to ${BACKOFF.max} s`,
    );
  }
  if (minimumBackoffSeconds > maximumBackoffSeconds) {
    fail(`minimumBackoffSeconds (${minimumBackoffSeconds}) exceeds maximumBackoffSeconds (${maximumBackoffSeconds})`);
  }

  const policy = options.deadLetterPolicy;
  if (policy !== undefined) {
    const attempts = policy.maxDeliveryAttempts;
    if (!Number.isInteger(attempts) || !inRange(attempts, DELIVERY_ATTEMPTS.min, DELIVERY_ATTEMPTS.max)) {
      fail(
        `maxDeliveryAttempts is ${attempts}; Pub/Sub accepts whole numbers from ${DELIVERY_ATTEMPTS.min} to ${DELIVERY_ATTEMPTS.max}`,
      );
    }
  }

  return {
    filterText,
    filter,
    filterKey: formatSubscriptionFilter(filter),
    ordered: options.enableMessageOrdering ?? false,
    ackDeadlineSeconds,
    minimumBackoffSeconds,
    maximumBackoffSeconds,
    deadLetter:
      policy === undefined
        ? undefined
        : { topic: policy.deadLetterTopic, maxDeliveryAttempts: policy.maxDeliveryAttempts },
  };
}

/**
 * Seconds to wait before redelivering a message whose `failedAttempts`-th delivery was nacked: the minimum backoff,
 * doubled after each further failure, capped at the maximum. (Pub/Sub documents "exponential between min and max"
 * without the exact curve; doubling is the usual reading.) A zero minimum therefore means immediate redelivery.
 */
export function retryDelaySeconds(settings: SubscriptionSettings, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  return Math.min(settings.maximumBackoffSeconds, settings.minimumBackoffSeconds * 2 ** exponent);
}

function inRange(value: number, min: number, max: number): boolean {
  return Number.isFinite(value) && value >= min && value <= max;
}
