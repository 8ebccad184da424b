import type { DatasetStore, JobLauncher } from "../../shared/ports/index.js";

/** A running Twined network the scenario suite can ask questions of, whatever it runs on. */
export interface ScenarioNetwork {
  /** The network's HTTP API (questions, events, registry). */
  readonly url: string;
  /** Its Octue services topic, on platforms with a real Pub/Sub. */
  readonly servicesTopic?: string;
  /**
   * The network's dataset storage, as a test reaches it directly (to put input datasets in, and look at outputs);
   * `uploads` is a location the network reads from.
   */
  readonly storage?: { readonly store: DatasetStore; readonly uploads: string };
  /** How many jobs were started for a question: exactly one for every question that ran. */
  launches(questionUuid: string): Promise<number>;
  close(): Promise<void>;
}

export interface ScenarioNetworkOptions {
  /** CPUs the network's jobs may use at once. */
  readonly cpuQuota: number;
  /** Deliver every bus message twice, in shuffled order (where the platform's bus can be told to). */
  readonly duplicateDeliveries?: boolean;
}

/** A way to run a Twined network: the embedded default, the Google emulators, a Kueue launcher… */
export interface ScenarioPlatform {
  readonly name: string;
  start(options: ScenarioNetworkOptions): Promise<ScenarioNetwork>;
}

/**
 * Jobs started for a question, as any asker can see them: each run of the runner acknowledges the question once, so
 * two `delivery_acknowledgement` events mean two runs. For platforms whose launcher runs in another process.
 */
export async function launchesFromEvents(url: string, questionUuid: string): Promise<number> {
  const response = await fetch(
    `${url}/questions/${encodeURIComponent(questionUuid)}/events?kinds=delivery_acknowledgement`,
  );
  if (!response.ok) throw new Error(`could not read the events of ${questionUuid}: HTTP ${response.status}`);
  return ((await response.json()) as { events: unknown[] }).events.length;
}

/**
 * Counts the jobs `launcher` starts for each question (a launch it drops as already made does not count), for
 * platforms whose launcher runs in the test's process.
 */
export function countLaunches(launcher: JobLauncher): ReadonlyMap<string, number> {
  const launches = new Map<string, number>();
  const launch = launcher.launch.bind(launcher);
  launcher.launch = async (spec) => {
    const outcome = await launch(spec);
    const questionUuid = spec.question.attributes.question_uuid;
    if (outcome.launched) launches.set(questionUuid, (launches.get(questionUuid) ?? 0) + 1);
    return outcome;
  };
  return launches;
}
