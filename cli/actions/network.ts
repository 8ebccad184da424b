import pc from "picocolors";
import { Child, type AskOptions as ChildAskOptions, NetworkClient } from "../../shared/client/index.js";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import { displayPath } from "../../shared/display-path.js";
import {
  AnswerTimedOut,
  InvalidServiceID,
  NetworkRequestFailed,
  RemoteException,
  TwinedError,
} from "../../shared/errors/index.js";
import type { ChildEventEnvelope, ExceptionEvent, ResultEvent } from "../../shared/events/index.js";
import { parseServiceId } from "../../shared/identity/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import { JsonSource, loadTwine } from "../../shared/twine/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { QuestionProgress } from "../question-progress.js";
import { localIdentity } from "../run-service-question.js";
import { TerminalEventSink } from "../terminal-event-sink.js";

export interface NetworkOption {
  network: string;
}

export interface AskOptions extends NetworkOption {
  inputValues?: JsonSource;
  inputManifest?: JsonSource;
  asynchronous?: boolean;
  timeout?: number;
  maxHeartbeatInterval?: number;
  pushEndpoint?: string;
  priority?: number;
  cpus?: number;
  memory?: string;
  ephemeralStorage?: string;
  json?: boolean;
  downloadOutputs?: string;
}

export async function ask(serviceId: string, options: AskOptions, output: CliOutput): Promise<number> {
  let askOptions: ChildAskOptions;
  let child: Child;
  try {
    child = new Child({ id: serviceId, network: options.network });
    askOptions = {
      ...(options.inputValues === undefined ? {} : { inputValues: options.inputValues.load("input_values").value }),
      ...(options.inputManifest === undefined
        ? {}
        : { inputManifest: options.inputManifest.load("input_manifest").value as Record<string, unknown> }),
      ...definedProperties({
        pushEndpoint: options.pushEndpoint,
        priority: options.priority,
        cpus: options.cpus,
        memory: options.memory,
        ephemeralStorage: options.ephemeralStorage,
        timeout: options.timeout,
        maximumHeartbeatInterval: options.maxHeartbeatInterval,
      }),
      ...(options.asynchronous === true ? { asynchronous: true } : {}),
    };
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return EXIT.usage;
  }
  if (askOptions.asynchronous === true) {
    try {
      const { questionUuid } = await child.ask(askOptions);
      output.stdout.write(`${questionUuid}\n`);
      return EXIT.ok;
    } catch (error) {
      return report(error, output);
    }
  }

  const sink = new TerminalEventSink(output.stderr, { json: options.json === true });
  const progress = new QuestionProgress(output.stderr, serviceId);
  try {
    const { answer, questionUuid } = await child.ask({
      ...askOptions,
      onAsked: (uuid, recipient) => progress.asked(uuid, recipient),
      onStatus: (status) => progress.status(status),
      onEvent: (envelope) => progress.around(() => void sink.emit(envelope)),
    });
    progress.stop();
    output.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    if (options.downloadOutputs !== undefined) {
      const { downloadOutputs } = await import("./download-outputs.js");
      const client = new NetworkClient(options.network);
      await downloadOutputs(
        questionUuid,
        answer?.output_manifest,
        options.downloadOutputs,
        (uuid) => client.signedOutputManifest(uuid),
        output,
      );
    }
    return EXIT.ok;
  } catch (error) {
    progress.stop();
    if (error instanceof RemoteException) {
      output.stderr.write(`${pc.red(error.remoteType)}: ${error.remoteMessage}\n`);
      if (error.remoteTraceback.length > 0) output.stderr.write(`${error.remoteTraceback.join("")}\n`);
      return EXIT.invalid;
    }
    if (error instanceof AnswerTimedOut) {
      output.stderr.write(`${error.message}\n`);
      return EXIT.invalid;
    }
    return report(error, output);
  }
}

/** Prints the answer of a `result` (stdout) or an `exception` (stderr) and returns the exit code; undefined if neither. */
function printFinal(final: ChildEventEnvelope | undefined, output: CliOutput): number | undefined {
  if (final?.event.kind === "result") {
    const { output_values: values, output_manifest: manifest } = final.event as ResultEvent;
    output.stdout.write(
      `${JSON.stringify({ output_values: values ?? null, output_manifest: manifest ?? null }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  if (final?.event.kind === "exception") {
    const exception = final.event as ExceptionEvent;
    output.stderr.write(`${exception.exception_type}: ${exception.exception_message}\n`);
    if (exception.exception_traceback.length > 0) output.stderr.write(`${exception.exception_traceback.join("")}\n`);
    return EXIT.invalid;
  }
  return undefined;
}

export interface ReplayOptions extends NetworkOption {
  json?: boolean;
}

export async function replay(questionUuid: string, options: ReplayOptions, output: CliOutput) {
  try {
    const events = await new NetworkClient(options.network).queryEvents({ question_uuid: questionUuid });
    const sink = new TerminalEventSink(output.stderr, { json: options.json === true });
    let final: ChildEventEnvelope | undefined;
    for (const envelope of events) {
      await sink.emit(envelope);
      if (envelope.event.kind === "result" || envelope.event.kind === "exception") final ??= envelope;
    }
    const code = printFinal(final, output);
    if (code !== undefined) return code;
    output.stderr.write(`Question ${questionUuid} has no result or exception event (yet).\n`);
    return EXIT.invalid;
  } catch (error) {
    return report(error, output);
  }
}

export async function status(questionUuid: string, options: NetworkOption, output: CliOutput): Promise<number> {
  try {
    output.stdout.write(
      `${JSON.stringify(await new NetworkClient(options.network).question(questionUuid), null, 2)}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    return report(error, output);
  }
}

export async function cancel(questionUuid: string, options: NetworkOption, output: CliOutput): Promise<number> {
  try {
    const question = await new NetworkClient(options.network).cancel(questionUuid);
    output.stdout.write(`${question.question_uuid}: ${question.status}\n`);
    return EXIT.ok;
  } catch (error) {
    return report(error, output);
  }
}

export interface StartServiceOptions extends NetworkOption {
  serviceConfig?: string;
  revisionTag?: string;
  default?: boolean;
}

export async function startService(options: StartServiceOptions, output: CliOutput): Promise<number> {
  let sruid: string;
  let directory: string;
  try {
    const loaded = loadServiceConfiguration(options.serviceConfig);
    const identity = localIdentity(loaded, options.revisionTag, output);
    const twine = loadTwine(JsonSource.file(loaded.configuration.twinePath));
    directory = loaded.configuration.directory;
    await new NetworkClient(options.network).registerRevision(identity.namespace, identity.name, identity.revisionTag, {
      twine: twine.raw,
      source: { kind: "directory", path: directory },
      default: options.default === true,
    });
    sruid = identity.sruid;
  } catch (error) {
    return report(error, output);
  }
  output.stdout.write(
    `Serving ${sruid} from ${displayPath(directory)}${options.default ? " (default revision)" : ""}. Ctrl-C stops.\n`,
  );
  // Signal handlers alone do not keep Node running; the timer does, until Ctrl-C.
  const keepAlive = setInterval(() => {}, 60_000);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  clearInterval(keepAlive);
  return EXIT.ok;
}

export interface EventsGetOptions extends NetworkOption {
  questionUuid?: string;
  parentQuestionUuid?: string;
  originatorQuestionUuid?: string;
  kinds?: string;
  excludeKinds?: string;
  limit: number;
}

export async function getEvents(options: EventsGetOptions, output: CliOutput): Promise<number> {
  const selectors = [options.questionUuid, options.parentQuestionUuid, options.originatorQuestionUuid].filter(
    (value) => value !== undefined,
  );
  if (selectors.length !== 1) {
    output.stderr.write(
      "error: give exactly one of --question-uuid, --parent-question-uuid or --originator-question-uuid\n",
    );
    return EXIT.usage;
  }
  if (options.kinds !== undefined && options.excludeKinds !== undefined) {
    output.stderr.write("error: --kinds and --exclude-kinds cannot be used together\n");
    return EXIT.usage;
  }
  try {
    const events = await new NetworkClient(options.network).queryEvents({
      question_uuid: options.questionUuid,
      parent_question_uuid: options.parentQuestionUuid,
      originator_question_uuid: options.originatorQuestionUuid,
      kinds: options.kinds,
      exclude_kinds: options.excludeKinds,
      limit: String(options.limit),
    });
    output.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    return report(error, output);
  }
}

export async function listRevisions(serviceId: string | undefined, options: NetworkOption, output: CliOutput) {
  try {
    const id = serviceId === undefined ? undefined : parseServiceId(serviceId);
    const { revisions } = await new NetworkClient(options.network).listRevisions(id?.namespace, id?.name);
    for (const revision of revisions) {
      const marker = revision.is_default === true ? "  (default)" : "";
      output.stdout.write(`${String(revision.sruid)}${marker}  ${String(revision.registered_at)}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    return report(error, output);
  }
}

export async function setDefaultRevision(sruid: string, options: NetworkOption, output: CliOutput) {
  try {
    const id = parseServiceId(sruid, { requireRevisionTag: true });
    await new NetworkClient(options.network).setDefaultRevision(id.namespace, id.name, id.revisionTag);
    output.stdout.write(`${sruid} is now the default revision of ${id.namespace}/${id.name}\n`);
    return EXIT.ok;
  } catch (error) {
    return report(error, output);
  }
}

/** Prints an error and picks the exit code: usage, bad IDs and an unreachable network are 2; the rest 1. */
function report(error: unknown, output: CliOutput): number {
  output.stderr.write(`${describeError(error)}\n`);
  if (error instanceof InvalidServiceID) return EXIT.usage;
  if (error instanceof NetworkRequestFailed) {
    if (
      error.status === undefined ||
      error.remoteType === "InvalidServiceID" ||
      error.remoteType === "InvalidQuestionRequest"
    ) {
      return EXIT.usage;
    }
    return EXIT.invalid;
  }
  return error instanceof TwinedError ? EXIT.invalid : EXIT.usage;
}
