import type { ServiceConfiguration } from "../../shared/config/index.js";
import {
  type QuestionDiagnostics,
  type RecordedChildQuestion,
  type SavedDiagnostics,
  saveQuestionDiagnostics,
} from "../../shared/datasets/index.js";
import {
  type ChildEvent,
  type ChildEventEnvelope,
  deriveResponseAttributes,
  type LogRecord,
  type ParentEventEnvelope,
  type QuestionEvent,
  renewEventIdentity,
} from "../../shared/events/index.js";
import type { ChildAnswer, ChildQuestion, EventSink } from "../../shared/ports/index.js";
import { TWINED_VERSION } from "../../shared/version.js";
import type { RunnerDatasets } from "./datasets.js";
import type { FinalEvent } from "./response-emitter.js";

/** One child question being recorded: its events as they arrive, then how it ended. */
export interface ChildQuestionRecording {
  event(envelope: ChildEventEnvelope): void;
  answered(answer: ChildAnswer): void;
  /** The ask itself failed (the child could not be reached, say): replayed as the exception the app saw. */
  failed(error: unknown): void;
}

/**
 * The most events kept of the service's own, and of each child's answer (the final event always): a replay needs
 * the last of a chatty service's logs, not all of them, and the runner's memory must stay bounded.
 */
export const MAX_RECORDED_EVENTS = 10_000;

type MutableRecordedQuestion = { -readonly [K in keyof RecordedChildQuestion]: RecordedChildQuestion[K] } & {
  events: ChildEventEnvelope[];
};

/**
 * Keeps what a question's crash diagnostics need while it runs, as Octue's `Diagnostics` does: the data it was asked
 * with, its configuration once validated, each question it asks its children (in the order asked, whatever order
 * they are answered in) with every event of their answers, and the events it sends itself.
 */
export class DiagnosticsRecorder {
  private configurationValues: unknown = null;
  private configurationManifest: unknown = null;
  private readonly questions: MutableRecordedQuestion[] = [];
  private readonly events: ChildEventEnvelope[] = [];

  constructor(
    private readonly question: ParentEventEnvelope<QuestionEvent>,
    private readonly serviceSruid: string,
  ) {}

  /** The configuration the question is answered with, once loaded and validated. */
  configuration(values: unknown, manifest: unknown): void {
    this.configurationValues = values ?? null;
    this.configurationManifest = manifest ?? null;
  }

  /** Records the service's own event; heartbeats say nothing a replay needs. */
  event(envelope: ChildEventEnvelope): void {
    if (envelope.event.kind !== "heartbeat") keepBounded(this.events, envelope);
  }

  /** Takes the child question's place in ask order now; its events arrive on the returned recording. */
  childAsked(question: ChildQuestion): ChildQuestionRecording {
    const recorded: MutableRecordedQuestion = {
      id: question.child.id,
      key: question.key,
      question_uuid: question.questionUuid ?? null,
      input_values: question.inputValues ?? null,
      input_manifest: question.inputManifest ?? null,
      events: [],
    };
    this.questions.push(recorded);
    let attributes: ChildEventEnvelope["attributes"] | undefined;
    // A final event is made from the answer; its attributes are those the child's other events came with.
    const finalEnvelope = (event: FinalEvent, questionUuid: string | null, childSruid: string) =>
      ({
        event,
        attributes: renewEventIdentity(
          attributes ?? this.childAttributes(question, questionUuid ?? recorded.question_uuid, childSruid),
        ),
      }) as ChildEventEnvelope;
    return {
      event: (envelope) => {
        attributes ??= envelope.attributes;
        recorded.question_uuid ??= envelope.attributes.question_uuid;
        keepBounded(recorded.events, envelope);
      },
      answered: (answer) => {
        recorded.question_uuid = answer.questionUuid;
        recorded.events.push(finalEnvelope(finalEventOf(answer), answer.questionUuid, answer.childSruid));
      },
      failed: (error) => {
        const event: FinalEvent = {
          kind: "exception",
          exception_type: error instanceof Error ? error.name : "Error",
          exception_message: error instanceof Error ? error.message : String(error),
          exception_traceback: [],
        };
        recorded.events.push(finalEnvelope(event, recorded.question_uuid, question.child.id));
      },
    };
  }

  /** Everything recorded, for a question that ended with `final`. */
  diagnostics(final: ChildEventEnvelope<FinalEvent>, saveDiagnostics = this.question.attributes.save_diagnostics) {
    const event = final.event;
    return {
      summary: {
        question_uuid: this.question.attributes.question_uuid,
        service: this.serviceSruid,
        saved_at: new Date().toISOString(),
        save_diagnostics: saveDiagnostics,
        outcome: event.kind,
        ...(event.kind === "exception"
          ? { exception_type: event.exception_type, exception_message: event.exception_message }
          : {}),
        twined_version: TWINED_VERSION,
      },
      configurationValues: this.configurationValues,
      configurationManifest: this.configurationManifest,
      inputValues: this.question.event.input_values ?? null,
      inputManifest: this.question.event.input_manifest ?? null,
      questions: this.questions.map((question) => ({ ...question, events: [...question.events] })),
      events: [...this.events, final],
    } satisfies QuestionDiagnostics;
  }

  private childAttributes(question: ChildQuestion, questionUuid: string | null, childSruid: string) {
    return deriveResponseAttributes({
      ...question.parentQuestion,
      question_uuid: questionUuid ?? "00000000-0000-0000-0000-000000000000",
      parent_question_uuid: question.parentQuestion.question_uuid,
      originator_question_uuid: question.parentQuestion.originator_question_uuid,
      parent: question.askerSruid,
      sender: question.askerSruid,
      recipient: childSruid,
    });
  }
}

function keepBounded(events: ChildEventEnvelope[], envelope: ChildEventEnvelope): void {
  events.push(envelope);
  if (events.length > MAX_RECORDED_EVENTS) events.shift();
}

function finalEventOf(answer: ChildAnswer): FinalEvent {
  const outcome = answer.outcome;
  if (outcome.kind === "exception") {
    return {
      kind: "exception",
      exception_type: outcome.exceptionType,
      exception_message: outcome.exceptionMessage,
      exception_traceback: [...outcome.exceptionTraceback],
    };
  }
  return {
    kind: "result",
    ...(outcome.outputValues === null ? {} : { output_values: outcome.outputValues }),
    ...(outcome.outputManifest === null ? {} : { output_manifest: outcome.outputManifest as never }),
  };
}

/**
 * Whether a question that ended with `final` keeps its diagnostics: always with `SAVE_DIAGNOSTICS_ON`, on failure
 * with `SAVE_DIAGNOSTICS_ON_CRASH` (Octue's default). A cancellation is the asker's choice, not a crash.
 */
export function diagnosticsWanted(question: ParentEventEnvelope<QuestionEvent>, final: FinalEvent): boolean {
  const mode = question.attributes.save_diagnostics;
  if (mode === "SAVE_DIAGNOSTICS_ON") return true;
  return (
    mode === "SAVE_DIAGNOSTICS_ON_CRASH" && final.kind === "exception" && final.exception_type !== "QuestionCancelled"
  );
}

export interface DiagnosticsSaving {
  readonly recorder: DiagnosticsRecorder;
  readonly question: ParentEventEnvelope<QuestionEvent>;
  readonly configuration: ServiceConfiguration;
  readonly datasets: RunnerDatasets | undefined;
  readonly workingDirectory: string;
}

/**
 * A sink that records the service's events and, before the final event goes on, saves the diagnostics when the
 * question asked for them, then tells the asker where they are (or why they are not) in a log record: the asker hears
 * of them before the answer, and a job that stops after its answer has already saved them.
 */
export function diagnosticsSavingSink(sink: EventSink, saving: DiagnosticsSaving): EventSink {
  return {
    emit: async (envelope) => {
      saving.recorder.event(envelope);
      const event = envelope.event;
      if ((event.kind === "result" || event.kind === "exception") && diagnosticsWanted(saving.question, event)) {
        const message = await saveDiagnostics(envelope as ChildEventEnvelope<FinalEvent>, saving);
        if (message !== undefined && saving.question.attributes.forward_logs) {
          // The message takes the final event's place in the question's order and the final event moves one on: two
          // events with one `order` would tie, and a stream that ends with the final event would drop the message.
          const order = envelope.attributes.order;
          await sink.emit({
            event: { kind: "log_record", log_record: runnerLogRecord(message.level, message.text) } as ChildEvent,
            attributes: renewEventIdentity(envelope.attributes),
          });
          if (order !== undefined) {
            await sink.emit({ ...envelope, attributes: { ...envelope.attributes, order: order + 1 } });
            return;
          }
        }
      }
      await sink.emit(envelope);
    },
  };
}

async function saveDiagnostics(
  final: ChildEventEnvelope<FinalEvent>,
  saving: DiagnosticsSaving,
): Promise<{ level: "INFO" | "WARNING"; text: string } | undefined> {
  const location = saving.configuration.diagnosticsCloudPath ?? saving.datasets?.diagnosticsLocation;
  // With nowhere to keep them (a question answered on this machine only), there is nothing to save or to say.
  if (location === undefined) return undefined;
  let saved: SavedDiagnostics;
  try {
    saved = await saveQuestionDiagnostics(saving.recorder.diagnostics(final), {
      access: saving.datasets?.access ?? { unavailable: "this runner has no dataset storage to save diagnostics to" },
      location,
      baseDirectory: saving.workingDirectory,
    });
  } catch (error) {
    return { level: "WARNING", text: `Diagnostics could not be saved to ${location}: ${describe(error)}` };
  }
  if (saved.problems.length === 0) {
    return {
      level: "INFO",
      text: `Diagnostics saved to ${saved.path} (twined question diagnostics ${saving.question.attributes.question_uuid} downloads them)`,
    };
  }
  return {
    level: "WARNING",
    text: `Diagnostics saved to ${saved.path}, except: ${saved.problems.join("; ")}`,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A log record from the runner itself, shaped as Python's `logging` makes them. */
function runnerLogRecord(level: "INFO" | "WARNING", message: string): LogRecord {
  const created = Date.now() / 1000;
  return {
    name: "twined.runner",
    msg: message,
    args: null,
    levelname: level,
    levelno: level === "INFO" ? 20 : 30,
    created,
    msecs: (created % 1) * 1000,
  };
}
