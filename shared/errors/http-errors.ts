import { NonRetryableError } from "./base.js";

/** The statuses a limit is answered with: too large, malformed, too many at once, URL or headers too long. */
export type LimitStatus = 400 | 413 | 414 | 429 | 431;

/**
 * A request over one of the network's limits. `limit` names it as the docs do (`query_parameters`, `nesting_depth`,
 * `concurrent_streams`…), `maximum` is its value, and `httpStatus` the HTTP status it is answered with (not `status`, which body-parser overwrites on errors its hooks throw).
 */
export class RequestLimitExceeded extends NonRetryableError {
  constructor(
    message: string,
    readonly limit: string,
    readonly maximum: number,
    readonly httpStatus: LimitStatus,
    options: { readonly pointer?: string } = {},
  ) {
    super(message, options);
  }
}

/** A request to a network that needs its token came without it, or with another one (401). */
export class NetworkTokenRequired extends NonRetryableError {
  constructor(readonly reason: "missing" | "wrong") {
    super(
      reason === "missing"
        ? "this network needs its token: send 'Authorization: Bearer <token>' (the twined command and clients read TWINED_TOKEN). 'twined dev' printed the token when it made it, and keeps it in network-token in its data directory"
        : "the token sent is not this network's: send the token 'twined dev' printed (kept in network-token in its data directory) as 'Authorization: Bearer <token>', or set TWINED_TOKEN to it",
    );
  }
}
