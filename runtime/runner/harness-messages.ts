import { HarnessProtocolError } from "../../shared/errors/index.js";
import type { LogRecord } from "../../shared/events/index.js";
// Not the json index: that brings the strict JSON parser, which `twined question ask-local` would then load before it
// can start Python (cli/prestart-harness.ts).
import { isPlainObject } from "../../shared/json/plain-object.js";

/**
 * The messages the Python harness sends the runner, one JSON object per line on its events pipe
 * (runtime/python/PROTOCOL.md). Parsed here, at the process boundary, so the rest of the runner can trust the types.
 */
export type HarnessMessage =
  | { readonly type: "log_record"; readonly log_record: LogRecord }
  | { readonly type: "monitor_message"; readonly id: number; readonly data: unknown }
  | {
      readonly type: "ask_child";
      readonly id: number;
      readonly key: string;
      readonly input_values: unknown;
      readonly input_manifest: unknown;
      readonly timeout: number | null;
      readonly question_uuid: string | null;
    }
  | {
      readonly type: "download";
      readonly id: number;
      /** `gs://…` or a signed URL, as the runner sent it in the start message. */
      readonly cloud_path: string;
      /** Where the app wants the file (absolute), or null to let the runner choose. */
      readonly local_path: string | null;
    }
  | { readonly type: "result"; readonly output_values: unknown; readonly output_manifest: unknown }
  | {
      readonly type: "exception";
      readonly exception_type: string;
      readonly exception_message: string;
      readonly exception_traceback: string[];
    };

export function parseHarnessMessage(line: string): HarnessMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new HarnessProtocolError("the harness sent a line that is not JSON", line);
  }
  if (!isPlainObject(value) || typeof value.type !== "string") {
    throw new HarnessProtocolError("the harness sent a message without a type", line);
  }
  const fail = (what: string): never => {
    throw new HarnessProtocolError(`the harness sent a '${String(value.type)}' message ${what}`, line);
  };
  switch (value.type) {
    case "log_record":
      if (!isPlainObject(value.log_record)) fail("without a log_record object");
      return { type: "log_record", log_record: value.log_record as LogRecord };
    case "monitor_message":
      if (!Number.isInteger(value.id)) fail("without an integer id");
      return { type: "monitor_message", id: value.id as number, data: value.data ?? null };
    case "ask_child":
      if (!Number.isInteger(value.id)) fail("without an integer id");
      if (typeof value.key !== "string") fail("without a child key");
      if (value.timeout !== undefined && value.timeout !== null && typeof value.timeout !== "number") {
        fail("with a timeout that is not a number");
      }
      return {
        type: "ask_child",
        id: value.id as number,
        key: value.key as string,
        input_values: value.input_values ?? null,
        input_manifest: value.input_manifest ?? null,
        timeout: (value.timeout as number | null | undefined) ?? null,
        question_uuid: typeof value.question_uuid === "string" ? value.question_uuid : null,
      };
    case "download":
      if (!Number.isInteger(value.id)) fail("without an integer id");
      if (typeof value.cloud_path !== "string" || value.cloud_path === "") fail("without a cloud_path");
      if (value.local_path !== undefined && value.local_path !== null && typeof value.local_path !== "string") {
        fail("with a local_path that is not a string");
      }
      return {
        type: "download",
        id: value.id as number,
        cloud_path: value.cloud_path as string,
        local_path: typeof value.local_path === "string" ? value.local_path : null,
      };
    case "result":
      return {
        type: "result",
        output_values: value.output_values ?? null,
        output_manifest: value.output_manifest ?? null,
      };
    case "exception": {
      const traceback = value.exception_traceback;
      if (typeof value.exception_type !== "string" || typeof value.exception_message !== "string") {
        fail("without exception_type and exception_message strings");
      }
      if (!Array.isArray(traceback) || !traceback.every((line) => typeof line === "string")) {
        fail("whose exception_traceback is not a list of strings");
      }
      return {
        type: "exception",
        exception_type: value.exception_type as string,
        exception_message: value.exception_message as string,
        exception_traceback: traceback as string[],
      };
    }
    default:
      return fail("of an unknown type");
  }
}
