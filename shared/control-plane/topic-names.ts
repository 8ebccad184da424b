/** The Pub/Sub topics of one Twined network. */
export interface TopicNames {
  /** Octue's shared topic: every question (PARENT) and every response event (CHILD). */
  readonly services: string;
  /** Internal: questions created by the intake, for the twine validator. */
  readonly accepted: string;
  /** Internal: validated questions, for the launcher. */
  readonly validated: string;
  /** Internal: cancellation requests, for the launcher. */
  readonly cancellations: string;
  /** Messages that could never be processed, with the reason. */
  readonly deadLetters: string;
}

/**
 * Topic names for an environment (one word, e.g. `main`), as Octue names the services topic
 * (`<environment>.octue.twined.services`, overridden by `TWINED_SERVICES_TOPIC_NAME`).
 */
export function topicNames(environment: string, env: Readonly<Record<string, string | undefined>> = {}): TopicNames {
  if (!/^[a-z][a-z0-9]*$/.test(environment)) {
    throw new RangeError(
      `the environment name '${environment}' must be one lowercase word (letters and digits, starting with a letter), e.g. 'main'`,
    );
  }
  const services = env.TWINED_SERVICES_TOPIC_NAME || `${environment}.octue.twined.services`;
  return {
    services,
    accepted: `${environment}.twined.questions.accepted`,
    validated: `${environment}.twined.questions.validated`,
    cancellations: `${environment}.twined.questions.cancellations`,
    deadLetters: `${environment}.twined.dead-letters`,
  };
}
