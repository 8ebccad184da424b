/** A running Twined network the scenario suite can ask questions of, whatever it runs on. */
export interface ScenarioNetwork {
  /** The network's HTTP API (questions, events, registry). */
  readonly url: string;
  /** How many jobs were started for a question: exactly one for every question that ran. */
  launches(questionUuid: string): number;
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
