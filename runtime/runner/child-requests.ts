import type { ChildConfiguration } from "../../shared/config/index.js";
import {
  type DatasetAccess,
  isSerialisedManifest,
  resolveManifestDatasets,
  signManifestDatasets,
} from "../../shared/datasets/index.js";
import type { LogRecord, ParentAttributes } from "../../shared/events/index.js";
import type { ChildAnswer, ChildAsker, ChildQuestion } from "../../shared/ports/index.js";
import type { DiagnosticsRecorder } from "./diagnostics-recorder.js";

export interface ChildRequestContext {
  readonly children: readonly ChildConfiguration[] | null;
  readonly childAsker: ChildAsker | undefined;
  readonly parentQuestion: ParentAttributes;
  readonly askerSruid: string;
  /** Re-logs a child's log record as this service's own, prefixed like Octue's parents do. */
  readonly relayLog: (record: LogRecord) => void;
  /**
   * The parent's dataset storage: its `gs://` input datasets are signed before a child is asked about them, as
   * Octue's parents do (a child needs no access to its parent's buckets), and the child's output datasets are read
   * (metadata only) before the app gets the answer.
   */
  readonly datasets?: DatasetAccess;
  /** Records each question asked and its answer, for the parent's crash diagnostics. */
  readonly recorder?: DiagnosticsRecorder;
}

export interface ChildResponseMessage {
  readonly type: "child_response";
  readonly id: number;
  readonly question_uuid: string | null;
  readonly answer: { output_values: unknown; output_manifest: unknown } | null;
  readonly error: { type: string; message: string; traceback: readonly string[] } | null;
  readonly [key: string]: unknown;
}

/** Answers the harness's request to ask a child, turning every failure into an error the app can catch. */
export async function answerChildRequest(
  request: {
    id: number;
    key: string;
    input_values: unknown;
    input_manifest: unknown;
    timeout: number | null;
    question_uuid: string | null;
  },
  context: ChildRequestContext,
): Promise<ChildResponseMessage> {
  const failure = (
    type: string,
    message: string,
    traceback: readonly string[] = [],
    questionUuid: string | null = null,
  ) =>
    ({
      type: "child_response",
      id: request.id,
      question_uuid: questionUuid,
      answer: null,
      error: { type, message, traceback },
    }) as const;

  // As in Octue, a later child with the same key replaces an earlier one.
  const child = [...(context.children ?? [])].reverse().find((each) => each.key === request.key);
  if (child === undefined) {
    const known = (context.children ?? []).map((each) => each.key);
    return failure(
      "KeyError",
      `No child with key '${request.key}' is configured${known.length > 0 ? ` (known keys: ${known.join(", ")})` : ""}.`,
    );
  }
  if (context.childAsker === undefined) {
    return failure(
      "RuntimeError",
      `Cannot ask child '${request.key}' (${child.id}): no way to reach child services is configured. Pass --children-emulators for local runs.`,
    );
  }
  const question: ChildQuestion = {
    key: request.key,
    child,
    inputValues: request.input_values,
    inputManifest: request.input_manifest,
    timeoutSeconds: request.timeout ?? undefined,
    questionUuid: request.question_uuid ?? undefined,
    parentQuestion: context.parentQuestion,
    askerSruid: context.askerSruid,
  };
  // Recorded as the app asked it (unsigned): a replay reads the manifest as the app gave it.
  const recording = context.recorder?.childAsked(question);
  let answer: ChildAnswer;
  try {
    const inputManifest =
      context.datasets?.store !== undefined && isSerialisedManifest(request.input_manifest)
        ? await signManifestDatasets(request.input_manifest, context.datasets)
        : request.input_manifest;
    answer = await context.childAsker.ask({ ...question, inputManifest }, (envelope) => {
      recording?.event(envelope);
      if (envelope.event.kind !== "log_record") return;
      const record = envelope.event.log_record;
      const prefix = `[${envelope.attributes.sender} | ${envelope.attributes.question_uuid}] `;
      context.relayLog({ ...record, msg: `${prefix}${record.msg ?? ""}` });
    });
  } catch (error) {
    recording?.failed(error);
    return failure(
      error instanceof Error ? error.name : "Error",
      error instanceof Error ? error.message : String(error),
    );
  }
  recording?.answered(answer);
  if (answer.outcome.kind === "exception") {
    return failure(
      answer.outcome.exceptionType,
      answer.outcome.exceptionMessage,
      answer.outcome.exceptionTraceback,
      answer.questionUuid,
    );
  }
  let outputManifest = answer.outcome.outputManifest;
  try {
    if (isSerialisedManifest(outputManifest))
      outputManifest = await resolveManifestDatasets(outputManifest, context.datasets ?? {});
  } catch (error) {
    // The child answered, but its output datasets cannot be read from here: the app learns why, and which question.
    return failure(
      error instanceof Error ? error.name : "Error",
      `The answer of ${child.id} names output datasets that cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      [],
      answer.questionUuid,
    );
  }
  return {
    type: "child_response",
    id: request.id,
    question_uuid: answer.questionUuid,
    answer: { output_values: answer.outcome.outputValues, output_manifest: outputManifest },
    error: null,
  };
}
