/**
 * How the control plane, the functions and the job runner log. Adapters: JSON lines with Cloud Logging's fields
 * (deployed functions, cloud jobs, `twined dev --log-format json`) and readable text for terminals. Handlers take a
 * `Logger` by injection; the composition roots and entry points choose the adapter.
 *
 * A log line never carries a secret: no credential, push secret or network token is ever put in a message, a label or
 * a field (an error's message included, which is why settings errors name the variable, never its value).
 */

/** Cloud Logging's severities, the ones Twined uses (Python's levels map onto them: see `severityOfPythonLevel`). */
export type LogSeverity = "DEBUG" | "INFO" | "NOTICE" | "WARNING" | "ERROR" | "CRITICAL";

/**
 * Filterable labels (Cloud Logging's `logging.googleapis.com/labels`): string values only. `function` is the Cloud
 * Function's name, `question_uuid` the question the line is about, `sruid` the service revision answering it.
 */
export interface LogLabels {
  readonly function?: string;
  readonly question_uuid?: string;
  readonly sruid?: string;
  readonly [label: string]: string | undefined;
}

/** An OpenTelemetry span's identity, as `@opentelemetry/api`'s `SpanContext` has it. */
export interface LogSpanContext {
  /** 32 lowercase hex characters. */
  readonly traceId: string;
  /** 16 lowercase hex characters. */
  readonly spanId: string;
  /** W3C trace flags: bit 0 is "sampled". */
  readonly traceFlags: number;
}

/** What one line carries beside its message. */
export interface LogContext {
  /** Added to the logger's own labels for this line. */
  readonly labels?: LogLabels;
  /** Other structured data (Cloud Logging keeps it in `jsonPayload`); never a secret. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The span the line belongs to; by default the active OpenTelemetry span, if any. */
  readonly span?: LogSpanContext;
}

export interface Logger {
  log(severity: LogSeverity, message: string, context?: LogContext): void;
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  notice(message: string, context?: LogContext): void;
  warning(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
  critical(message: string, context?: LogContext): void;
  /** A logger whose every line also carries these labels. */
  child(labels: LogLabels): Logger;
}

/** The severity a Python log record keeps: its level name when it is one of Python's, else by its level number. */
export function severityOfPythonLevel(levelname: unknown, levelno?: unknown): LogSeverity {
  switch (levelname) {
    case "DEBUG":
      return "DEBUG";
    case "INFO":
      return "INFO";
    case "WARNING":
    case "WARN":
      return "WARNING";
    case "ERROR":
      return "ERROR";
    case "CRITICAL":
    case "FATAL":
      return "CRITICAL";
  }
  if (typeof levelno !== "number") return "INFO";
  if (levelno >= 50) return "CRITICAL";
  if (levelno >= 40) return "ERROR";
  if (levelno >= 30) return "WARNING";
  if (levelno >= 20) return "INFO";
  return "DEBUG";
}

/**
 * Builds a `Logger` from one function that writes a line: what adapters implement, and the methods follow. `labels`
 * are the logger's own; a line's context labels are added to them.
 */
export function loggerFrom(
  write: (severity: LogSeverity, message: string, labels: LogLabels, context: LogContext | undefined) => void,
  labels: LogLabels = {},
): Logger {
  const log = (severity: LogSeverity, message: string, context?: LogContext) =>
    write(severity, message, context?.labels === undefined ? labels : { ...labels, ...context.labels }, context);
  return {
    log,
    debug: (message, context) => log("DEBUG", message, context),
    info: (message, context) => log("INFO", message, context),
    notice: (message, context) => log("NOTICE", message, context),
    warning: (message, context) => log("WARNING", message, context),
    error: (message, context) => log("ERROR", message, context),
    critical: (message, context) => log("CRITICAL", message, context),
    child: (more) => loggerFrom(write, { ...labels, ...more }),
  };
}

/**
 * The process's logger, for code that is handed none (a handler built by wiring that predates its logger, an HTTP
 * app's last error handler). Like OpenTelemetry's global tracer provider: an entry point registers the adapter it
 * chose (`useProcessLogger`) before it builds anything; until then lines are written to stderr as plain text.
 */
let current: Logger = loggerFrom((_severity, message) => {
  process.stderr.write(`${message}\n`);
});

export function processLogger(): Logger {
  return current;
}

/** Makes `logger` the process's logger; returns the one it replaces (tests put it back). */
export function useProcessLogger(logger: Logger): Logger {
  const previous = current;
  current = logger;
  return previous;
}

/**
 * Logs each line of a piece of output (a job's, a child process's) as a line of its own, so a JSON logger gives one
 * entry per line; blank lines are dropped. A line split across two pieces becomes two entries.
 */
export function logOutput(log: Logger, text: string, severity: LogSeverity = "INFO", context?: LogContext): void {
  for (const line of text.split(/\r?\n/)) if (line.trim() !== "") log.log(severity, line, context);
}
