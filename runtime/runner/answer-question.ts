import { mkdirSync } from "node:fs";
import path from "node:path";
import { SpanStatusCode } from "@opentelemetry/api";
import type { ServiceConfiguration } from "../../shared/config/index.js";
import {
  MessageLimitExceeded,
  QuestionCancelled,
  QuestionInterrupted,
  QuestionTimedOut,
  ServiceCrashed,
  TwinedError,
  TwineException,
} from "../../shared/errors/index.js";
import {
  type ChildEventEnvelope,
  deriveResponseAttributes,
  type ExceptionEvent,
  encodeEvent,
  type LogRecord,
  type ParentEventEnvelope,
  type QuestionEvent,
  serviceExceptionMessage,
} from "../../shared/events/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import {
  type ChildAsker,
  type EventSink,
  type Logger,
  type SecretSource,
  severityOfPythonLevel,
} from "../../shared/ports/index.js";
import { inSpan, jobSpanAttributes } from "../../shared/tracing/index.js";
import { JsonSource, loadTwine, type Twine } from "../../shared/twine/index.js";
import { answerChildRequest } from "./child-requests.js";
import { resolveCredentials } from "./credential-resolution.js";
import { type RunnerDatasets, readQuestionDatasets, saveOutputDatasets, storeOutputValues } from "./datasets.js";
import { DiagnosticsRecorder, diagnosticsSavingSink } from "./diagnostics-recorder.js";
import { DownloadRequests } from "./download-requests.js";
import type { HarnessMessage } from "./harness-messages.js";
import { type Harness, HarnessProcess, type HarnessProcessOptions } from "./harness-process.js";
import { checkFileTags, type ValidatedQuestionData, validateQuestionData } from "./input-validation.js";
import { jobTraceContext } from "./job-trace.js";
import { PrestartedHarness } from "./prestarted-harness.js";
import { resolvedPython, resolvePython } from "./python-interpreter.js";
import { type FinalEvent, ResponseEmitter } from "./response-emitter.js";
import type { WarmStartSource } from "./warm-starts.js";

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 60_000;
export const DEFAULT_TERMINATION_GRACE_MS = 10_000;
/** How long the app process may take to exit by itself once it has answered (e.g. joining its own threads). */
const EXIT_AFTER_ANSWER_MS = 2_000;

export interface AnswerQuestionOptions {
  readonly configuration: ServiceConfiguration;
  /** The service's twine; loaded from `configuration.twinePath` when not given. */
  readonly twine?: Twine;
  /** The question, with the asker's attributes. */
  readonly question: ParentEventEnvelope<QuestionEvent>;
  /** The SRUID this service answers as; named in exception messages, as Octue does. */
  readonly serviceSruid: string;
  readonly sink: EventSink;
  /** Answers `analysis.children[key].ask(...)`; without one, asking a child raises in the app. */
  readonly childAsker?: ChildAsker;
  readonly heartbeatIntervalMs?: number;
  /** Aborting cancels the question: the app gets SIGTERM, then SIGKILL after the grace period. */
  readonly signal?: AbortSignal;
  /** A deadline for the whole answer, handled like a cancellation. */
  readonly timeoutSeconds?: number;
  readonly terminationGraceMs?: number;
  /** The Python interpreter; defaults to `$TWINED_PYTHON` or `python3`. */
  readonly python?: string;
  /**
   * Whether to ask the `python` command which interpreter it runs and start that one (default true): that costs one
   * Python start, which a process answering many questions saves on every later one (a version manager's shim takes
   * hundreds of milliseconds) but a process answering one question only pays.
   */
  readonly resolvePython?: boolean;
  /** A harness started before the question was read; used when it fits the question, else stopped. */
  readonly prestarted?: PrestartedHarness;
  /** Where the app runs and relative manifest paths resolve; defaults to the current directory. */
  readonly workingDirectory?: string;
  /** Where output datasets are written; defaults to `.twined/outputs/<question uuid>` in the working directory. */
  readonly outputDirectory?: string;
  /** The environment the app runs in and credentials are checked against; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The app's own stdout/stderr (print output); defaults to this process's stderr. */
  readonly onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  /**
   * Where the app's log records that are not forwarded to the asker (`forward_logs` false) are logged, each with its
   * Python level as severity and the question and SRUID as labels (a cloud job's log); forwarded ones are events.
   */
  readonly log?: Logger;
  /** Log level forwarded from the app; defaults to INFO. */
  readonly logLevel?: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  /**
   * Where datasets are read and written: storage for `gs://` paths, the outputs' default location, downloads. Without
   * it, `gs://` datasets cannot be read (signed URLs still can) and output datasets stay in the output directory.
   */
  readonly datasets?: RunnerDatasets;
  /** Fills the twine's credentials missing from the environment (Secret Manager in the cloud, as Octue does). */
  readonly secrets?: SecretSource;
  /**
   * Forks the app's process from the revision's Python that already imported the app (warm starts), instead of
   * starting Python afresh; the question still runs in a process of its own.
   */
  readonly warmStarts?: WarmStartSource;
}

/**
 * Answers one question with a service's app: validates its data against the twine (an invalid question gets an
 * `exception` event and its app never runs), acknowledges it, sends heartbeats, runs the app in the Python harness,
 * relays its logs and monitor messages, validates its outputs, and ends with exactly one `result` or `exception`
 * event, which it returns.
 */
export async function answerQuestion(options: AnswerQuestionOptions): Promise<ChildEventEnvelope<FinalEvent>> {
  const parent = await jobTraceContext(options.env ?? process.env);
  const attributes = jobSpanAttributes({ question: options.question, revision: { sruid: options.serviceSruid } });
  return inSpan("runner", { parent, attributes }, async (span) => {
    const early = startHarnessEarly(options);
    const final = await answer(options, early).finally(async () => {
      await options.prestarted?.release();
      await (await early)?.harness.release();
    });
    if (final.event.kind === "exception") {
      span.setStatus({ code: SpanStatusCode.ERROR, message: final.event.exception_type });
    }
    return final;
  });
}

/** A harness started before the question was read, and the interpreter it runs. */
interface EarlyHarness {
  readonly python: string;
  readonly harness: PrestartedHarness;
}

/**
 * Starts the question's Python harness before the runner reads the twine and checks the question, unless the caller
 * started one or warm starts fork it: Python's start and the harness's imports then overlap with that work instead of
 * following it. The harness is used when the question needs exactly that process (not when credentials from the
 * twine change its environment), else stopped unused, as is one of a question refused.
 *
 * It starts now when the interpreter is known (given as is, or found by an earlier question); otherwise once it is
 * found, so that finding it (a version manager's shim takes hundreds of milliseconds) never holds the question's
 * acknowledgement back.
 */
function startHarnessEarly(options: AnswerQuestionOptions): Promise<EarlyHarness> | undefined {
  if (options.prestarted !== undefined || options.warmStarts !== undefined) return undefined;
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.workingDirectory ?? process.cwd());
  const command = options.python ?? env.TWINED_PYTHON ?? "python3";
  const start = (python: string): EarlyHarness => ({
    python,
    harness: new PrestartedHarness({ python, cwd, env }),
  });
  const known = options.resolvePython === false ? command : resolvedPython(command, cwd, env);
  return known === undefined ? resolvePython(command, cwd, env).then(start) : Promise.resolve(start(known));
}

function appOutputToStderr(_stream: "stdout" | "stderr", text: string): void {
  process.stderr.write(text);
}

async function answer(
  options: AnswerQuestionOptions,
  early: Promise<EarlyHarness> | undefined,
): Promise<ChildEventEnvelope<FinalEvent>> {
  const { question, configuration } = options;
  const questionUuid = question.attributes.question_uuid;
  let env = options.env ?? process.env;
  const workingDirectory = path.resolve(options.workingDirectory ?? process.cwd());
  const recorder = new DiagnosticsRecorder(question, options.serviceSruid);
  const sink = diagnosticsSavingSink(options.sink, {
    recorder,
    question,
    configuration,
    datasets: options.datasets,
    workingDirectory,
  });
  const emitter = new ResponseEmitter(sink, deriveResponseAttributes(question.attributes));
  const exceptionFrom = (error: unknown) => exceptionEvent(error, options.serviceSruid);

  let twine: Twine;
  let data: ValidatedQuestionData;
  try {
    twine = options.twine ?? loadTwine(JsonSource.file(configuration.twinePath));
    const credentials = (twine.credentials ?? []).map((credential) => credential.name);
    if (credentials.length > 0) env = { ...env, ...(await resolveCredentials(credentials, env, options.secrets)) };
    data = validateQuestionData(twine, configuration, question.event, env);
    recorder.configuration(data.configurationValues, data.configurationManifest);
  } catch (error) {
    return finishWith(emitter, exceptionFrom(error));
  }

  await emitter.emit({ kind: "delivery_acknowledgement" });
  const heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  // Errors from heartbeat emits surface through the emitter's chain when the final event is awaited.
  const heartbeat = setInterval(() => void emitter.emit({ kind: "heartbeat" }).catch(() => {}), heartbeatMs);

  const outputDirectory = path.resolve(
    options.outputDirectory ?? path.join(workingDirectory, ".twined", "outputs", questionUuid),
  );
  mkdirSync(outputDirectory, { recursive: true });
  const datasetAccess = options.datasets?.access ?? { unavailable: NO_STORAGE };
  const downloads = new DownloadRequests(
    datasetAccess,
    options.datasets?.downloadsDirectory ?? path.join(path.dirname(outputDirectory), `${questionUuid}-downloads`),
  );

  // Cloud datasets are read (metadata only) once the question is acknowledged: a large dataset takes a while.
  try {
    data = await readQuestionDatasets(data, datasetAccess, workingDirectory);
    checkFileTags(twine, data);
  } catch (error) {
    clearInterval(heartbeat);
    return finishWith(emitter, exceptionFrom(error));
  }

  const pythonCommand = options.python ?? env.TWINED_PYTHON ?? "python3";
  const started = await early;
  const harnessOptions: HarnessProcessOptions = {
    python:
      started?.python ??
      (options.resolvePython === false ? pythonCommand : await resolvePython(pythonCommand, workingDirectory, env)),
    cwd: workingDirectory,
    env,
    onOutput: options.onOutput ?? appOutputToStderr,
  };
  const harness: Harness =
    options.warmStarts === undefined
      ? ((started?.harness ?? options.prestarted)?.claim(harnessOptions) ?? new HarnessProcess(harnessOptions))
      : await options.warmStarts.harness({
          ...harnessOptions,
          sruid: options.serviceSruid,
          appSourcePath: configuration.appSourcePath,
        });

  let interruption: QuestionInterrupted | undefined;
  const grace = options.terminationGraceMs ?? DEFAULT_TERMINATION_GRACE_MS;
  const interrupt = (reason: QuestionInterrupted) => {
    interruption ??= reason;
    void harness.terminate(grace);
  };
  // An abort whose reason is already an interruption (a job stopped from outside) says so; any other is a cancellation.
  const onAbort = () =>
    interrupt(
      options.signal?.reason instanceof QuestionInterrupted
        ? options.signal.reason
        : new QuestionCancelled(questionUuid, abortReason(options.signal)),
    );
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const deadline =
    options.timeoutSeconds === undefined
      ? undefined
      : setTimeout(
          () => interrupt(new QuestionTimedOut(questionUuid, options.timeoutSeconds ?? 0)),
          options.timeoutSeconds * 1000,
        );

  let exiting: Promise<unknown> | undefined;
  try {
    harness.send({
      type: "start",
      question_uuid: questionUuid,
      app_source_path: configuration.appSourcePath,
      working_directory: workingDirectory,
      output_directory: outputDirectory,
      twine: twine.raw,
      configuration_values: data.configurationValues,
      configuration_manifest: data.configurationManifest,
      input_values: data.inputValues,
      input_manifest: data.inputManifest,
      children: data.children,
      log_level: options.logLevel ?? "INFO",
      service_sruid: options.serviceSruid,
    });

    let final: FinalEvent | undefined;
    try {
      for await (const message of harness.messages()) {
        if (interruption !== undefined) break;
        final = await handleMessage(message);
        if (final !== undefined) break;
      }
    } catch (error) {
      final = exceptionFrom(new ServiceCrashed(questionUuid, error instanceof Error ? error.message : String(error)));
    }
    if (interruption !== undefined) {
      await harness.terminate(grace);
      final = exceptionFrom(interruption);
    } else if (final !== undefined) {
      // The app has answered, and nothing it does now can change that: the answer leaves while its process winds down
      // (Python's teardown alone takes tens of milliseconds), which the job still waits for before it ends.
      exiting = harness.finish(EXIT_AFTER_ANSWER_MS, grace);
    } else {
      const exit = await harness.exited;
      const how = exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
      const excerpt = harness.stderrExcerpt();
      final = exceptionFrom(
        new ServiceCrashed(questionUuid, `the app process ended (${how})${excerpt === "" ? "" : `:\n${excerpt}`}`),
      );
    }
    clearInterval(heartbeat);
    const sendable = await fitsInAMessage(final, question, exceptionFrom, async (values) =>
      storeOutputValues(values, { configuration, questionUuid, ...definedProperties({ datasets: options.datasets }) }),
    );
    return await finishWith(emitter, sendable);
  } finally {
    clearInterval(heartbeat);
    if (deadline !== undefined) clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onAbort);
    await (exiting ?? harness.terminate(grace));
  }

  async function handleMessage(message: HarnessMessage): Promise<FinalEvent | undefined> {
    switch (message.type) {
      case "log_record":
        if (question.attributes.forward_logs) {
          await emitter.emit({ kind: "log_record", log_record: message.log_record });
        } else {
          const record = message.log_record;
          options.log?.log(severityOfPythonLevel(record.levelname, record.levelno), logRecordText(record), {
            labels: { question_uuid: questionUuid, sruid: options.serviceSruid },
          });
        }
        return undefined;
      case "monitor_message":
        try {
          twine.validateMonitorMessage(message.data);
        } catch (error) {
          harness.send({ type: "monitor_message_response", id: message.id, error: describeForPython(error) });
          return undefined;
        }
        await emitter.emit({ kind: "monitor_message", data: message.data });
        harness.send({ type: "monitor_message_response", id: message.id, error: null });
        return undefined;
      case "ask_child":
        // Children are asked concurrently with the app's other work; their answers go back by request id.
        void answerChildRequest(message, {
          children: data.children,
          childAsker: options.childAsker,
          parentQuestion: question.attributes,
          askerSruid: options.serviceSruid,
          relayLog: (record) => {
            if (question.attributes.forward_logs) void emitter.emit({ kind: "log_record", log_record: record });
          },
          datasets: datasetAccess,
          recorder,
        }).then((response) => harness.send(response));
        return undefined;
      case "download":
        // Downloads run alongside the app's other work; each answer goes back by request id.
        void downloads.answer(message).then((response) => harness.send(response));
        return undefined;
      case "exception":
        return {
          kind: "exception",
          exception_type: message.exception_type,
          exception_message: serviceExceptionMessage(options.serviceSruid, message.exception_message),
          exception_traceback: message.exception_traceback,
        };
      case "result":
        return resultEvent(message.output_values, message.output_manifest);
    }
  }

  async function resultEvent(outputValues: unknown, outputManifest: unknown): Promise<FinalEvent> {
    try {
      // Unlike Octue, falsy outputs (0, false, "", {}, []) are data like any other; only null means "no output".
      twine.validateOutputs({ values: outputValues, manifest: outputManifest });
      // Then, as Octue's finalise does, the output datasets are uploaded: a failed upload fails the question.
      outputManifest = await saveOutputDatasets(outputManifest, {
        configuration,
        questionUuid,
        ...definedProperties({ datasets: options.datasets }),
      });
    } catch (error) {
      return exceptionFrom(error);
    }
    // Absent rather than null, which strict Octue schemas may refuse.
    return {
      kind: "result",
      ...(outputValues === null ? {} : { output_values: outputValues }),
      ...(outputManifest === null ? {} : { output_manifest: outputManifest as never }),
    };
  }
}

/**
 * The answer as it can be sent: whole when it fits in a message; with its output values kept in storage and named by
 * `output_values_reference` when it does not and the asker reads answers through a Twined network (which fetches
 * them); otherwise an exception naming the limit. An answer Pub/Sub would refuse must fail the question here, not
 * later in whatever publishes it (where nobody would tell the asker).
 */
async function fitsInAMessage(
  event: FinalEvent,
  question: ParentEventEnvelope<QuestionEvent>,
  exceptionFrom: (error: unknown) => ExceptionEvent,
  store: (values: unknown) => Promise<string | undefined>,
): Promise<FinalEvent> {
  if (event.kind !== "result") return event;
  let exceeded: MessageLimitExceeded;
  try {
    encodeEvent({ event, attributes: deriveResponseAttributes(question.attributes) });
    return event;
  } catch (error) {
    if (!(error instanceof MessageLimitExceeded)) throw error;
    exceeded = error;
  }
  if (question.event.twined_answer_by_reference === true && event.output_values !== undefined) {
    try {
      const reference = await store(event.output_values);
      if (reference !== undefined) {
        const { output_values: _kept, ...rest } = event;
        const byReference = { ...rest, output_values_reference: reference };
        encodeEvent({ event: byReference, attributes: deriveResponseAttributes(question.attributes) });
        return byReference;
      }
    } catch (error) {
      if (!(error instanceof MessageLimitExceeded)) return exceptionFrom(error);
    }
  }
  return exceptionFrom(
    new MessageLimitExceeded(
      `The answer is ${exceeded.actual} bytes of JSON, more than the ${exceeded.maximum} a message can carry. Put large outputs in a dataset of the output manifest instead of the output values, or ask through a Twined network's API (twined question ask, Child, POST /questions), which keeps large answers in storage.`,
      exceeded.limit,
      exceeded.actual,
      exceeded.maximum,
      { pointer: "/output_values" },
    ),
  );
}

async function finishWith(emitter: ResponseEmitter, event: FinalEvent): Promise<ChildEventEnvelope<FinalEvent>> {
  const sent = emitter.finish(event);
  if (sent === undefined) throw new Error("the question already has its final event");
  return sent;
}

const NO_STORAGE =
  "this runner has no dataset storage: run the question on a network (twined dev, or one on Google Cloud), or give it a signed URL";

/** An Octue `exception` event for an error raised in the runner (not in the app). */
function exceptionEvent(error: unknown, serviceSruid: string): ExceptionEvent {
  const name = error instanceof Error ? error.name : "Error";
  return {
    kind: "exception",
    exception_type: name,
    exception_message: serviceExceptionMessage(serviceSruid, describeRunnerError(error)),
    exception_traceback: [],
  };
}

function describeRunnerError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (!(error instanceof TwinedError)) return error.message;
  const details: string[] = [];
  if (error instanceof TwineException && error.strand !== undefined) details.push(`strand ${error.strand}`);
  const where = error.where();
  if (where !== undefined) details.push(`at ${where}`);
  return details.length === 0 ? error.message : `${error.message} (${details.join(", ")})`;
}

/** A Python log record's message, with its traceback when it has one. */
export function logRecordText(record: LogRecord): string {
  const message = record.msg ?? "";
  return typeof record.exc_text === "string" && record.exc_text !== "" ? `${message}\n${record.exc_text}` : message;
}

function describeForPython(error: unknown): { type: string; message: string } {
  return {
    type: error instanceof Error ? error.name : "Error",
    message: error instanceof Error ? error.message : String(error),
  };
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (typeof reason === "string" && reason !== "") return reason;
  if (reason instanceof Error && reason.name !== "AbortError") return reason.message;
  return "the question was cancelled";
}

export type { LogRecord };
