/** A JSON value as it travels in an event body. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A dataset inside a serialised manifest: a path (local, `gs://` or signed URL) or an explicit dataset object. */
export type SerialisedDataset =
  | string
  | {
      id: string;
      name: string;
      tags: Record<string, unknown>;
      labels: string[];
      files: (string | SerialisedDatafile)[];
      [extra: string]: unknown;
    };

export interface SerialisedDatafile {
  id: string;
  path: string;
  timestamp: number | null;
  tags: Record<string, unknown>;
  labels: string[];
  [extra: string]: unknown;
}

/** Octue's manifest primitive (manifest/0.1.0). */
export interface SerialisedManifest {
  id: string;
  name?: string | null;
  datasets: Record<string, SerialisedDataset>;
  [extra: string]: unknown;
}

/** One child override carried by a question (children/0.2.0). */
export interface ChildOverride {
  key: string;
  id: string;
  backend: { name: "GCPPubSubBackend"; project_id: string; [extra: string]: unknown };
  [extra: string]: unknown;
}

export interface QuestionEvent {
  kind: "question";
  input_values?: unknown;
  input_manifest?: SerialisedManifest;
  children?: ChildOverride[];
  /**
   * Twined's: the asker reads answers through a Twined network's API, which fetches output values kept in storage
   * (`output_values_reference`) when they are too large for a message. Octue parents never set it.
   */
  twined_answer_by_reference?: boolean;
}

/** Historical: Octue dropped it from its schema in 0.62.0, but its GCP event handler still deletes the Job on it. */
export interface CancellationEvent {
  kind: "cancellation";
}

export interface DeliveryAcknowledgementEvent {
  kind: "delivery_acknowledgement";
}

export interface HeartbeatEvent {
  kind: "heartbeat";
}

export interface MonitorMessageEvent {
  kind: "monitor_message";
  /** Any JSON (Octue's docs say a JSON string; its code sends the raw value). */
  data: unknown;
}

/**
 * Python's `LogRecord.__dict__` as Octue forwards it. Every field is optional on receipt because other loggers and
 * older SDKs vary; any `extra=` fields the emitter attached appear as further keys.
 */
export interface LogRecord {
  name?: string;
  msg?: string;
  args?: unknown;
  levelname?: string;
  levelno?: number;
  pathname?: string;
  filename?: string;
  module?: string;
  exc_info?: unknown;
  exc_text?: string | null;
  stack_info?: string | null;
  lineno?: number;
  funcName?: string;
  created?: number;
  msecs?: number;
  relativeCreated?: number;
  thread?: number | null;
  threadName?: string | null;
  processName?: string | null;
  process?: number | null;
  [extra: string]: unknown;
}

export interface LogRecordEvent {
  kind: "log_record";
  log_record: LogRecord;
}

export interface ExceptionEvent {
  kind: "exception";
  /** The Python class name, e.g. `ValueError`. */
  exception_type: string;
  exception_message: string;
  /** Lines as `traceback.format_list` produces them. */
  exception_traceback: string[];
}

export interface ResultEvent {
  kind: "result";
  output_values?: unknown;
  output_manifest?: SerialisedManifest;
  /**
   * Twined's: where the output values are kept (`gs://…`, JSON) when they are too large for a message, instead of
   * `output_values`; only for questions that set `twined_answer_by_reference`.
   */
  output_values_reference?: string;
}

export type ParentEvent = QuestionEvent | CancellationEvent;
export type ChildEvent =
  | DeliveryAcknowledgementEvent
  | HeartbeatEvent
  | MonitorMessageEvent
  | LogRecordEvent
  | ExceptionEvent
  | ResultEvent;
export type Event = ParentEvent | ChildEvent;
