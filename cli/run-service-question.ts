import { EmulatedChildAsker } from "../runtime/children/emulated-child-asker.js";
import { NetworkChildAsker } from "../runtime/children/network-child-asker.js";
import { answerQuestion } from "../runtime/runner/answer-question.js";
import type { RunnerDatasets } from "../runtime/runner/datasets.js";
import type { PrestartedHarness } from "../runtime/runner/prestarted-harness.js";
import type { FinalEvent } from "../runtime/runner/response-emitter.js";
import { warmStartsFromEnvironment } from "../runtime/runner/warm-start-broker.js";
import type { IdentityToken } from "../shared/client/index.js";
import type { LoadedServiceConfiguration } from "../shared/config/index.js";
import { JobStopped } from "../shared/errors/index.js";
import type { ChildEventEnvelope, ParentEventEnvelope, QuestionEvent } from "../shared/events/index.js";
import { resolveRuntimeIdentity } from "../shared/identity/index.js";
import { definedProperties } from "../shared/objects/index.js";
import type { ChildAsker, EventSink, Logger, SecretSource } from "../shared/ports/index.js";
import type { CliOutput } from "./output.js";

export interface LocalRunOptions {
  /** Answers the app's child questions; wins over `childrenEmulators` and `network`. */
  readonly childAsker?: ChildAsker | undefined;
  readonly childrenEmulators?: string | undefined;
  /** Ask children through this network instead (when no emulators are given). */
  readonly network?: string | undefined;
  /** Proves who asks, to a network behind IAM; by default `TWINED_ID_TOKEN`. */
  readonly networkIdentityToken?: IdentityToken | undefined;
  readonly revisionTag?: string | undefined;
  readonly heartbeatIntervalSeconds?: number | undefined;
  readonly timeoutSeconds?: number | undefined;
  /**
   * Answering as a cluster's job (`--question-uuid`): a SIGTERM then means the Job was deleted or its pod evicted,
   * which the asker hears as `JobStopped`, not as a cancellation nobody asked for.
   */
  readonly asJob?: boolean | undefined;
  /** Where datasets are read and written (the job's storage, from its environment). */
  readonly datasets?: RunnerDatasets | undefined;
  /** Where missing credentials come from (Secret Manager for a job on Google Cloud). */
  readonly secrets?: SecretSource | undefined;
  /** Where a cloud job logs the app's records that are not forwarded to the asker (`forward_logs` false). */
  readonly log?: Logger | undefined;
  /** A harness started while this process was loading (ask-local); used when it fits, else stopped. */
  readonly prestarted?: PrestartedHarness | undefined;
  /** Whether to ask `python3` which interpreter it runs first: not worth a Python start for one question. */
  readonly resolvePython?: boolean | undefined;
}

/** The SRUID this process answers as: the configuration's namespace/name (or env overrides) and a revision tag. */
export function localIdentity(loaded: LoadedServiceConfiguration, revisionTag: string | undefined, output: CliOutput) {
  return resolveRuntimeIdentity({
    configuration: loaded.configuration,
    env: process.env,
    revisionTagOption: revisionTag,
    onWarning: (message) => output.stderr.write(`warning: ${message}\n`),
  });
}

/**
 * Answers one question with the service in this process's working directory; Ctrl-C (SIGINT) and SIGTERM cancel it
 * like an operator's cancellation would.
 */
export async function runServiceQuestion(
  loaded: LoadedServiceConfiguration,
  question: ParentEventEnvelope<QuestionEvent>,
  serviceSruid: string,
  sink: EventSink,
  options: LocalRunOptions,
  output: CliOutput,
): Promise<ChildEventEnvelope<FinalEvent>> {
  const childAsker =
    options.childAsker ??
    (options.childrenEmulators !== undefined
      ? EmulatedChildAsker.fromFile(options.childrenEmulators)
      : options.network !== undefined
        ? new NetworkChildAsker(options.network, options.networkIdentityToken)
        : undefined);
  const cancellation = new AbortController();
  const onSignal = (signal: NodeJS.Signals) =>
    cancellation.abort(
      signal === "SIGINT"
        ? "interrupted from the keyboard (Ctrl-C)"
        : options.asJob === true
          ? new JobStopped(
              question.attributes.question_uuid,
              `its job received ${signal} (the Job was deleted, or its pod evicted, preempted or its node shut down)`,
            )
          : `the runner received ${signal}`,
    );
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await answerQuestion({
      configuration: loaded.configuration,
      question,
      serviceSruid,
      sink,
      ...definedProperties({ childAsker }),
      heartbeatIntervalMs: (options.heartbeatIntervalSeconds ?? 60) * 1000,
      ...definedProperties({ timeoutSeconds: options.timeoutSeconds }),
      signal: cancellation.signal,
      workingDirectory: process.cwd(),
      onOutput: (_stream, text) => output.stderr.write(text),
      ...definedProperties({ datasets: options.datasets, secrets: options.secrets, log: options.log }),
      ...definedProperties({ prestarted: options.prestarted, resolvePython: options.resolvePython }),
      ...definedProperties({ warmStarts: warmStartsFromEnvironment(process.env, loaded.configuration) }),
    });
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}
