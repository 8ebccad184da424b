import { isSpanContextValid, TraceFlags, trace } from "@opentelemetry/api";
import { pino } from "pino";
import {
  type LogContext,
  type Logger,
  type LogLabels,
  type LogSeverity,
  type LogSpanContext,
  loggerFrom,
} from "../../../ports/index.js";

export interface CloudLoggingLoggerOptions {
  /** Where each line goes; by default stderr (Cloud Logging reads stdout and stderr alike). */
  readonly stream?: { write(text: string): unknown };
  /** The project the trace ids belong to (`logging.googleapis.com/trace` names it); without one, no trace is named. */
  readonly projectId?: string | undefined;
  /** Labels every line carries (a function's name, say). */
  readonly labels?: LogLabels;
}

/** Pino's levels, one per Cloud Logging severity Twined uses. */
const LEVELS = { debug: 20, info: 30, notice: 35, warning: 40, error: 50, critical: 60 } as const;
type Level = keyof typeof LEVELS;
const LEVEL_OF: Record<LogSeverity, Level> = {
  DEBUG: "debug",
  INFO: "info",
  NOTICE: "notice",
  WARNING: "warning",
  ERROR: "error",
  CRITICAL: "critical",
};

export const TRACE_FIELD = "logging.googleapis.com/trace";
export const SPAN_ID_FIELD = "logging.googleapis.com/spanId";
export const TRACE_SAMPLED_FIELD = "logging.googleapis.com/trace_sampled";
export const LABELS_FIELD = "logging.googleapis.com/labels";

/**
 * One JSON object per line with Cloud Logging's fields (cloud.google.com/logging/docs/structured-logging): `severity`,
 * `message`, `time`, `logging.googleapis.com/labels` (strings only) and, inside a span (the active OpenTelemetry
 * span, or the one a line names), `logging.googleapis.com/trace`, `spanId` and `trace_sampled`. Nothing else of
 * pino's (no pid, hostname or level number).
 */
export function cloudLoggingLogger(options: CloudLoggingLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const lines = pino<Level, true>(
    {
      level: "debug",
      customLevels: LEVELS,
      useOnlyCustomLevels: true,
      messageKey: "message",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: label.toUpperCase() }) },
    },
    { write: (text: string) => stream.write(text) },
  );
  const write = (severity: LogSeverity, message: string, labels: LogLabels, context: LogContext | undefined) => {
    const fields: Record<string, unknown> = { ...context?.fields };
    const definedLabels = stringLabels(labels);
    if (Object.keys(definedLabels).length > 0) fields[LABELS_FIELD] = definedLabels;
    Object.assign(fields, traceFields(context?.span ?? activeSpan(), options.projectId));
    lines[LEVEL_OF[severity]](fields, message);
  };
  return loggerFrom(write, options.labels);
}

function stringLabels(labels: LogLabels): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) if (typeof value === "string") result[name] = value;
  return result;
}

/** The active OpenTelemetry span's context; none until a tracer provider is registered and a span is active. */
function activeSpan(): LogSpanContext | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context === undefined || !isSpanContextValid(context) ? undefined : context;
}

function traceFields(span: LogSpanContext | undefined, projectId: string | undefined): Record<string, unknown> {
  if (span === undefined) return {};
  return {
    ...(projectId === undefined || projectId === ""
      ? {}
      : { [TRACE_FIELD]: `projects/${projectId}/traces/${span.traceId}` }),
    [SPAN_ID_FIELD]: span.spanId,
    [TRACE_SAMPLED_FIELD]: (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  };
}
