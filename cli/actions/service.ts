import { readFileSync } from "node:fs";
import { flushTraces, startTracing } from "../../platform/tracing.js";
import { type JobConnection, teeSinks } from "../../runtime/jobs/job-connection.js";
import { openJobConnection } from "../../runtime/jobs/open-job-connection.js";
import { logRecordText } from "../../runtime/runner/answer-question.js";
import { cloudLoggingLogger } from "../../shared/adapters/google/cloud-logging/index.js";
import type { IdentityToken } from "../../shared/client/index.js";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import { InvalidEvent } from "../../shared/errors/index.js";
import {
  type ChildEventEnvelope,
  deriveResponseAttributes,
  isPythonParsableUuid,
  type ParentEventEnvelope,
  type QuestionEvent,
  renewEventIdentity,
  serviceExceptionMessage,
  validateEvent,
} from "../../shared/events/index.js";
import { parseServiceId } from "../../shared/identity/index.js";
import { parseJson } from "../../shared/json/index.js";
import {
  type EventSink,
  type Logger,
  type LogSeverity,
  logOutput,
  severityOfPythonLevel,
} from "../../shared/ports/index.js";
import { isTerminal } from "../../shared/questions/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { runServiceQuestion } from "../run-service-question.js";
import { usageOrInvalid } from "./ask-local.js";

class JsonLinesSink implements EventSink {
  constructor(private readonly stream: { write(text: string): unknown }) {}
  async emit(envelope: unknown): Promise<void> {
    this.stream.write(`${JSON.stringify(envelope)}\n`);
  }
}

/**
 * Writes each event envelope as a line of a cloud job's log: the envelope (`event`, `attributes`) with Cloud Logging's
 * fields, its severity that of the event (a log record keeps its Python level, an exception is an error), labelled
 * with the question and the SRUID that sent it.
 */
class EventLogSink implements EventSink {
  constructor(private readonly log: Logger) {}
  async emit(envelope: ChildEventEnvelope): Promise<void> {
    const { event, attributes } = envelope;
    const labels = { question_uuid: attributes.question_uuid, sruid: attributes.sender };
    const [severity, message] = eventLine(event);
    this.log.log(severity, message, { labels, fields: { event, attributes } });
  }
}

function eventLine(event: ChildEventEnvelope["event"]): [LogSeverity, string] {
  switch (event.kind) {
    case "log_record": {
      const record = event.log_record;
      return [severityOfPythonLevel(record.levelname, record.levelno), logRecordText(record)];
    }
    case "exception":
      return ["ERROR", `${event.exception_type}: ${event.exception_message}`];
    case "heartbeat":
      return ["DEBUG", "heartbeat"];
    case "result":
      return ["NOTICE", "result"];
    default:
      return ["INFO", event.kind];
  }
}

/** Where a cloud job's own messages go: both streams become JSON log lines (`warning: …` a warning, `error: …` an error). */
function cloudJobOutput(log: Logger): CliOutput {
  const write = (text: string) => {
    const severity: LogSeverity = /^warning: /i.test(text) ? "WARNING" : /^error: /i.test(text) ? "ERROR" : "INFO";
    logOutput(log, text, severity);
  };
  return { stdout: { write }, stderr: { write } };
}

export interface AnswerOptions {
  network?: string;
  question?: string;
  questionUuid?: string;
  serviceConfig?: string;
  childrenEmulators?: string;
  heartbeatInterval?: number;
  timeout?: number;
}

export async function answerFromCommandLine(
  options: AnswerOptions,
  output: CliOutput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  if ((options.question === undefined) === (options.questionUuid === undefined)) {
    output.stderr.write(
      "error: give exactly one of --question (the question itself: JSON or @file.json) and --question-uuid (read it from the network)\n",
    );
    return EXIT.usage;
  }
  if (options.questionUuid !== undefined) return answerFromNetwork(options.questionUuid, options, output, env);

  const questionOption = options.question ?? "";
  let question: ParentEventEnvelope<QuestionEvent>;
  let loaded: ReturnType<typeof loadServiceConfiguration>;
  try {
    const text = questionOption.startsWith("@") ? readFileSync(questionOption.slice(1), "utf8") : questionOption;
    const origin = questionOption.startsWith("@") ? questionOption.slice(1) : "--question";
    const envelope = validateEvent(parseJson(text, { origin }));
    if (envelope.event.kind !== "question") {
      throw new InvalidEvent(`expected a question event, got '${envelope.event.kind}'`, { pointer: "/event/kind" });
    }
    question = envelope as ParentEventEnvelope<QuestionEvent>;
    loaded = loadServiceConfiguration(options.serviceConfig);
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return EXIT.usage;
  }
  return answer(loaded, question, new JsonLinesSink(output.stdout), options, options.network, output);
}

/**
 * A job's way of answering: the question is read from the network the environment names, and every event goes back
 * to it as well as to stdout (which a cluster's log collector keeps).
 */
async function answerFromNetwork(
  questionUuid: string,
  options: AnswerOptions,
  output: CliOutput,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  // The job's spans join its launch's trace (`TRACEPARENT`), when the environment names an exporter.
  await startTracing({ serviceName: "twined-job", onWarning: (text) => output.stderr.write(`${text}\n`) });
  try {
    return await answerFromNetworkJob(questionUuid, options, output, env);
  } finally {
    await flushTraces();
  }
}

async function answerFromNetworkJob(
  questionUuid: string,
  options: AnswerOptions,
  output: CliOutput,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  // A job's log collector (Cloud Logging) reads what it prints: every line is JSON with Cloud Logging's fields.
  const projectId = env.GOOGLE_CLOUD_PROJECT || undefined;
  const log = cloudLoggingLogger({ stream: output.stderr, projectId, labels: { question_uuid: questionUuid } });
  const jobOutput = cloudJobOutput(log);
  if (!isPythonParsableUuid(questionUuid)) {
    log.error(`--question-uuid: '${questionUuid}' is not a UUID`);
    return EXIT.usage;
  }
  const networkUrl = options.network ?? (env.TWINED_NETWORK_URL || undefined);
  let connection: JobConnection;
  try {
    connection = await openJobConnection(env, { questionUuid, networkUrl });
  } catch (error) {
    log.error(describeError(error));
    return EXIT.usage;
  }
  if (connection.status !== undefined && isTerminal(connection.status)) {
    // Launching is idempotent, but a job can still start for a question that ended while it was being made (cancelled
    // meanwhile, or relaunched by the reconciler just as it ended): it must not run the app or answer twice.
    log.notice(`question ${questionUuid} has already ended (${connection.status}); there is nothing to answer`);
    await connection.close();
    return EXIT.ok;
  }
  // A job stopped from outside (SIGTERM) cannot tell why; its launcher can (an eviction, a deleted Job, an OOM kill
  // of a sibling process), and the question reconciler reports that cause to the asker. So `JobStopped` stays in the
  // job's log instead of ending the question with a vaguer reason.
  const toNetwork: EventSink = {
    emit: (envelope) =>
      envelope.event.kind === "exception" && envelope.event.exception_type === "JobStopped"
        ? Promise.resolve()
        : connection.sink.emit(envelope),
  };
  const sink = teeSinks(
    new EventLogSink(cloudLoggingLogger({ stream: output.stdout, projectId, labels: {} })),
    toNetwork,
  );
  try {
    let loaded: ReturnType<typeof loadServiceConfiguration>;
    try {
      loaded = loadServiceConfiguration(options.serviceConfig);
    } catch (error) {
      log.error(describeError(error));
      // The asker learns why at once, instead of from the job's failure when its launcher notices it.
      await sendException(sink, connection.question, error).catch((failure: unknown) => {
        log.error(describeError(failure));
      });
      return EXIT.usage;
    }
    // A job that reads its question from Firestore asks its children through its network's questions API
    // (TWINED_QUESTIONS_URL), which is behind IAM: it proves who it is with its own Google identity.
    const questionsUrl = networkUrl ?? (env.TWINED_QUESTIONS_URL || undefined);
    let identityToken: IdentityToken | undefined;
    if (networkUrl === undefined && questionsUrl !== undefined) {
      const { googleIdentityToken } = await import("../../runtime/children/google-identity-token.js");
      identityToken = googleIdentityToken(questionsUrl);
    }
    return await answer(loaded, connection.question, sink, options, questionsUrl, jobOutput, {
      asJob: true,
      identityToken,
      log,
    });
  } finally {
    await connection.close();
  }
}

async function answer(
  loaded: ReturnType<typeof loadServiceConfiguration>,
  question: ParentEventEnvelope<QuestionEvent>,
  sink: EventSink,
  options: AnswerOptions,
  network: string | undefined,
  output: CliOutput,
  {
    asJob = false,
    identityToken,
    log,
  }: {
    readonly asJob?: boolean;
    readonly identityToken?: IdentityToken | undefined;
    readonly log?: Logger | undefined;
  } = {},
): Promise<number> {
  const recipient = parseServiceId(question.attributes.recipient);
  const { namespace, name } = loaded.configuration;
  if (recipient.namespace !== namespace || recipient.name !== name) {
    output.stderr.write(
      `warning: the question is for ${question.attributes.recipient} but this service is ${namespace}/${name}; answering anyway\n`,
    );
  }
  try {
    // Storage and secrets as the job's environment names them (its launcher sets it).
    const { jobDatasets, jobSecrets } = await import("../../runtime/jobs/job-datasets.js");
    const final = await runServiceQuestion(
      loaded,
      question,
      question.attributes.recipient,
      sink,
      {
        childrenEmulators: options.childrenEmulators,
        network,
        networkIdentityToken: identityToken,
        heartbeatIntervalSeconds: options.heartbeatInterval,
        timeoutSeconds: options.timeout,
        asJob,
        datasets: await jobDatasets(process.env, network),
        secrets: asJob ? await jobSecrets(process.env) : undefined,
        log,
      },
      output,
    );
    return final.event.kind === "result" ? EXIT.ok : EXIT.invalid;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return usageOrInvalid(error);
  }
}

/** Answers a question with an `exception` event for an error found before its service could run. */
function sendException(sink: EventSink, question: ParentEventEnvelope<QuestionEvent>, error: unknown): Promise<void> {
  const type = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return sink.emit({
    event: {
      kind: "exception",
      exception_type: type,
      exception_message: serviceExceptionMessage(question.attributes.recipient, message),
      exception_traceback: [],
    },
    attributes: renewEventIdentity(deriveResponseAttributes(question.attributes)),
  });
}
