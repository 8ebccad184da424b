import type { ChildConfiguration } from "../config/index.js";
import type { ChildEventEnvelope, ParentAttributes } from "../events/index.js";

/** A question a running service asks one of its children. */
export interface ChildQuestion {
  /** The child's key in the twine's `children` strand. */
  readonly key: string;
  /** The child as configured (or overridden by the question): its SRUID and backend. */
  readonly child: ChildConfiguration;
  readonly inputValues: unknown;
  readonly inputManifest: unknown;
  /** How long to wait for the answer; undefined means no limit. */
  readonly timeoutSeconds: number | undefined;
  /** Reuse this question UUID (e.g. a retry); a new one is made otherwise. */
  readonly questionUuid: string | undefined;
  /** The attributes of the question being answered, which the child question descends from. */
  readonly parentQuestion: ParentAttributes;
  /** The SRUID of the asking service. */
  readonly askerSruid: string;
}

/** How a child question ended. */
export type ChildOutcome =
  | { readonly kind: "result"; readonly outputValues: unknown; readonly outputManifest: unknown }
  | {
      readonly kind: "exception";
      readonly exceptionType: string;
      readonly exceptionMessage: string;
      readonly exceptionTraceback: readonly string[];
    };

export interface ChildAnswer {
  readonly questionUuid: string;
  /** The child's SRUID as it answered (the sender of its events). */
  readonly childSruid: string;
  readonly outcome: ChildOutcome;
}

/**
 * Asks child services questions on behalf of a running service. Implementations: a scripted emulator (tests,
 * `ask-local`), and the service network.
 */
export interface ChildAsker {
  /** `onEvent` receives the child's non-final events (logs, monitor messages) as they arrive. */
  ask(question: ChildQuestion, onEvent?: (envelope: ChildEventEnvelope) => void): Promise<ChildAnswer>;
}
