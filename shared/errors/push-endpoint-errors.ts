import { NonRetryableError, TwinedError } from "./base.js";

/**
 * A push endpoint the network will not send to: not https, carrying credentials, or naming or resolving to an address
 * inside a private network, the cloud's metadata server or another special-use range. Asking again cannot help.
 */
export class PushEndpointRefused extends NonRetryableError {
  constructor(
    /** The endpoint's origin (`scheme://host:port`): never its path or credentials, which may hold secrets. */
    readonly endpoint: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A push endpoint whose host does not resolve to any address. Refused when a question is asked; when an event is
 * pushed it may be a passing DNS failure, so that push is retried.
 */
export class PushEndpointUnresolvable extends TwinedError {
  constructor(
    /** The endpoint's origin (`scheme://host:port`). */
    readonly endpoint: string,
    readonly host: string,
    /** The resolver's error code (`ENOTFOUND`, `EAI_AGAIN`…), when it gave one. */
    readonly code: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(
      `push_endpoint ${endpoint}: its host ${host} does not resolve to any address${code === undefined ? "" : ` (${code})`}; check the name, or give an endpoint whose host resolves`,
      options,
    );
  }
}

/** An entry of a network's push-endpoint allow-list that is neither a hostname nor an address range. */
export class InvalidPushEndpointAllowList extends NonRetryableError {
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`push-endpoint allow-list entry '${entry}': ${reason}`);
  }
}
