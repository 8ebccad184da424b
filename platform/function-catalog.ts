/**
 * The Cloud Functions of a Twined network and who calls each one: the list that the deployment (cloudbuild.yaml,
 * infra/) and the local topology are checked against.
 */
export interface NetworkFunction {
  /** The Functions Framework target, which is also the deploy's `--entry-point`. */
  readonly target: string;
  /**
   * `askers`: people and services over HTTP (the questions API, the registry). `pubsub`: a push subscription of
   * `networkSubscriptions()`, or the dead-letter keeper's. `scheduler`: Cloud Scheduler, on a timer.
   */
  readonly caller: "askers" | "pubsub" | "scheduler";
}

export const NETWORK_FUNCTIONS: readonly NetworkFunction[] = [
  { target: "question-intake", caller: "askers" },
  { target: "question-intake-events", caller: "pubsub" },
  { target: "twine-validator", caller: "pubsub" },
  { target: "kueue-launcher", caller: "pubsub" },
  { target: "answer-forwarder", caller: "pubsub" },
  { target: "revision-registry", caller: "askers" },
  { target: "question-reconciler", caller: "scheduler" },
  { target: "dead-letter-keeper", caller: "pubsub" },
];

/**
 * A function's name when deployed: environment-prefixed, so that several networks share a project, and within the
 * 63 lowercase characters Cloud Functions allows.
 */
export function deployedFunctionName(environment: string, target: string): string {
  return `${environment}-twined-${target}`;
}
