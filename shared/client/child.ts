import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import pRetry from "p-retry";
import { localDatasetsIn, uploadLocalDatasets, withAbsoluteLocalPaths } from "../datasets/index.js";
import { AnswerTimedOut, AskAborted, NetworkRequestFailed, RemoteException } from "../errors/index.js";
import type { ChildEventEnvelope, LogRecord, SerialisedManifest } from "../events/index.js";
import { parseServiceId } from "../identity/index.js";
import { definedProperties } from "../objects/index.js";
import type { DatasetStore } from "../ports/index.js";
import { isTerminal, type QuestionStatus } from "../questions/index.js";
import { NetworkClient, type StreamedEvent } from "./network-client.js";
import type { QuestionTransport } from "./question-transport.js";

/** Octue's defaults: a day for an answer, six minutes between signs of life. */
export const DEFAULT_ASK_TIMEOUT_SECONDS = 86_400;
export const DEFAULT_MAXIMUM_HEARTBEAT_INTERVAL_SECONDS = 360;
/** How often a broken event stream is reopened (resuming after the last event seen) before the ask fails. */
const STREAM_RECONNECTS = 5;

/** What a service answered: its output values and output manifest (null when it gave none). */
export interface Answer {
  readonly output_values: unknown;
  readonly output_manifest: unknown;
}

export interface ChildOptions {
  /** The service: `namespace/name` (its default revision) or `namespace/name:tag`. */
  readonly id: string;
  /**
   * The network's address (`twined dev`, or a deployed intake), a client for it, or another transport (e.g. a
   * `PubSubTransport` to ask with only a project and the services topic).
   */
  readonly network?: string | QuestionTransport;
  /** Who is asking (an SRUID); anonymous (`local/local:local`) when not given. */
  readonly asker?: string;
  /**
   * Where this asker's local datasets are uploaded when the network's jobs cannot read this machine's paths: Cloud
   * Storage with this machine's Google credentials (or `STORAGE_EMULATOR_HOST`) unless given.
   */
  readonly datasets?: DatasetStore;
}

export interface AskOptions {
  readonly inputValues?: unknown;
  readonly inputManifest?: Record<string, unknown>;
  /** Override the service's children for this question (one generation deep). */
  readonly children?: readonly Record<string, unknown>[];
  /** Ask with this question UUID (the first attempt only; retries get fresh ones). */
  readonly questionUuid?: string;
  readonly parentQuestionUuid?: string;
  readonly originatorQuestionUuid?: string;
  /** The SRUID of whoever asked the first question of the tree. */
  readonly originator?: string;
  /** Seconds to wait for the answer (queueing included) before cancelling the question; default a day. */
  readonly timeout?: number;
  /** Seconds the service may run once started before the network stops it (the job's deadline); default none. */
  readonly runDeadline?: number;
  /**
   * Seconds the service may go without a sign of life (a heartbeat, log or monitor message) once it has started;
   * default 360. Time spent queued for resources does not count.
   */
  readonly maximumHeartbeatInterval?: number;
  readonly onLog?: (record: LogRecord, envelope: ChildEventEnvelope) => void;
  readonly onMonitorMessage?: (data: unknown, envelope: ChildEventEnvelope) => void;
  /** Every event of the question as it arrives, including heartbeats and the final one. */
  readonly onEvent?: (envelope: ChildEventEnvelope) => void;
  /** Called once the network has accepted the question (for each attempt), before waiting for its answer. */
  readonly onAsked?: (questionUuid: string, recipient: string) => void;
  /** The question's status changes (`queued`, `running`, …) as the network reports them. */
  readonly onStatus?: (status: QuestionStatus, questionUuid: string) => void;
  /** Return the question UUID at once instead of waiting for the answer. */
  readonly asynchronous?: boolean;
  /** Where the network POSTs every event of the question as it happens. */
  readonly pushEndpoint?: string;
  readonly priority?: number;
  readonly cpus?: number;
  readonly memory?: string;
  readonly ephemeralStorage?: string;
  readonly forwardLogs?: boolean;
  /** Ask again this many times if the question fails (each retry is a new question with `retry_count` + 1). */
  readonly maxRetries?: number;
  /** Failures never worth retrying: remote exception type names, or error classes (matched exactly, as Octue does). */
  readonly preventRetriesWhen?: readonly (string | (abstract new (...args: never[]) => Error))[];
  /** When false, a failure is returned as `error` instead of thrown. Default true. */
  readonly raiseErrors?: boolean;
  /** Aborting stops waiting and cancels the question. */
  readonly signal?: AbortSignal;
}

export interface AskResult {
  readonly questionUuid: string;
  /** The revision that was asked (`namespace/name:tag`), once the network has resolved it. */
  readonly recipient?: string;
  /** Undefined when asked asynchronously, or when the question failed and `raiseErrors` is false. */
  readonly answer: Answer | undefined;
  /** Why the question failed, when `raiseErrors` is false. */
  readonly error?: Error;
}

export interface AskMultipleOptions {
  /** How many questions are in flight at once; default 32. */
  readonly concurrency?: number;
  /** Defaults applied to every question unless it sets its own. */
  readonly raiseErrors?: boolean;
  readonly maxRetries?: number;
  readonly preventRetriesWhen?: AskOptions["preventRetriesWhen"];
}

/**
 * A service on a Twined network, to ask questions of: `await new Child({ id: "my-org/my-service", network }).ask({
 * inputValues })` returns its answer, passing its logs and monitor messages on as they arrive. Failures surface as
 * `RemoteException` (named after the remote type, with its traceback) or `AnswerTimedOut`.
 */
export class Child {
  readonly id: string;
  private readonly client: QuestionTransport;
  private readonly asker: string | undefined;
  private readonly datasets: DatasetStore | undefined;

  constructor(options: ChildOptions) {
    parseServiceId(options.id);
    this.id = options.id;
    this.client =
      typeof options.network === "string" || options.network === undefined
        ? new NetworkClient(options.network)
        : options.network;
    this.asker = options.asker;
    this.datasets = options.datasets;
  }

  async ask(asked: AskOptions = {}): Promise<AskResult> {
    const options = await this.withLocalDatasetsUploaded(asked);
    const maxRetries = options.maxRetries ?? 0;
    let lastQuestionUuid = options.questionUuid;
    const attempt = async (attemptNumber: number): Promise<AskResult> => {
      const retryCount = attemptNumber - 1;
      const { result, questionUuid } = await this.askOnce(
        retryCount === 0 ? options : { ...options, questionUuid: undefined },
        retryCount,
        (uuid) => {
          lastQuestionUuid = uuid;
        },
      );
      return { ...result, questionUuid };
    };
    try {
      return await pRetry(attempt, {
        retries: maxRetries,
        minTimeout: 500,
        maxTimeout: 30_000,
        ...definedProperties({ signal: options.signal }),
        shouldRetry: ({ error }) => isWorthRetrying(error, options.preventRetriesWhen ?? []),
      });
    } catch (error) {
      if (options.raiseErrors === false && error instanceof Error) {
        return { questionUuid: lastQuestionUuid ?? "", answer: undefined, error };
      }
      throw error;
    }
  }

  /** Asks several questions at once (at most `concurrency` in flight); results come back in asking order. */
  async askMultiple(questions: readonly AskOptions[], options: AskMultipleOptions = {}): Promise<AskResult[]> {
    const limit = pLimit(options.concurrency ?? 32);
    return Promise.all(
      questions.map((question) =>
        limit(() =>
          this.ask({
            ...definedProperties({
              raiseErrors: options.raiseErrors,
              maxRetries: options.maxRetries,
              preventRetriesWhen: options.preventRetriesWhen,
            }),
            ...question,
          }),
        ),
      ),
    );
  }

  /**
   * The question with its local datasets uploaded to the network's uploads location, when the network's jobs cannot
   * read this machine's paths; as asked otherwise (a network on this machine, or one that does not say). Relative
   * paths are relative to this process's working directory.
   */
  private async withLocalDatasetsUploaded(options: AskOptions): Promise<AskOptions> {
    const manifest = options.inputManifest;
    if (manifest === undefined || localDatasetsIn(manifest).length === 0) return options;
    const settings = await this.client.datasetSettings?.();
    if (settings?.readsLocalFiles === true) {
      // Its jobs read this machine's disk, from their own service's folder: paths must not depend on where either runs.
      return { ...options, inputManifest: withAbsoluteLocalPaths(manifest, process.cwd()) };
    }
    // Without an uploads location the network refuses the question itself, saying why (FileLocationError).
    if (settings === undefined || settings.uploadsLocation === undefined) return options;
    const store = this.datasets ?? (await defaultDatasetStore());
    const uploaded = await uploadLocalDatasets(manifest as unknown as SerialisedManifest, {
      store,
      location: settings.uploadsLocation,
    });
    return { ...options, inputManifest: uploaded.manifest as unknown as Record<string, unknown> };
  }

  private async askOnce(
    options: AskOptions,
    retryCount: number,
    onAsked: (questionUuid: string) => void,
  ): Promise<{ result: Omit<AskResult, "questionUuid">; questionUuid: string }> {
    const asked = await this.client.ask(this.requestBody(options, retryCount));
    const questionUuid = asked.question_uuid;
    onAsked(questionUuid);
    const recipient = asked.recipient;
    options.onAsked?.(questionUuid, recipient);
    if (options.asynchronous === true) return { result: { answer: undefined, recipient }, questionUuid };
    const answer = await this.waitForAnswer(questionUuid, recipient, options);
    return { result: { answer, recipient }, questionUuid };
  }

  private requestBody(options: AskOptions, retryCount: number): Record<string, unknown> {
    const optional: [string, unknown][] = [
      ["sender", this.asker],
      ["input_manifest", options.inputManifest],
      ["children", options.children],
      // Each attempt names its question, so that sending it again after a dropped connection asks it only once.
      ["question_uuid", options.questionUuid ?? randomUUID()],
      ["parent_question_uuid", options.parentQuestionUuid],
      ["originator_question_uuid", options.originatorQuestionUuid],
      ["originator", options.originator],
      ["push_endpoint", options.pushEndpoint],
      ["timeout_seconds", options.runDeadline],
      ["priority", options.priority],
      ["cpus", options.cpus],
      ["memory", options.memory],
      ["ephemeral_storage", options.ephemeralStorage],
      ["forward_logs", options.forwardLogs],
      ["retry_count", retryCount === 0 ? undefined : retryCount],
    ];
    return {
      recipient: this.id,
      // `in`: falsy input values (0, false, "") are questions too; only a missing one is left out.
      ...("inputValues" in options && options.inputValues !== undefined ? { input_values: options.inputValues } : {}),
      ...Object.fromEntries(optional.filter(([, value]) => value !== undefined)),
    };
  }

  /** Follows the question until its final event, enforcing the timeout and the heartbeat interval. */
  private async waitForAnswer(questionUuid: string, recipient: string, options: AskOptions): Promise<Answer> {
    const timeout = options.timeout ?? DEFAULT_ASK_TIMEOUT_SECONDS;
    const heartbeatInterval = options.maximumHeartbeatInterval ?? DEFAULT_MAXIMUM_HEARTBEAT_INTERVAL_SECONDS;
    const controller = new AbortController();
    let stopped: AnswerTimedOut | undefined;
    const stop = (reason: "timeout" | "heartbeat", seconds: number) => {
      stopped ??= new AnswerTimedOut(questionUuid, recipient, seconds, reason);
      controller.abort(stopped);
    };
    const deadline = setTimeout(() => stop("timeout", timeout), timeout * 1000);
    let liveness: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(liveness);
      liveness = setTimeout(() => stop("heartbeat", heartbeatInterval), heartbeatInterval * 1000);
    };
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });

    let after = 0;
    let final: ChildEventEnvelope | undefined;
    try {
      for (let reconnects = 0; final === undefined; ) {
        try {
          for await (const update of this.client.follow(questionUuid, after, controller.signal)) {
            if (update.type === "status") {
              if (update.status === "running" && liveness === undefined) alive();
              options.onStatus?.(update.status, questionUuid);
              continue;
            }
            after = update.event.sequence;
            reconnects = 0;
            const envelope = withoutSequence(update.event);
            // The service has started once it acknowledges the question; from then on it must keep showing life.
            alive();
            options.onEvent?.(envelope);
            dispatch(envelope, options);
            if (envelope.event.kind === "result" || envelope.event.kind === "exception") {
              final = envelope;
              break;
            }
          }
          if (final !== undefined) break;
          // The stream ended without the final event: done if the question has ended, else follow it again.
          const { status } = await this.client.question(questionUuid);
          if (isTerminal(status as QuestionStatus)) break;
          if (++reconnects > STREAM_RECONNECTS) {
            throw new NetworkRequestFailed(
              `the event stream of question ${questionUuid} keeps ending while the question is ${status}`,
              undefined,
              undefined,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** reconnects));
        } catch (error) {
          if (controller.signal.aborted) throw error;
          // A dropped stream is resumed from the last event seen; an answer from the network itself is not retried.
          if (!(error instanceof NetworkRequestFailed) || error.status !== undefined) throw error;
          if (++reconnects > STREAM_RECONNECTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** reconnects));
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      const failure = stopped ?? new AskAborted(questionUuid, String(options.signal?.reason ?? "aborted"));
      await this.client.cancel(questionUuid, failure.message).catch(() => undefined);
      throw failure;
    } finally {
      clearTimeout(deadline);
      clearTimeout(liveness);
      options.signal?.removeEventListener("abort", onAbort);
    }
    return this.outcome(questionUuid, recipient, final);
  }

  private async outcome(questionUuid: string, recipient: string, final: ChildEventEnvelope | undefined) {
    if (final?.event.kind === "result") {
      const result = final.event;
      return { output_values: result.output_values ?? null, output_manifest: result.output_manifest ?? null };
    }
    if (final?.event.kind === "exception") {
      const exception = final.event;
      const summary = await this.client.question(questionUuid).catch(() => undefined);
      throw new RemoteException(
        questionUuid,
        final.attributes.sender,
        exception.exception_type,
        exception.exception_message,
        exception.exception_traceback,
        summary?.status,
      );
    }
    // The stream ended without a final event: the network's record of the question says how it ended.
    const summary = await this.client.question(questionUuid);
    if (summary.status === "succeeded" && summary.answer !== undefined) {
      return {
        output_values: summary.answer.output_values ?? null,
        output_manifest: summary.answer.output_manifest ?? null,
      };
    }
    throw new RemoteException(
      questionUuid,
      recipient,
      summary.error?.type ?? "RuntimeError",
      summary.error?.message ?? `the question ended as ${summary.status} without an answer`,
      summary.error?.traceback ?? [],
      summary.status,
    );
  }
}

function withoutSequence(event: StreamedEvent): ChildEventEnvelope {
  const {
    sequence: _sequence,
    recorded_at: _recordedAt,
    ...envelope
  } = event as StreamedEvent & {
    recorded_at?: string;
  };
  return envelope as ChildEventEnvelope;
}

function dispatch(envelope: ChildEventEnvelope, options: AskOptions): void {
  const event = envelope.event;
  if (event.kind === "log_record") options.onLog?.(event.log_record, envelope);
  else if (event.kind === "monitor_message") options.onMonitorMessage?.(event.data, envelope);
}

/**
 * Retrying helps with what may go differently next time: a service that raised or crashed, a timeout, a network that
 * could not be reached. A rejected question (invalid inputs), a refused request (4xx) or a prevented type would only
 * fail the same way again.
 */
function isWorthRetrying(error: Error, prevent: NonNullable<AskOptions["preventRetriesWhen"]>): boolean {
  for (const entry of prevent) {
    if (typeof entry === "string" ? error.name === entry : error.constructor === entry) return false;
  }
  if (error instanceof RemoteException) return error.status !== "rejected";
  if (error instanceof NetworkRequestFailed) return error.status === undefined || error.status >= 500;
  return error instanceof AnswerTimedOut;
}

/** Cloud Storage with this machine's credentials; loaded only when a question names local datasets. */
async function defaultDatasetStore(): Promise<DatasetStore> {
  const { CloudStorageDatasetStore } = await import("../adapters/google/cloud-storage/index.js");
  return new CloudStorageDatasetStore();
}
