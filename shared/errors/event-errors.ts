import { TwinedError } from "./base.js";

/** An event (or Pub/Sub message carrying one) that breaks the Octue service communication protocol. */
export class InvalidEvent extends TwinedError {
  readonly questionUuid: string | undefined;
  constructor(message: string, options: { pointer?: string; questionUuid?: string; cause?: unknown } = {}) {
    super(message, options);
    this.questionUuid = options.questionUuid;
  }
}

/**
 * A message that Pub/Sub would refuse (size, attribute count or lengths), caught before we publish it. `limit` names
 * which one (`data bytes`, `attribute count`, `attribute key bytes`, `attribute value bytes`).
 */
export class MessageLimitExceeded extends TwinedError {
  constructor(
    message: string,
    readonly limit: string,
    readonly actual: number,
    readonly maximum: number,
    options: { pointer?: string } = {},
  ) {
    super(message, options);
  }
}

/**
 * A Pub/Sub subscription filter that does not parse or is too long. `position` is the 0-based character offset of the
 * problem; `reason` is the message without the position suffix.
 */
export class InvalidSubscriptionFilter extends TwinedError {
  readonly reason: string;
  constructor(
    reason: string,
    readonly filter: string,
    readonly position: number,
  ) {
    super(`${reason} (at character ${position + 1} of the filter)`);
    this.reason = reason;
  }
}
