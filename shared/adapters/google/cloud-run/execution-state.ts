import { protos } from "@google-cloud/run";
import type { JobObservation } from "../../../ports/index.js";

export type Execution = protos.google.cloud.run.v2.IExecution;
type Condition = protos.google.cloud.run.v2.ICondition;

const { State, ExecutionReason, CommonReason } = protos.google.cloud.run.v2.Condition;

/** A job observation plus when the execution ended, so the reconciler can give the final event time to arrive. */
export type TimedObservation = JobObservation & { readonly endedAt?: string };

/** The command-line flag that carries a job's question UUID (see `jobContainer`). */
export const QUESTION_UUID_FLAG = "--question-uuid";
/**
 * An environment variable the launcher adds to every execution's overrides, naming its question. The runner does not
 * read it; it lets an execution be found by question even if its args were ever changed.
 */
export const QUESTION_UUID_VARIABLE = "TWINED_QUESTION_UUID";

/** Condition reasons that mean the image could not be used (Condition.CommonReason). */
const IMAGE_REASONS = new Set<string>([
  "CONTAINER_MISSING",
  "CONTAINER_PERMISSION_DENIED",
  "CONTAINER_IMAGE_UNAUTHORIZED",
  "CONTAINER_IMAGE_AUTHORIZATION_CHECK_FAILED",
]);

/**
 * The question an execution answers, from its task template. The Admin API documents that run overrides "will be
 * applied to update the execution or task spec", and `Execution.template` is "the template used to create tasks for
 * this execution", so the per-question args and env appear there.
 */
export function questionUuidOf(execution: Execution): string | undefined {
  for (const container of execution.template?.containers ?? []) {
    const args = container.args ?? [];
    const index = args.indexOf(QUESTION_UUID_FLAG);
    const fromArgs = index >= 0 ? args[index + 1] : undefined;
    if (fromArgs) return fromArgs;
    const fromEnv = container.env?.find((variable) => variable.name === QUESTION_UUID_VARIABLE)?.value;
    if (fromEnv) return fromEnv;
  }
  return undefined;
}

/** Whether the execution has ended (succeeded, failed or cancelled), so it can no longer be cancelled. */
export function hasEnded(execution: Execution): boolean {
  const completed = condition(execution, "Completed");
  return (
    execution.completionTime != null ||
    stateOf(completed) === "CONDITION_SUCCEEDED" ||
    stateOf(completed) === "CONDITION_FAILED" ||
    (execution.succeededCount ?? 0) > 0 ||
    (execution.failedCount ?? 0) > 0 ||
    (execution.cancelledCount ?? 0) > 0
  );
}

/**
 * What a question's execution is doing. An execution runs one task with no retries, so its counts say where that
 * task is: `runningCount` 1 while it runs, then one of `succeededCount`, `failedCount` or `cancelledCount`. The
 * `Completed` condition gives the failure's message and reason. Ending reasons are looked for first.
 *
 * @param cancelledByTwined the launcher cancelled it (and sent the question's `QuestionCancelled` event itself), so a
 *   cancelled execution is an expected end, not a failure.
 */
export function observeExecution(execution: Execution, cancelledByTwined: boolean): TimedObservation {
  const completed = condition(execution, "Completed");
  const endedAt = timestampText(execution.completionTime) ?? timestampText(completed?.lastTransitionTime);
  const ended = <O extends JobObservation>(observation: O): O & { endedAt?: string } =>
    endedAt === undefined ? observation : { ...observation, endedAt };
  const name = execution.name ?? "(unnamed execution)";
  const detail = completed?.message ? `: ${completed.message}` : "";

  const cancelled =
    (execution.cancelledCount ?? 0) > 0 || ["CANCELLED", "CANCELLING"].includes(executionReasonOf(completed) ?? "");
  if (cancelled) {
    if (cancelledByTwined) return ended({ state: "succeeded" });
    return ended({
      state: "failed",
      failure: {
        type: "JobFailed",
        message: `the Cloud Run execution ${name} was cancelled outside Twined${detail}`,
      },
    });
  }

  const imageProblem = (execution.conditions ?? []).find(
    (each) => stateOf(each) === "CONDITION_FAILED" && IMAGE_REASONS.has(commonReasonOf(each) ?? ""),
  );
  if (imageProblem !== undefined) {
    const image = execution.template?.containers?.[0]?.image ?? "(none)";
    return ended({
      state: "failed",
      failure: {
        type: "ImageUnavailable",
        message: `the service's image ${image} could not be used (${commonReasonOf(imageProblem)}${imageProblem.message ? `: ${imageProblem.message}` : ""}); check that it was pushed and that the job's service account may read the repository`,
      },
    });
  }

  const failed = (execution.failedCount ?? 0) > 0 || stateOf(completed) === "CONDITION_FAILED";
  if (failed) {
    const message = completed?.message ?? "";
    // Cloud Run reports a task stopped at its timeout as "Task <task> failed with message: The configured timeout
    // was reached." (seen in the wild; the API has no reason code for it).
    if (/configured timeout was reached/i.test(message)) {
      const seconds = durationSeconds(execution.template?.timeout);
      return ended({
        state: "failed",
        failure: {
          type: "DeadlineExceeded",
          message: `the job ran past its deadline${seconds === undefined ? "" : ` of ${seconds} s`} and was stopped`,
        },
      });
    }
    if (/memory limit .*exceeded/i.test(message)) {
      const memory = execution.template?.containers?.[0]?.resources?.limits?.memory;
      return ended({
        state: "failed",
        failure: {
          type: "OutOfMemory",
          message: `the service ran out of memory and was killed; it had ${memory ?? "the default memory"}: ask with more memory${detail}`,
        },
      });
    }
    const reason = executionReasonOf(completed);
    return ended({
      state: "failed",
      failure: {
        type: "JobFailed",
        message: `the Cloud Run execution ${name} failed${reason && reason !== "EXECUTION_REASON_UNDEFINED" ? ` (${reason})` : ""}${detail || ": no message given"}`,
      },
    });
  }

  if ((execution.succeededCount ?? 0) > 0 || stateOf(completed) === "CONDITION_SUCCEEDED") {
    return ended({ state: "succeeded" });
  }
  if ((execution.runningCount ?? 0) > 0 || stateOf(condition(execution, "Started")) === "CONDITION_SUCCEEDED") {
    return { state: "running" };
  }
  // Created but not started: waiting for resources (Cloud Run has no queue positions to report).
  const waiting = [condition(execution, "ResourcesAvailable"), condition(execution, "Started")].find(
    (each) => each?.message,
  );
  return { state: "queued", ...(waiting?.message ? { detail: waiting.message } : {}) };
}

function condition(execution: Execution, type: string): Condition | undefined {
  return execution.conditions?.find((each) => each.type === type);
}

/*
 * The client decodes enums to their names, but the typings also allow numbers: accept both, so nothing depends on
 * which transport (gRPC or REST with `enum-encoding=int`) or decoding options a client uses.
 */
function stateOf(value: Condition | undefined): string | undefined {
  return enumName(value?.state, State);
}

function executionReasonOf(value: Condition | undefined): string | undefined {
  return enumName(value?.executionReason, ExecutionReason);
}

function commonReasonOf(value: Condition | undefined): string | undefined {
  return enumName(value?.reason, CommonReason);
}

function enumName(value: unknown, names: Readonly<Record<string, string | number>>): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    const name = Object.entries(names).find(([, number]) => number === value)?.[0];
    return name ?? String(value);
  }
  return undefined;
}

interface TimestampLike {
  readonly seconds?: unknown;
  readonly nanos?: number | null;
}

function timestampText(value: TimestampLike | null | undefined): string | undefined {
  const seconds = Number(value?.seconds?.toString() ?? Number.NaN);
  if (value == null || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return new Date(seconds * 1000 + Math.floor((value.nanos ?? 0) / 1e6)).toISOString();
}

function durationSeconds(value: TimestampLike | null | undefined): number | undefined {
  const seconds = Number(value?.seconds?.toString() ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
